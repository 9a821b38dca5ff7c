package cudakern

import _ "embed" // kernels.cu, below

// Names are the kernels of kernels.cu.
var Names = []string{"md_relu_fwd", "md_relu_bwd", "md_bias_add", "md_sgd", "md_adam", "md_softmax_ce",
	"md_bn_stats", "md_bn_apply", "md_maxpool2", "md_maxpool2_bwd", "md_gap", "md_smooth_ce", "md_focal",
	"md_f1_counts", "md_f1_grad", "md_adam_dir", "md_adamp_cos", "md_adamp_project", "md_adam_apply",
	"md_bn_bwd_sums", "md_bn_bwd_dx", "md_gap_bwd", "md_bias_grad", "md_mul", "md_bias_act",
	"md_bnr_sums", "md_bnr_stats", "md_bnr_apply", "md_bnr_bwd_sums", "md_bnr_bwd_dx", "md_bnr_bwd_params",
	"md_adamp_whole_sums", "md_adamp_decide", "md_adamp_project_rows", "md_adamp_whole_dot", "md_adamp_whole_project", "md_adam_apply_st"}

// source is kernels.cu itself. Embedding it makes the go command rebuild
// this package when the file changes: it does not track a file that cgo
// only #includes, so an edit to kernels.cu alone ran the old kernels.
//
//go:embed kernels.cu
var source string
