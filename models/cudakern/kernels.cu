/* kernels.cu: this project's own GPU kernels, also compiled as C for the
 * CPU (see kernel.h). Every kernel is elementwise or works on one row per
 * index, so FOR_EACH covers it on both. Tested on the CPU in
 * kernels_test.go against the Go code each replaces. */
#include "kernel.h"

/* y = max(x, 0) */
KERNEL md_relu_fwd(long n, const float *x, float *y) {
	FOR_EACH(i, n) { y[i] = x[i] > 0.0f ? x[i] : 0.0f; }
}

/* dx = dy where x > 0, else 0 */
KERNEL md_relu_bwd(long n, const float *x, const float *dy, float *dx) {
	FOR_EACH(i, n) { dx[i] = x[i] > 0.0f ? dy[i] : 0.0f; }
}

/* y = x + bias[c] per channel of an NCHW tensor, then max(·, 0) when
 * relu is non-zero: a convolution's bias and activation in one pass. */
KERNEL md_bias_act(long n, long c, long hw, const float *x, const float *bias, long relu, float *y) {
	FOR_EACH(i, n * c * hw) {
		float v = x[i] + bias[(i / hw) % c];
		y[i] = relu && v < 0.0f ? 0.0f : v;
	}
}

/* A dropout's mask from a counter-based generator, as models/ops'
 * DropMask draws it on the CPU: value i is 0 (dropped) when the upper 32
 * bits of SplitMix64's finaliser of key + (i+1)·0x9E3779B97F4A7C15 are
 * below threshold (p·2^32), else keep (1/(1−p)). No state between
 * values: each thread draws its own. */
KERNEL md_dropout_mask(long n, long key, long threshold, float keep, float *mask) {
	FOR_EACH(i, n) {
		unsigned long long z = (unsigned long long)key + (unsigned long long)(i + 1) * 0x9E3779B97F4A7C15ULL;
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
		z ^= z >> 31;
		mask[i] = (z >> 32) < (unsigned long long)threshold ? 0.0f : keep;
	}
}

/* y = a·b, elementwise (dropout's mask) */
KERNEL md_mul(long n, const float *a, const float *b, float *y) {
	FOR_EACH(i, n) { y[i] = a[i] * b[i]; }
}

/* y[b][c][p] += bias[c] for an NCHW tensor of n images, c channels and
 * hw positions: one index per element. */
KERNEL md_bias_add(long n, long c, long hw, float *y, const float *bias) {
	FOR_EACH(i, n * c * hw) { y[i] += bias[(i / hw) % c]; }
}

/* SGD with momentum (PyTorch's form): v = mom·v + g (+ wd·w); w -= lr·v,
 * or with Nesterov momentum w -= lr·(g + mom·v). */
KERNEL md_sgd(long n, float *w, const float *g, float *v, float lr, float mom, float wd, long nesterov) {
	FOR_EACH(i, n) {
		float gi = g[i] + wd * w[i];
		v[i] = mom * v[i] + gi;
		w[i] -= lr * (nesterov ? gi + mom * v[i] : v[i]);
	}
}

/* Gradient clipping (PyTorch's clip_grad_norm_) with every decision on
 * the device: md_clip_sumsq adds a gradient's g·g into c[0] (in chunks);
 * md_clip_decide (one index) turns c[0] into the global norm and the
 * coefficient c[1] = limit/(norm + 1e-6) when that is below 1, else 1 (a
 * norm that is not finite too: the run's NaN check finds it), counts the
 * step in c[2..5] (steps, clipped, sum of norms, largest) and zeroes
 * c[0]; md_clip_scale multiplies a gradient by c[1] before its update.
 * c holds six doubles. */
KERNEL md_clip_sumsq(long n, long chunks, const float *g, double *c) {
	FOR_EACH(i, chunks) {
		double s = 0.0;
		for (long j = i; j < n; j += chunks) {
			double a = (double)g[j];
			s += a * a;
		}
		ATOMIC_ADD(&c[0], s);
	}
}

KERNEL md_clip_decide(double limit, double *c) {
	FOR_EACH(i, 1) {
		double norm = sqrt(c[0]);
		double coef = limit / (norm + 1e-6);
		int clipped = coef < 1.0;
		c[1] = clipped ? coef : 1.0;
		c[2] += 1.0;
		c[3] += clipped ? 1.0 : 0.0;
		c[4] += norm;
		c[5] = norm > c[5] ? norm : c[5];
		c[0] = 0.0;
	}
}

KERNEL md_clip_scale(long n, float *g, const double *c) {
	FOR_EACH(i, n) { g[i] *= (float)c[1]; }
}

