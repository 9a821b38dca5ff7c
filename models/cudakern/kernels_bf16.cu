/* kernels_bf16.cu: the kernels of --precision bf16, included by
 * kernels.cu (one PTX, one C object). There the trunk's activations and
 * their gradients are bfloat16 (kernel.h's bf16) in NHWC order: n images,
 * then hw positions, then c channels, the channel the fastest index, so
 * that consecutive threads read consecutive bytes. Every sum is float or
 * double and every parameter (weights, γ, β, biases, running statistics)
 * float32: only activations are rounded to bf16, each once, when written.
 * kernels_bf16_test.go checks each against the float32 NCHW kernels of
 * kernels.cu on the same (bf16-representable) values. */
#include "kernels_bf16.h"

/* y, NHWC bf16, from x, NCHW float32: the batch as uploaded; with n = K,
 * c = C, hw = R·R also a convolution's float32 weights [K, C, R, R] into
 * the KRSC bf16 copy cuDNN reads. One index per output. */
KERNEL md_to_nhwc_h(long n, long c, long hw, const float *x, bf16 *y) {
	FOR_EACH(i, n * c * hw) {
		long ch = i % c, p = (i / c) % hw, b = i / (c * hw);
		y[i] = f2bf(x[(b * c + ch) * hw + p]);
	}
}

/* The inverse: y, NCHW float32, from x, NHWC bf16 (exact). A kernel's
 * gradient from cuDNN's KRSC bf16 into the float32 [K, C, R, R] the
 * optimizer reads; a flattened activation for a dense layer, in the
 * order the float32 graph flattens. */
KERNEL md_to_nchw_f(long n, long c, long hw, const bf16 *x, float *y) {
	FOR_EACH(i, n * c * hw) {
		long p = i % hw, ch = (i / hw) % c, b = i / (c * hw);
		y[i] = bf2f(x[(b * hw + p) * c + ch]);
	}
}

/* md_to_nhwc_h with cp ≥ c channels in y, those past c zero: the batch's
 * 3 colour channels (and the first convolution's kernels) padded to 8
 * for cuDNN's tensor cores, whose bfloat16 NHWC kernels want a channel
 * count that is a multiple of 8 (a zero channel with zero weights adds
 * nothing). One index per output. */
KERNEL md_pad_nhwc_h(long n, long c, long cp, long hw, const float *x, bf16 *y) {
	FOR_EACH(i, n * cp * hw) {
		long ch = i % cp, p = (i / cp) % hw, b = i / (cp * hw);
		y[i] = ch < c ? f2bf(x[(b * c + ch) * hw + p]) : f2bf(0.0f);
	}
}

/* md_to_nchw_f from x with cp ≥ c channels, those past c dropped: a
 * padded convolution's kernel gradient into the float32 [K, C, R, R] of
 * its c channels. */
KERNEL md_unpad_nchw_f(long n, long c, long cp, long hw, const bf16 *x, float *y) {
	FOR_EACH(i, n * c * hw) {
		long p = i % hw, ch = (i / hw) % c, b = i / (c * hw);
		y[i] = bf2f(x[(b * hw + p) * cp + ch]);
	}
}

/* A convolution's kernels w [K, R, R, C] (KRSC bf16) as the kernels of
 * its input gradient run as a forward convolution: y [C, R, R, K], each
 * kernel turned by 180° and the two channel counts swapped,
 * y[c][q][s][k] = w[k][R-1-q][R-1-s][c]. With stride 1, dx is the
 * forward convolution of dy with y and padding R-1-pad (a copy: exact).
 * One index per output. */
KERNEL md_flip_krsc_h(long k, long c, long r, const bf16 *w, bf16 *y) {
	FOR_EACH(i, k * c * r * r) {
		long ko = i % k, s = (i / k) % r, q = (i / (k * r)) % r, ci = i / (k * r * r);
		y[i] = w[((ko * r + (r - 1 - q)) * r + (r - 1 - s)) * c + ci];
	}
}

/* y = x·mask, the mask float32 (dropout's: 0 or 1/(1−p)), in the order
 * of x's own values (NHWC: a different draw from the float32 path's,
 * the same for the forward and the backward pass) */
