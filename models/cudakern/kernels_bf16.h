/* kernels_bf16.h: the kernels of kernels_bf16.cu, declared. That file
 * includes this one, so the compiler holds each definition to its
 * declaration here, which kernels_bf16_cpu.go's wrappers call. */
#ifndef MASKDASH_KERNELS_BF16_H
#define MASKDASH_KERNELS_BF16_H
#include "kernel.h"

KERNEL md_to_nhwc_h(long n, long c, long hw, const float *x, bf16 *y);
KERNEL md_to_nchw_f(long n, long c, long hw, const bf16 *x, float *y);
KERNEL md_pad_nhwc_h(long n, long c, long cp, long hw, const float *x, bf16 *y);
KERNEL md_unpad_nchw_f(long n, long c, long cp, long hw, const bf16 *x, float *y);
KERNEL md_flip_krsc_h(long k, long c, long r, const bf16 *w, bf16 *y);
KERNEL md_mul_hf(long n, const bf16 *x, const float *mask, bf16 *y);
KERNEL md_relu_fwd_h(long n, const bf16 *x, bf16 *y);
KERNEL md_relu_bwd_h(long n, const bf16 *x, const bf16 *dy, bf16 *dx);
KERNEL md_add_h(long n, const bf16 *a, const bf16 *b, bf16 *y);
KERNEL md_bias_act_h(long m, long c, const bf16 *x, const float *bias, long relu, bf16 *y);
KERNEL md_chan_sums_h(long m, long c, long chunks, const bf16 *x, double *sum);
KERNEL md_d2f(long n, const double *x, float *y);
KERNEL md_bnh_sums(long m, long c, long chunks, const bf16 *x, double *sum, double *sumsq);
KERNEL md_bnh_apply(long m, long c, const bf16 *x, const float *mean, const float *invstd, const float *gamma,
                    const float *beta, long relu, bf16 *y);
KERNEL md_bnh_bwd_sums(long m, long c, long chunks, const bf16 *x, const bf16 *dy, const float *mean,
                       const float *invstd, const float *gamma, const float *beta, long relu, double *sdy,
                       double *sdyx);
KERNEL md_bnh_bwd_dx(long m, long c, const bf16 *x, const bf16 *dy, const float *mean, const float *invstd,
                     const float *gamma, const float *beta, long relu, const double *sdy, const double *sdyx,
                     bf16 *dx);
KERNEL md_bn_invstd(long c, const float *var, float eps, float *invstd);
KERNEL md_maxpool2_h(long n, long h, long w, long c, const bf16 *x, bf16 *y);
KERNEL md_maxpool2_bwd_h(long n, long h, long w, long c, const bf16 *x, const bf16 *dy, bf16 *dx);
KERNEL md_gap_h(long n, long hw, long c, const bf16 *x, float *y);
KERNEL md_gap_bwd_h(long n, long hw, long c, const float *dy, bf16 *dx);
KERNEL md_subsample_h(long n, long h, long w, long c, const bf16 *x, bf16 *y);
KERNEL md_subsample_bwd_h(long n, long h, long w, long c, const bf16 *dy, bf16 *dx);
KERNEL md_maxpool3_h(long n, long h, long w, long c, const bf16 *x, bf16 *y);
KERNEL md_maxpool3_bwd_h(long n, long h, long w, long c, const bf16 *x, const bf16 *dy, bf16 *dx);

/* from kernels.cu, which the bf16 path shares */
KERNEL md_bnr_stats(long c, long m, const double *sum, const double *sumsq, float eps, float momentum,
                    float *mean, float *invstd, float *runMean, float *runVar);
KERNEL md_bnr_bwd_params(long c, const double *sdy, const double *sdyx, float *dgamma, float *dbeta);

#endif