/* Adam's moments of value i after its gradient gi, stored as float32:
 * the first half of Adam's, AdamW's and RAdam's step. */
DEVICE void md_adam_moments(long i, double gi, float *m, float *v, double b1, double b2) {
	m[i] = (float)(b1 * (double)m[i] + (1.0 - b1) * gi);
	v[i] = (float)(b2 * (double)v[i] + (1.0 - b2) * gi * gi);
}

/* Adam and AdamW, one step: m and v are the moments, bc1 and bc2 the bias
 * corrections 1 − β^t. l2 adds wd·w to the gradient (Adam's decay);
 * decoupled shrinks the weight by lr·wd (AdamW). Sums in double, as the
 * Go optimizer, so both agree to float32 rounding. */
KERNEL md_adam(long n, float *w, const float *g, float *m, float *v, double lr, double b1, double b2,
               double eps, double bc1, double bc2, double l2, double decoupled) {
	FOR_EACH(i, n) {
		md_adam_moments(i, (double)g[i] + l2 * (double)w[i], m, v, b1, b2);
		double upd = (double)m[i] / (sqrt((double)v[i]) / sqrt(bc2) + eps);
		double wi = (double)w[i] * (1.0 - lr * decoupled);
		w[i] = (float)(wi - lr / bc1 * upd);
	}
}

/* RAdam (Liu et al. 2020) as PyTorch's torch.optim.RAdam computes it:
 * Adam's moments; while the variance's estimate is unreliable (rect 0,
 * the first steps) the move is the bias-corrected momentum alone, after
 * it rect · momentum · sqrt(bc2) / (sqrt(v) + eps). l2 adds wd·w to the
 * gradient (torch's weight_decay). */
KERNEL md_radam(long n, float *w, const float *g, float *m, float *v, double lr, double b1, double b2,
                double eps, double bc1, double bc2, double l2, double rect) {
	FOR_EACH(i, n) {
		md_adam_moments(i, (double)g[i] + l2 * (double)w[i], m, v, b1, b2);
		double upd = (double)m[i];
		if (rect > 0.0) {
			upd = rect * (double)m[i] * sqrt(bc2) / (sqrt((double)v[i]) + eps);
		}
		w[i] = (float)((double)w[i] - lr / bc1 * upd);
	}
}

/* Softmax cross entropy of rows of k logits with integer labels: loss[r]
 * is −log softmax(x_r)[label_r] and dx_r = (softmax(x_r) − onehot)/rows. */
KERNEL md_softmax_ce(long rows, long k, const float *x, const int *label, float *loss, float *dx) {
	FOR_EACH(r, rows) {
		const float *xr = x + r * k;
		float *dr = dx + r * k;
		float mx = xr[0];
		for (long j = 1; j < k; j++) mx = xr[j] > mx ? xr[j] : mx;
		double sum = 0.0;
		for (long j = 0; j < k; j++) sum += exp((double)(xr[j] - mx));
		double lse = log(sum) + (double)mx;
		loss[r] = (float)(lse - (double)xr[label[r]]);
		for (long j = 0; j < k; j++) {
			double p = exp((double)xr[j] - lse);
			dr[j] = (float)((p - (j == label[r] ? 1.0 : 0.0)) / (double)rows);
		}
	}
}

/* BatchNorm's batch statistics: one index per channel of an NCHW batch;
 * mean and the biased variance, summed in double. */
KERNEL md_bn_stats(long n, long c, long hw, const float *x, float *mean, float *var) {
	FOR_EACH(ch, c) {
		double s = 0.0, s2 = 0.0;
		for (long b = 0; b < n; b++) {
			const float *p = x + (b * c + ch) * hw;
			for (long i = 0; i < hw; i++) {
				s += (double)p[i];
				s2 += (double)p[i] * (double)p[i];
			}
		}
		double m = s / (double)(n * hw);
		mean[ch] = (float)m;
		var[ch] = (float)(s2 / (double)(n * hw) - m * m);
	}
}

/* y = gamma·(x − mean)/sqrt(var + eps) + beta, per channel of NCHW. */
KERNEL md_bn_apply(long n, long c, long hw, const float *x, const float *mean, const float *var,
                   const float *gamma, const float *beta, float eps, float *y) {
	FOR_EACH(i, n * c * hw) {
		long ch = (i / hw) % c;
		y[i] = gamma[ch] * (x[i] - mean[ch]) / sqrtf(var[ch] + eps) + beta[ch];
	}
}

/* 2×2 max pooling, stride 2, of NCHW planes h×w (even): one index per
 * output; arg keeps which input won, for the backward scatter. */