KERNEL md_mul_hf(long n, const bf16 *x, const float *mask, bf16 *y) {
	FOR_EACH(i, n) { y[i] = f2bf(bf2f(x[i]) * mask[i]); }
}

/* y = max(x, 0) */
KERNEL md_relu_fwd_h(long n, const bf16 *x, bf16 *y) {
	FOR_EACH(i, n) { y[i] = bf2f(x[i]) > 0.0f ? x[i] : (bf16)0; }
}

/* dx = dy where x > 0, else 0 */
KERNEL md_relu_bwd_h(long n, const bf16 *x, const bf16 *dy, bf16 *dx) {
	FOR_EACH(i, n) { dx[i] = bf2f(x[i]) > 0.0f ? dy[i] : (bf16)0; }
}

/* y = a + b (a residual connection; two gradients summed) */
KERNEL md_add_h(long n, const bf16 *a, const bf16 *b, bf16 *y) {
	FOR_EACH(i, n) { y[i] = f2bf(bf2f(a[i]) + bf2f(b[i])); }
}

/* y = x + bias[c] over m positions of c channels, then max(·, 0) when
 * relu: a convolution's bias and activation in one pass. */
KERNEL md_bias_act_h(long m, long c, const bf16 *x, const float *bias, long relu, bf16 *y) {
	FOR_EACH(i, m * c) {
		float v = bf2f(x[i]) + bias[i % c];
		y[i] = f2bf(relu && v < 0.0f ? 0.0f : v);
	}
}

/* sum[ch] += Σ x over m positions of c channels, in chunks: index i sums
 * channel i % c over the positions i / c, i / c + chunks, …, so that
 * consecutive indices read consecutive channels of one position. The
 * caller zeroes sum. */
KERNEL md_chan_sums_h(long m, long c, long chunks, const bf16 *x, double *sum) {
	FOR_EACH(i, c * chunks) {
		long ch = i % c;
		double s = 0.0;
		for (long j = i / c; j < m; j += chunks) s += (double)bf2f(x[j * c + ch]);
		ATOMIC_ADD(&sum[ch], s);
	}
}

/* y = x, double to float */
KERNEL md_d2f(long n, const double *x, float *y) {
	FOR_EACH(i, n) { y[i] = (float)x[i]; }
}

/* BatchNorm (+ ReLU) in training, as md_bnr_* of kernels.cu but over m =
 * n·hw positions of NHWC bf16: md_bnh_sums, then md_bnr_stats (shared),
 * then md_bnh_apply; backward md_bnh_bwd_sums, md_bnh_bwd_dx and
 * md_bnr_bwd_params. The ReLU's mask is recomputed from x (md_bn_act on
 * the widened value), as the forward pass decided it. */
KERNEL md_bnh_sums(long m, long c, long chunks, const bf16 *x, double *sum, double *sumsq) {
	FOR_EACH(i, c * chunks) {
		long ch = i % c;
		double s = 0.0, s2 = 0.0;
		for (long j = i / c; j < m; j += chunks) {
			double v = (double)bf2f(x[j * c + ch]);
			s += v;
			s2 += v * v;
		}
		ATOMIC_ADD(&sum[ch], s);
		ATOMIC_ADD(&sumsq[ch], s2);
	}
}

KERNEL md_bnh_apply(long m, long c, const bf16 *x, const float *mean, const float *invstd, const float *gamma,
                    const float *beta, long relu, bf16 *y) {
	FOR_EACH(i, m * c) {
		long ch = i % c;
		float v = md_bn_act(bf2f(x[i]), mean[ch], invstd[ch], gamma[ch], beta[ch]);
		y[i] = relu && v <= 0.0f ? (bf16)0 : f2bf(v);
	}
}

