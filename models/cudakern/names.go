package cudakern

import "embed" // the kernels' sources, below

// Names are the kernels of kernels.cu and kernels_bf16.cu.
var Names = []string{"md_relu_fwd", "md_relu_bwd", "md_bias_add", "md_sgd", "md_adam", "md_softmax_ce",
	"md_bn_stats", "md_bn_apply", "md_maxpool2", "md_maxpool2_bwd", "md_gap", "md_smooth_ce", "md_focal",
	"md_f1_counts", "md_f1_grad", "md_adam_dir", "md_adamp_cos", "md_adamp_project", "md_adam_apply",
	"md_bn_bwd_sums", "md_bn_bwd_dx", "md_gap_bwd", "md_bias_grad", "md_mul", "md_bias_act",
	"md_bnr_sums", "md_bnr_stats", "md_bnr_apply", "md_bnr_bwd_sums", "md_bnr_bwd_dx", "md_bnr_bwd_params",
	"md_adamp_whole_sums", "md_adamp_decide", "md_adamp_project_rows", "md_adamp_whole_dot", "md_adamp_whole_project", "md_adam_apply_st",
	"md_pool2k_fwd", "md_pool2k_bwd", "md_dropout_mask", "md_clip_sumsq", "md_clip_decide", "md_clip_scale", "md_ema", "md_swap", "md_radam", "md_la_ce",
	"md_subsample", "md_subsample_bwd", "md_maxpool3", "md_maxpool3_bwd",
	// kernels_bf16.cu
	"md_to_nhwc_h", "md_to_nchw_f", "md_mul_hf", "md_relu_fwd_h", "md_relu_bwd_h", "md_add_h", "md_bias_act_h", "md_chan_sums_h",
	"md_d2f", "md_bnh_sums", "md_bnh_apply", "md_bnh_bwd_sums", "md_bnh_bwd_dx", "md_bn_invstd", "md_maxpool2_h",
	"md_maxpool2_bwd_h", "md_gap_h", "md_gap_bwd_h", "md_pad_nhwc_h", "md_unpad_nchw_f", "md_flip_krsc_h",
	"md_subsample_h", "md_subsample_bwd_h", "md_maxpool3_h", "md_maxpool3_bwd_h"}

// sources are the kernels' files. Embedding them makes the go command
// rebuild this package when one changes: it does not track a file that
// cgo only #includes, so an edit to kernels.cu alone ran the old kernels.
//
//go:embed kernels.cu kernels_bf16.cu kernel.h kernels_bf16.h
var sources embed.FS

// kernelFiles are the files that define kernels.
var kernelFiles = []string{"kernels.cu", "kernels_bf16.cu"}