KERNEL md_maxpool2(long planes, long h, long w, const float *x, float *y, int *arg) {
	long ho = h / 2, wo = w / 2;
	FOR_EACH(o, planes * ho * wo) {
		long p = o / (ho * wo), r = (o / wo) % ho, q = o % wo;
		long base = p * h * w + 2 * r * w + 2 * q;
		long best = base;
		long cand[4] = {base, base + 1, base + w, base + w + 1};
		for (int k = 1; k < 4; k++) {
			if (x[cand[k]] > x[best]) best = cand[k];
		}
		y[o] = x[best];
		arg[o] = (int)best;
	}
}

/* The backward of md_maxpool2 into dx (zeroed by the caller): each output
 * sends its gradient to the input that won; the windows do not overlap. */
KERNEL md_maxpool2_bwd(long outs, const int *arg, const float *dy, float *dx) {
	FOR_EACH(o, outs) { dx[arg[o]] = dy[o]; }
}

/* 2×2 max pooling, stride 2, of NCHW planes h×w (both even) that keeps
 * each window's winner as one byte (0–3: top left, top right, bottom left,
 * bottom right; the first of equal values wins, as the CPU op's), so that
 * the backward pass reads neither x nor y: one index per output. */
KERNEL md_pool2k_fwd(long planes, long h, long w, const float *x, float *y, unsigned char *win) {
	long ho = h / 2, wo = w / 2;
	FOR_EACH(o, planes * ho * wo) {
		long p = o / (ho * wo), r = (o / wo) % ho, q = o % wo;
		const float *b = x + p * h * w + 2 * r * w + 2 * q;
		float v[4] = {b[0], b[1], b[w], b[w + 1]};
		int k = 0;
		for (int j = 1; j < 4; j++)
			if (v[j] > v[k]) k = j;
		y[o] = v[k];
		win[o] = (unsigned char)k;
	}
}

/* Its backward: each output writes its window's four gradients (dy at
 * the winner, 0 at the others), so dx needs no zeroing: one index per
 * output. */
KERNEL md_pool2k_bwd(long planes, long h, long w, const unsigned char *win, const float *dy, float *dx) {
	long ho = h / 2, wo = w / 2;
	FOR_EACH(o, planes * ho * wo) {
		long p = o / (ho * wo), r = (o / wo) % ho, q = o % wo;
		float *b = dx + p * h * w + 2 * r * w + 2 * q;
		int k = win[o];
		float g = dy[o];
		b[0] = k == 0 ? g : 0.0f;
		b[1] = k == 1 ? g : 0.0f;
		b[w] = k == 2 ? g : 0.0f;
		b[w + 1] = k == 3 ? g : 0.0f;
	}
}

/* resnet18's stride 2 (ops.SubsampleOp): y keeps every second row and
 * column of the NCHW planes h×w of x, from the first, ⌈h/2⌉×⌈w/2⌉. */
KERNEL md_subsample(long planes, long h, long w, const float *x, float *y) {
	long ho = (h + 1) / 2, wo = (w + 1) / 2;
	FOR_EACH(o, planes * ho * wo) {
		long p = o / (ho * wo), r = (o / wo) % ho, q = o % wo;
		y[o] = x[p * h * w + 2 * r * w + 2 * q];
	}
}

/* Its gradient: dy where the subsample kept a value, 0 elsewhere; one
 * index per input. */
KERNEL md_subsample_bwd(long planes, long h, long w, const float *dy, float *dx) {
	long ho = (h + 1) / 2, wo = (w + 1) / 2;
	FOR_EACH(i, planes * h * w) {
		long p = i / (h * w), r = (i / w) % h, q = i % w;
		dx[i] = (r % 2 == 0 && q % 2 == 0) ? dy[p * ho * wo + (r / 2) * wo + q / 2] : 0.0f;
	}
}

/* The place in its plane of the maximum of 3×3 window (r, q) of a max
 * pool with stride 2 and padding 1: the first largest value in row order,
 * a NaN winning (PyTorch's CPU rule, and ops.MaxPool3Op's). */
DEVICE long pool3_arg(const float *x, long h, long w, long r, long q) {
	long r0 = 2 * r - 1 < 0 ? 0 : 2 * r - 1, r1 = 2 * r + 2 < h ? 2 * r + 2 : h;
	long c0 = 2 * q - 1 < 0 ? 0 : 2 * q - 1, c1 = 2 * q + 2 < w ? 2 * q + 2 : w;
	long at = r0 * w + c0;
	float m = x[at];
	for (long a = r0; a < r1; a++)
		for (long b = c0; b < c1; b++) {
			float v = x[a * w + b];
			if (v > m || (v != v && m == m)) {
				m = v;
				at = a * w + b;
			}
		}
	return at;
}