KERNEL md_bnh_bwd_sums(long m, long c, long chunks, const bf16 *x, const bf16 *dy, const float *mean,
                       const float *invstd, const float *gamma, const float *beta, long relu, double *sdy,
                       double *sdyx) {
	FOR_EACH(i, c * chunks) {
		long ch = i % c;
		double s = 0.0, sx = 0.0;
		for (long j = i / c; j < m; j += chunks) {
			long k = j * c + ch;
			float xv = bf2f(x[k]);
			if (relu && md_bn_act(xv, mean[ch], invstd[ch], gamma[ch], beta[ch]) <= 0.0f) continue;
			double g = (double)bf2f(dy[k]);
			s += g;
			sx += g * ((double)xv - (double)mean[ch]) * (double)invstd[ch];
		}
		ATOMIC_ADD(&sdy[ch], s);
		ATOMIC_ADD(&sdyx[ch], sx);
	}
}

KERNEL md_bnh_bwd_dx(long m, long c, const bf16 *x, const bf16 *dy, const float *mean, const float *invstd,
                     const float *gamma, const float *beta, long relu, const double *sdy, const double *sdyx,
                     bf16 *dx) {
	FOR_EACH(i, m * c) {
		long ch = i % c;
		float xv = bf2f(x[i]);
		double g = (double)bf2f(dy[i]);
		if (relu && md_bn_act(xv, mean[ch], invstd[ch], gamma[ch], beta[ch]) <= 0.0f) g = 0.0;
		double inv = (double)invstd[ch];
		double xh = ((double)xv - (double)mean[ch]) * inv;
		dx[i] = f2bf((float)((double)gamma[ch] * inv * (g - sdy[ch] / (double)m - xh * sdyx[ch] / (double)m)));
	}
}

/* invstd = 1/sqrt(var + eps): evaluation's BatchNorm is md_bnh_apply
 * with the running mean and this. */
KERNEL md_bn_invstd(long c, const float *var, float eps, float *invstd) {
	FOR_EACH(ch, c) { invstd[ch] = (float)(1.0 / sqrt((double)var[ch] + (double)eps)); }
}

/* 2×2 max pooling, stride 2, of NHWC [n, h, w, c] into [n, h/2, w/2, c];
 * the first of equal values wins, in md_maxpool2's order. */
KERNEL md_maxpool2_h(long n, long h, long w, long c, const bf16 *x, bf16 *y) {
	long ho = h / 2, wo = w / 2;
	FOR_EACH(o, n * ho * wo * c) {
		long ch = o % c, q = o / c, ox = q % wo, oy = (q / wo) % ho, b = q / (wo * ho);
		long base = ((b * h + 2 * oy) * w + 2 * ox) * c + ch;
		long cand[4] = {base, base + c, base + w * c, base + w * c + c};
		long best = base;
		for (int k = 1; k < 4; k++)
			if (bf2f(x[cand[k]]) > bf2f(x[best])) best = cand[k];
		y[o] = x[best];
	}
}

/* Its backward, one index per input (no zeroing, no atomics): dx is the
 * output's gradient where this input won its window, else 0. */
KERNEL md_maxpool2_bwd_h(long n, long h, long w, long c, const bf16 *x, const bf16 *dy, bf16 *dx) {
	long ho = h / 2, wo = w / 2;
	FOR_EACH(i, n * h * w * c) {
		long ch = i % c, q = i / c, px = q % w, py = (q / w) % h, b = q / (w * h);
		long oy = py / 2, ox = px / 2;
		bf16 g = 0;
		if (oy < ho && ox < wo) {
			long base = ((b * h + 2 * oy) * w + 2 * ox) * c + ch;
			long cand[4] = {base, base + c, base + w * c, base + w * c + c};
			long best = base;
			for (int k = 1; k < 4; k++)
				if (bf2f(x[cand[k]]) > bf2f(x[best])) best = cand[k];
			if (best == i) g = dy[((b * ho + oy) * wo + ox) * c + ch];
		}
		dx[i] = g;
	}
}

/* resnet18's stride 2 on bfloat16 NHWC [n, h, w, c] (md_subsample's):
 * every second row and column, from the first, into ⌈h/2⌉×⌈w/2⌉. */
KERNEL md_subsample_h(long n, long h, long w, long c, const bf16 *x, bf16 *y) {
	long ho = (h + 1) / 2, wo = (w + 1) / 2;
	FOR_EACH(o, n * ho * wo * c) {
		long ch = o % c, q = o / c, ox = q % wo, oy = (q / wo) % ho, b = q / (wo * ho);
		y[o] = x[((b * h + 2 * oy) * w + 2 * ox) * c + ch];
	}
}

/* Its gradient, one index per input: dy where a value was kept, else 0. */
KERNEL md_subsample_bwd_h(long n, long h, long w, long c, const bf16 *dy, bf16 *dx) {
	long ho = (h + 1) / 2, wo = (w + 1) / 2;
	FOR_EACH(i, n * h * w * c) {
		long ch = i % c, q = i / c, px = q % w, py = (q / w) % h, b = q / (w * h);
		dx[i] = (py % 2 == 0 && px % 2 == 0) ? dy[((b * ho + py / 2) * wo + px / 2) * c + ch] : (bf16)0;
	}
}

/* The index in NHWC x of the maximum of 3×3 window (oy, ox), stride 2,
 * padding 1, of image b's channel ch: the first largest in row order, a
 * NaN winning (md_maxpool3's rule). */
DEVICE long pool3_arg_h(const bf16 *x, long h, long w, long c, long b, long ch, long oy, long ox) {
	long r0 = 2 * oy - 1 < 0 ? 0 : 2 * oy - 1, r1 = 2 * oy + 2 < h ? 2 * oy + 2 : h;
	long c0 = 2 * ox - 1 < 0 ? 0 : 2 * ox - 1, c1 = 2 * ox + 2 < w ? 2 * ox + 2 : w;
	long at = ((b * h + r0) * w + c0) * c + ch;
	float m = bf2f(x[at]);
	for (long a = r0; a < r1; a++)
		for (long q = c0; q < c1; q++) {
			long k = ((b * h + a) * w + q) * c + ch;
			float v = bf2f(x[k]);
			if (v > m || (v != v && m == m)) {
				m = v;
				at = k;
			}
		}
	return at;
}

/* resnet18's stem pool on bfloat16 NHWC (md_maxpool3's). */
KERNEL md_maxpool3_h(long n, long h, long w, long c, const bf16 *x, bf16 *y) {
	long ho = (h + 1) / 2, wo = (w + 1) / 2;
	FOR_EACH(o, n * ho * wo * c) {
		long ch = o % c, q = o / c, ox = q % wo, oy = (q / wo) % ho, b = q / (wo * ho);
		y[o] = x[pool3_arg_h(x, h, w, c, b, ch, oy, ox)];
	}
}

/* Its gradient, one index per input: the sum, in float32, of the
 * gradients of the windows whose maximum it is. */
KERNEL md_maxpool3_bwd_h(long n, long h, long w, long c, const bf16 *x, const bf16 *dy, bf16 *dx) {
	long ho = (h + 1) / 2, wo = (w + 1) / 2;
	FOR_EACH(i, n * h * w * c) {
		long ch = i % c, q = i / c, px = q % w, py = (q / w) % h, b = q / (w * h);
		float g = 0.0f;
		for (long oy = py / 2; oy <= (py + 1) / 2 && oy < ho; oy++)
			for (long ox = px / 2; ox <= (px + 1) / 2 && ox < wo; ox++)
				if (pool3_arg_h(x, h, w, c, b, ch, oy, ox) == i)
					g += bf2f(dy[((b * ho + oy) * wo + ox) * c + ch]);
		dx[i] = f2bf(g);
	}
}

/* Global average pooling of NHWC [n, hw, c] bf16 into float32 [n, c]:
 * where the trunk ends and the float32 heads begin. */
KERNEL md_gap_h(long n, long hw, long c, const bf16 *x, float *y) {
	FOR_EACH(i, n * c) {
		long ch = i % c, b = i / c;
		double s = 0.0;
		for (long p = 0; p < hw; p++) s += (double)bf2f(x[(b * hw + p) * c + ch]);
		y[i] = (float)(s / (double)hw);
	}
}

/* Its backward: dy [n, c] float32 spread evenly over the hw positions. */
KERNEL md_gap_bwd_h(long n, long hw, long c, const float *dy, bf16 *dx) {
	FOR_EACH(i, n * hw * c) {
		long ch = i % c, b = i / (hw * c);
		dx[i] = f2bf(dy[b * c + ch] / (float)hw);
	}
}