/* resnet18's stem pool (ops.MaxPool3Op): 3×3 max pooling, stride 2,
 * padding 1, of the NCHW planes h×w of x into ⌈h/2⌉×⌈w/2⌉. */
KERNEL md_maxpool3(long planes, long h, long w, const float *x, float *y) {
	long ho = (h + 1) / 2, wo = (w + 1) / 2;
	FOR_EACH(o, planes * ho * wo) {
		long p = o / (ho * wo), r = (o / wo) % ho, q = o % wo;
		const float *xp = x + p * h * w;
		y[o] = xp[pool3_arg(xp, h, w, r, q)];
	}
}

/* Its gradient: each input takes the gradients of the windows (at most
 * 2×2 of them) whose maximum it is, found again from x, so the forward
 * pass keeps nothing; one index per input, no atomics. */
KERNEL md_maxpool3_bwd(long planes, long h, long w, const float *x, const float *dy, float *dx) {
	long ho = (h + 1) / 2, wo = (w + 1) / 2;
	FOR_EACH(i, planes * h * w) {
		long p = i / (h * w), r = (i / w) % h, q = i % w;
		const float *xp = x + p * h * w;
		float g = 0.0f;
		for (long a = r / 2; a <= (r + 1) / 2 && a < ho; a++)
			for (long b = q / 2; b <= (q + 1) / 2 && b < wo; b++)
				if (pool3_arg(xp, h, w, a, b) == r * w + q)
					g += dy[p * ho * wo + a * wo + b];
		dx[i] = g;
	}
}

/* Global average pooling of NCHW to N×C: one index per (image, channel). */
KERNEL md_gap(long nc, long hw, const float *x, float *y) {
	FOR_EACH(i, nc) {
		double s = 0.0;
		for (long j = 0; j < hw; j++) s += (double)x[i * hw + j];
		y[i] = (float)(s / (double)hw);
	}
}

/* log-sum-exp of a row of k logits */
DEVICE double md_lse(const float *x, long k) {
	float mx = x[0];
	for (long j = 1; j < k; j++) mx = x[j] > mx ? x[j] : mx;
	double s = 0.0;
	for (long j = 0; j < k; j++) s += exp((double)(x[j] - mx));
	return log(s) + (double)mx;
}

/* Label-smoothed cross entropy (s = 0: plain) of rows of k logits against
 * targets 1 − s on the label and s/(k−1) elsewhere: loss[r] per row, and
 * dx_r += w·(p − q)/rows, as package training's smooth and ce. rw, when
 * not NULL, weighs each row (--class-weights: its class's weight over
 * the batch's mean one): loss[r] and dx_r are rw[r] times the above. */
KERNEL md_smooth_ce(long rows, long k, const float *x, const int *label, const float *rw, double s, double w, float *loss, float *dx) {
	FOR_EACH(r, rows) {
		const float *xr = x + r * k;
		double lse = md_lse(xr, k);
		double off = k > 1 ? s / (double)(k - 1) : 0.0;
		double f = rw ? (double)rw[r] : 1.0;
		double l = 0.0;
		for (long j = 0; j < k; j++) {
			double q = j == label[r] ? 1.0 - s : off;
			double lp = (double)xr[j] - lse;
			l -= q * lp;
			dx[r * k + j] += (float)(w * f * (exp(lp) - q) / (double)rows);
		}
		loss[r] = (float)(f * l);
	}
}

/* Logit-adjusted cross entropy (Menon et al. 2021; package training's
 * "la") of rows of k logits: cross entropy of the logits shifted by adj
 * (τ·log of each class's prior), loss[r] per row, and
 * dx_r += w·(p′ − onehot)/rows, p′ the softmax of the shifted logits. */
KERNEL md_la_ce(long rows, long k, const float *x, const int *label, const float *adj, double w, float *loss, float *dx) {
	FOR_EACH(r, rows) {
		const float *xr = x + r * k;
		double mx = (double)xr[0] + (double)adj[0];
		for (long j = 1; j < k; j++) {
			double v = (double)xr[j] + (double)adj[j];
			mx = v > mx ? v : mx;
		}
		double s = 0.0;
		for (long j = 0; j < k; j++) s += exp((double)xr[j] + (double)adj[j] - mx);
		double lse = log(s) + mx;
		long y = label[r];
		loss[r] = (float)(lse - ((double)xr[y] + (double)adj[y]));
		for (long j = 0; j < k; j++) {
			double p = exp((double)xr[j] + (double)adj[j] - lse);
			dx[r * k + j] += (float)(w * (p - (j == y ? 1.0 : 0.0)) / (double)rows);
		}
	}
}

/* Focal loss −(1−p_y)^γ·log p_y of rows of k logits with its exact
 * gradient: loss[r], dx_r += w·∂/∂x_r / rows, as package training's; rw
 * (NULL: none) weighs the rows as in md_smooth_ce. */
KERNEL md_focal(long rows, long k, const float *x, const int *label, const float *rw, double gamma, double w, float *loss, float *dx) {
	FOR_EACH(r, rows) {
		const float *xr = x + r * k;
		double lse = md_lse(xr, k);
		long y = label[r];
		double lpy = (double)xr[y] - lse;
		double py = exp(lpy);
		double om = 1.0 - py > 0.0 ? 1.0 - py : 0.0;
		double f = rw ? (double)rw[r] : 1.0;
		loss[r] = (float)(-f * pow(om, gamma) * lpy);
		double dfdp = om > 0.0 ? gamma * pow(om, gamma - 1.0) * lpy - pow(om, gamma) / py : -1.0 / py;
		for (long j = 0; j < k; j++) {
			double d = (j == y ? 1.0 : 0.0) - exp((double)xr[j] - lse);
			dx[r * k + j] += (float)(w * f * dfdp * py * d / (double)rows);
		}
	}
}

/* Soft F1 (package training's "f1": 1 − mean over classes of F1 from
 * soft counts, each F1 clamped to [ε, 1−ε]) in two kernels. md_f1_counts,
 * one thread a class: the soft true positives Σ p_rj over rows labelled
 * j, Σ_r p_rj and the number of rows labelled j. */
KERNEL md_f1_counts(long rows, long k, const float *x, const int *label, double *tp, double *sp, double *sy) {
	FOR_EACH(j, k) {
		double t = 0.0, s = 0.0, n = 0.0;
		for (long r = 0; r < rows; r++) {
			const float *xr = x + r * k;
			double p = exp((double)xr[j] - md_lse(xr, k));
			s += p;
			if (label[r] == j) {
				t += p;
				n += 1.0;
			}
		}
		tp[j] = t;
		sp[j] = s;
		sy[j] = n;
	}
}

/* md_f1_grad, one thread a row: dx_r += w·∂loss/∂x_r through the softmax,
 * from the counts; the first row's thread also writes the loss. */
KERNEL md_f1_grad(long rows, long k, const float *x, const int *label, const double *tp, const double *sp,
                  const double *sy, double eps, double w, float *loss, float *dx) {
	FOR_EACH(r, rows) {
		const float *xr = x + r * k;
		double lse = md_lse(xr, k);
		double dot = 0.0, mean = 0.0;
		/* ∂loss/∂p_rj for each class, then the softmax's Jacobian. */
		for (long pass = 0; pass < 2; pass++) {
			for (long j = 0; j < k; j++) {
				double P = tp[j] / (sp[j] + eps), R = tp[j] / (sy[j] + eps);
				double f = 2.0 * P * R / (P + R + eps);
				int clamped = f < eps || f > 1.0 - eps;
				if (pass == 0 && r == 0)
					mean += f < eps ? eps : (f > 1.0 - eps ? 1.0 - eps : f);
				double g = 0.0;
				if (!clamped) {
					double den = P + R + eps;
					double dfdP = 2.0 * R * (R + eps) / (den * den), dfdR = 2.0 * P * (P + eps) / (den * den);
					double isY = label[r] == j ? 1.0 : 0.0;
					double dP = (isY * (sp[j] + eps) - tp[j]) / ((sp[j] + eps) * (sp[j] + eps));
					double dR = isY / (sy[j] + eps);
					g = -(dfdP * dP + dfdR * dR) / (double)k;
				}
				double p = exp((double)xr[j] - lse);
				if (pass == 0)
					dot += g * p;
				else
					dx[r * k + j] += (float)(w * p * (g - dot));
			}
		}
		if (r == 0)
			loss[0] = (float)(1.0 - mean / (double)k);
	}
}

/* AdamP (package training's adamp: Adam with decoupled decay, and for a
 * weight of two or more dimensions whose gradient is nearly orthogonal to
 * it, the radial part of the update removed and the decay scaled down) as
 * kernels. md_adam_dir updates the moments and writes the update's
 * direction (float64, as training keeps it); md_adamp_cos, one thread a
 * row of a view of the weight as rows × nc, writes |cos| between the
 * row's gradient and weights; the host picks the view as AdamP does, and
 * md_adamp_project removes each row's radial part; md_adam_apply moves
 * the weights. */
KERNEL md_adam_dir(long n, const float *w, const float *g, float *m, float *v, double b1, double b2, double l2,
                   double bc2, double eps, double *upd) {
	FOR_EACH(i, n) {
		double gi = (double)g[i] + l2 * (double)w[i];
		m[i] = (float)(b1 * (double)m[i] + (1.0 - b1) * gi);
		v[i] = (float)(b2 * (double)v[i] + (1.0 - b2) * gi * gi);
		upd[i] = (double)m[i] / (sqrt((double)v[i]) / sqrt(bc2) + eps);
	}
}

KERNEL md_adamp_cos(long rows, long nc, const float *w, const float *g, double eps, double *cos) {
	FOR_EACH(r, rows) {
		double gw = 0.0, gg = 0.0, ww = 0.0;
		for (long j = r * nc; j < (r + 1) * nc; j++) {
			double a = (double)g[j], b = (double)w[j];
			gw += a * b;
			gg += a * a;
			ww += b * b;
		}
		cos[r] = fabs(gw) / (fmax(sqrt(gg), eps) * fmax(sqrt(ww), eps));
	}
}

/* removes from row r of upd (nc values) its component along w's row */
DEVICE void md_project_row(long r, long nc, const float *w, double eps, double *upd) {
	double ww = 0.0, dot = 0.0;
	for (long j = r * nc; j < (r + 1) * nc; j++)
		ww += (double)w[j] * (double)w[j];
	double norm = sqrt(ww) + eps;
	for (long j = r * nc; j < (r + 1) * nc; j++)
		dot += (double)w[j] / norm * upd[j];
	for (long j = r * nc; j < (r + 1) * nc; j++)
		upd[j] -= (double)w[j] / norm * dot;
}

KERNEL md_adamp_project(long rows, long nc, const float *w, double eps, double *upd) {
	FOR_EACH(r, rows) { md_project_row(r, nc, w, eps, upd); }
}

KERNEL md_adam_apply(long n, float *w, const double *upd, double step, double keep) {
	FOR_EACH(i, n) {
		w[i] = (float)((double)w[i] * keep - step * upd[i]);
	}
}

/* BatchNorm's backward pass in training mode, in two kernels.
 * md_bn_bwd_sums, one thread a channel: dbeta = Σ dy and
 * dgamma = Σ dy·x̂ (x̂ = (x − mean)/sqrt(var + eps)), summed in double.
 * md_bn_bwd_dx, one thread an element:
 * dx = gamma/sqrt(var + eps)·(dy − dbeta/M − x̂·dgamma/M), M = n·hw. */
KERNEL md_bn_bwd_sums(long n, long c, long hw, const float *x, const float *dy, const float *mean, const float *var,
                      float eps, float *dgamma, float *dbeta) {
	FOR_EACH(ch, c) {
		double inv = 1.0 / sqrt((double)var[ch] + (double)eps), sb = 0.0, sg = 0.0;
		for (long b = 0; b < n; b++) {
			const float *px = x + (b * c + ch) * hw, *pd = dy + (b * c + ch) * hw;
			for (long i = 0; i < hw; i++) {
				sb += (double)pd[i];
				sg += (double)pd[i] * ((double)px[i] - (double)mean[ch]) * inv;
			}
		}
		dbeta[ch] = (float)sb;
		dgamma[ch] = (float)sg;
	}
}

KERNEL md_bn_bwd_dx(long n, long c, long hw, const float *x, const float *dy, const float *mean, const float *var,
                    const float *gamma, const float *dgamma, const float *dbeta, float eps, float *dx) {
	FOR_EACH(i, n * c * hw) {
		long ch = (i / hw) % c;
		double inv = 1.0 / sqrt((double)var[ch] + (double)eps), m = (double)(n * hw);
		double xh = ((double)x[i] - (double)mean[ch]) * inv;
		dx[i] = (float)((double)gamma[ch] * inv * ((double)dy[i] - (double)dbeta[ch] / m - xh * (double)dgamma[ch] / m));
	}
}

/* Global average pooling's backward pass: every position of plane i gets
 * dy[i]/hw. */
KERNEL md_gap_bwd(long nc, long hw, const float *dy, float *dx) {
	FOR_EACH(i, nc * hw) {
		dx[i] = dy[i / hw] / (float)hw;
	}
}

/* A per-channel bias's gradient: the sum of dy over the batch and the
 * channel's positions (NCHW; hw = 1 for a dense layer's [n, c]). */
KERNEL md_bias_grad(long n, long c, long hw, const float *dy, float *db) {
	FOR_EACH(ch, c) {
		double s = 0.0;
		for (long b = 0; b < n; b++)
			for (long i = 0; i < hw; i++)
				s += (double)dy[(b * c + ch) * hw + i];
		db[ch] = (float)s;
	}
}

/* BatchNorm with its ReLU in training mode, fused: the forward pass reads
 * x twice (sums, then y) and the backward pass x and dy twice, where
 * cuDNN's BatchNorm and a separate ReLU take five and eight passes. The
 * per-channel sums are split into chunks (one index per channel and
 * chunk, consecutive indices reading consecutive positions) added with
 * ATOMIC_ADD into double sums the caller zeroes first. The ReLU's mask is
 * recomputed from x in the backward pass (md_bn_act, the same float
 * arithmetic as the forward), so y is not read there. */

/* γ·(x − mean)·invstd + β, the value the ReLU sees */
DEVICE float md_bn_act(float x, float mean, float invstd, float gamma, float beta) {
	return gamma * ((x - mean) * invstd) + beta;
}

KERNEL md_bnr_sums(long n, long c, long hw, long chunks, const float *x, double *sum, double *sumsq) {
	FOR_EACH(i, c * chunks) {
		long ch = i / chunks, part = i % chunks;
		double s = 0.0, s2 = 0.0;
		for (long j = part; j < n * hw; j += chunks) {
			double v = (double)x[((j / hw) * c + ch) * hw + j % hw];
			s += v;
			s2 += v * v;
		}
		ATOMIC_ADD(&sum[ch], s);
		ATOMIC_ADD(&sumsq[ch], s2);
	}
}

/* mean and 1/sqrt(var + eps) from the sums over m values; the running
 * statistics move by momentum towards the batch's (unbiased variance),
 * as PyTorch and cuDNN do. */
KERNEL md_bnr_stats(long c, long m, const double *sum, const double *sumsq, float eps, float momentum,
                    float *mean, float *invstd, float *runMean, float *runVar) {
	FOR_EACH(ch, c) {
		double mu = sum[ch] / (double)m;
		double var = sumsq[ch] / (double)m - mu * mu;
		if (var < 0.0) var = 0.0;
		mean[ch] = (float)mu;
		invstd[ch] = (float)(1.0 / sqrt(var + (double)eps));
		double unbiased = m > 1 ? var * (double)m / (double)(m - 1) : var;
		runMean[ch] = (1.0f - momentum) * runMean[ch] + momentum * (float)mu;
		runVar[ch] = (1.0f - momentum) * runVar[ch] + momentum * (float)unbiased;
	}
}

/* y = md_bn_act(x), then max(·, 0) when relu */
KERNEL md_bnr_apply(long n, long c, long hw, const float *x, const float *mean, const float *invstd,
                    const float *gamma, const float *beta, long relu, float *y) {
	FOR_EACH(i, n * c * hw) {
		long ch = (i / hw) % c;
		float v = md_bn_act(x[i], mean[ch], invstd[ch], gamma[ch], beta[ch]);
		y[i] = relu && v <= 0.0f ? 0.0f : v;
	}
}

/* Σ g and Σ g·x̂ per channel, g = dy where the ReLU passed (all of dy
 * without one), x̂ = (x − mean)·invstd: dβ and dγ. */
KERNEL md_bnr_bwd_sums(long n, long c, long hw, long chunks, const float *x, const float *dy, const float *mean,
                       const float *invstd, const float *gamma, const float *beta, long relu, double *sdy,
                       double *sdyx) {
	FOR_EACH(i, c * chunks) {
		long ch = i / chunks, part = i % chunks;
		double s = 0.0, sx = 0.0;
		for (long j = part; j < n * hw; j += chunks) {
			long k = ((j / hw) * c + ch) * hw + j % hw;
			if (relu && md_bn_act(x[k], mean[ch], invstd[ch], gamma[ch], beta[ch]) <= 0.0f) continue;
			double g = (double)dy[k];
			s += g;
			sx += g * ((double)x[k] - (double)mean[ch]) * (double)invstd[ch];
		}
		ATOMIC_ADD(&sdy[ch], s);
		ATOMIC_ADD(&sdyx[ch], sx);
	}
}

/* dx = γ·invstd·(g − Σg/M − x̂·Σg·x̂/M) over M = n·hw values a channel */
KERNEL md_bnr_bwd_dx(long n, long c, long hw, const float *x, const float *dy, const float *mean, const float *invstd,
                     const float *gamma, const float *beta, long relu, const double *sdy, const double *sdyx, float *dx) {
	FOR_EACH(i, n * c * hw) {
		long ch = (i / hw) % c;
		double g = (double)dy[i];
		if (relu && md_bn_act(x[i], mean[ch], invstd[ch], gamma[ch], beta[ch]) <= 0.0f) g = 0.0;
		double m = (double)(n * hw), inv = (double)invstd[ch];
		double xh = ((double)x[i] - (double)mean[ch]) * inv;
		dx[i] = (float)((double)gamma[ch] * inv * (g - sdy[ch] / m - xh * sdyx[ch] / m));
	}
}

/* dγ and dβ as floats from the double sums */
KERNEL md_bnr_bwd_params(long c, const double *sdy, const double *sdyx, float *dgamma, float *dbeta) {
	FOR_EACH(ch, c) {
		dgamma[ch] = (float)sdyx[ch];
		dbeta[ch] = (float)sdy[ch];
	}
}

/* AdamP with every decision on the device (no synchronisation a weight):
 * after md_adam_dir and md_adamp_cos (the per-output-channel view),
 * md_adamp_whole_sums adds g·w, g·g and w·w over the whole tensor (in
 * chunks, into st[1..3]); md_adamp_decide (one index) sets st[0] to 1 when
 * the per-channel view is nearly orthogonal to the gradient, else 2 when
 * the whole tensor is, else 0, as AdamP tries them; md_adamp_project_rows
 * projects each row when st[0] is 1; md_adamp_whole_dot and
 * md_adamp_whole_project project the whole tensor when it is 2 (sums in
 * st[4..5]); md_adam_apply_st moves the weights, the decay scaled by
 * wd_ratio when st[0] is not 0. st holds six doubles, zeroed first. */
KERNEL md_adamp_whole_sums(long n, long chunks, const float *w, const float *g, double *st) {
	FOR_EACH(i, chunks) {
		double gw = 0.0, gg = 0.0, ww = 0.0;
		for (long j = i; j < n; j += chunks) {
			double a = (double)g[j], b = (double)w[j];
			gw += a * b;
			gg += a * a;
			ww += b * b;
		}
		ATOMIC_ADD(&st[1], gw);
		ATOMIC_ADD(&st[2], gg);
		ATOMIC_ADD(&st[3], ww);
	}
}

KERNEL md_adamp_decide(long rows, long nc, long n, double delta, double eps, const double *cos, double *st) {
	FOR_EACH(i, 1) {
		double mx = 0.0;
		for (long r = 0; r < rows; r++) mx = cos[r] > mx ? cos[r] : mx;
		double whole = fabs(st[1]) / (fmax(sqrt(st[2]), eps) * fmax(sqrt(st[3]), eps));
		st[0] = mx < delta / sqrt((double)nc) ? 1.0 : whole < delta / sqrt((double)n) ? 2.0 : 0.0;
	}
}

KERNEL md_adamp_project_rows(long rows, long nc, const float *w, double eps, double *upd, const double *st) {
	FOR_EACH(r, rows) {
		if (st[0] == 1.0) md_project_row(r, nc, w, eps, upd);
	}
}

KERNEL md_adamp_whole_dot(long n, long chunks, const float *w, double eps, const double *upd, double *st) {
	FOR_EACH(i, chunks) {
		if (st[0] != 2.0) continue;
		double norm = sqrt(st[3]) + eps, dot = 0.0;
		for (long j = i; j < n; j += chunks) dot += (double)w[j] / norm * upd[j];
		ATOMIC_ADD(&st[4], dot);
	}
}

KERNEL md_adamp_whole_project(long n, const float *w, double eps, double *upd, const double *st) {
	FOR_EACH(j, n) {
		if (st[0] != 2.0) continue;
		double norm = sqrt(st[3]) + eps;
		upd[j] -= (double)w[j] / norm * st[4];
	}
}

KERNEL md_adam_apply_st(long n, float *w, const double *upd, double step, double lrwd, double ratio, const double *st) {
	FOR_EACH(i, n) {
		double keep = 1.0 - lrwd * (st[0] != 0.0 ? ratio : 1.0);
		w[i] = (float)((double)w[i] * keep - step * upd[i]);
	}
}

#include "kernels_bf16.cu"

/* The weights' moving average (--ema): md_ema moves avg toward w by k of
 * the way, as torch.lerp_ does (a tensor that does not move keeps its
 * average exactly); md_swap exchanges two tensors, so that the average
 * stands in for the weights while a run validates and is saved. */
KERNEL md_ema(long n, float *avg, const float *w, float k) {
	FOR_EACH(i, n) { avg[i] = avg[i] + k * (w[i] - avg[i]); }
}

KERNEL md_swap(long n, float *a, float *b) {
	FOR_EACH(i, n) {
		float t = a[i];
		a[i] = b[i];
		b[i] = t;
	}
}
