//go:build openblas

package ops

/*
#cgo CFLAGS: -O3
#pragma GCC optimize("fp-contract=off")
#include "vec8.h"

// The plane kernels of kernels.go in C, with GCC's vector extensions
// (vec8.h): sums in a fixed order (so repeatable), and no fused
// multiply-add (fp-contract off), so that a·x+b rounds as in Go.

KERNEL static void k_sumsq(const float *p, long n, float *s, float *q) {
	v8f a = {0}, b = {0};
	long j = 0;
	for (; j + 8 <= n; j += 8) {
		v8f v = LD(p + j);
		a += v;
		b += v * v;
	}
	float s0 = HSUM(a), q0 = HSUM(b);
	for (; j < n; j++) {
		s0 += p[j];
		q0 += p[j] * p[j];
	}
	*s = s0;
	*q = q0;
}

KERNEL static void k_affine(float *dst, const float *src, long n, float a, float b, int relu) {
	v8f z = {0}, va = z + a, vb = z + b;
	long j = 0;
	for (; j + 8 <= n; j += 8) {
		v8f t = va * LD(src + j) + vb;
		if (relu)
			t = (v8f)((v8i)t & (t > z));
		ST(dst + j, t);
	}
	for (; j < n; j++) {
		float t = a * src[j] + b;
		dst[j] = relu && !(t > 0) ? 0 : t;
	}
}

KERNEL static void k_sums_act(float *dst, const float *d, const float *x, long n, float sc, float sh, float mu,
		float *sdy, float *sdyx) {
	v8f z = {0}, a = z, b = z, vsc = z + sc, vsh = z + sh, vmu = z + mu;
	long j = 0;
	for (; j + 8 <= n; j += 8) {
		v8f xv = LD(x + j);
		v8f t = vsc * xv + vsh;
		v8f v = (v8f)((v8i)LD(d + j) & (t > z));
		if (dst)
			ST(dst + j, v);
		a += v;
		b += v * (xv - vmu);
	}
	float s0 = HSUM(a), s1 = HSUM(b);
	for (; j < n; j++) {
		float t = sc * x[j] + sh;
		float v = t > 0 ? d[j] : 0;
		if (dst)
			dst[j] = v;
		s0 += v;
		s1 += v * (x[j] - mu);
	}
	*sdy = s0;
	*sdyx = s1;
}

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
#define MIN2(a, b) ((a) < (b) ? (a) : (b))

static void k_pool(float *o, const float *in, long h, long w, int virt, float a, float b, int relu) {
	long ho = h / 2, wo = w / 2;
	for (long oy = 0; oy < ho; oy++) {
		const float *r0 = in + 2 * oy * w, *r1 = r0 + w;
		float *orow = o + oy * wo;
		for (long ox = 0; ox < wo; ox++) {
			float p = r0[2 * ox], q = r0[2 * ox + 1], r = r1[2 * ox], s = r1[2 * ox + 1];
			float v = MAX2(MAX2(p, q), MAX2(r, s));
			if (virt) {
				if (a < 0)
					v = MIN2(MIN2(p, q), MIN2(r, s));
				v = a * v + b;
				if (relu)
					v = MAX2(v, 0.0f);
			}
			orow[ox] = v;
		}
	}
}

static void k_scatter(float *dx, const float *dy, const float *x, const float *y, long h, long w, int mode) {
	long ho = h / 2, wo = w / 2;
	for (long oy = 0; oy < ho; oy++)
		for (long ox = 0; ox < wo; ox++) {
			long o = oy * wo + ox, i0 = 2 * oy * w + 2 * ox;
			float v0 = x[i0], v1 = x[i0 + 1], v2 = x[i0 + w], v3 = x[i0 + w + 1];
			float m = mode == 0 ? y[o] : mode == 1 ? MAX2(MAX2(v0, v1), MAX2(v2, v3)) : MIN2(MIN2(v0, v1), MIN2(v2, v3));
			int sel = v0 == m ? 0 : v1 == m ? 1 : v2 == m ? 2 : 3;
			float g = dy[o];
			dx[i0] = sel == 0 ? g : 0;
			dx[i0 + 1] = sel == 1 ? g : 0;
			dx[i0 + w] = sel == 2 ? g : 0;
			dx[i0 + w + 1] = sel == 3 ? g : 0;
		}
}

// pick returns the offset of the input a 2x2 window at x[i0] passes on: the
// first largest in reading order, or the first smallest when neg.
static inline long pick(const float *x, long i0, long w, int neg) {
	float v0 = x[i0], v1 = x[i0 + 1], v2 = x[i0 + w], v3 = x[i0 + w + 1];
	float m = neg ? MIN2(MIN2(v0, v1), MIN2(v2, v3)) : MAX2(MAX2(v0, v1), MAX2(v2, v3));
	return v0 == m ? 0 : v1 == m ? 1 : v2 == m ? w : w + 1;
}

static void k_sums_pooled(float *g, const float *x, unsigned char *picks, long h, long w, float sc, float sh, float mu,
		int relu, int write, float *sdy, float *sdyx) {
	long ho = h / 2, wo = w / 2;
	float a = 0, b = 0;
	for (long oy = 0; oy < ho; oy++)
		for (long ox = 0; ox < wo; ox++) {
			long o = oy * wo + ox, i0 = 2 * oy * w + 2 * ox;
			long p = pick(x, i0, w, sc < 0), at = i0 + p;
			if (o % 4 == 0)
				picks[o / 4] = 0;
			picks[o / 4] |= (unsigned char)((p / w * 2 + p % w) << (2 * (o % 4)));
			float v = g[o];
			if (relu && !(sc * x[at] + sh > 0))
				v = 0;
			if (write)
				g[o] = v;
			a += v;
			b += v * (x[at] - mu);
		}
	*sdy = a;
	*sdyx = b;
}

// r may be x: the first pass is elementwise.
KERNEL static void k_dx_pooled(float *r, const float *g, const float *x, const unsigned char *picks, long h, long w,
		float k, float m, float a, float b) {
	long n = h * w, j = 0;
	v8f z = {0}, vk = z + k, va = z + a, vb = z + b;
	for (; j + 8 <= n; j += 8)
		ST(r + j, vk * (-vb - LD(x + j) * va));
	for (; j < n; j++)
		r[j] = k * (-b - x[j] * a);
	long ho = h / 2, wo = w / 2;
	for (long oy = 0; oy < ho; oy++)
		for (long ox = 0; ox < wo; ox++) {
			long o = oy * wo + ox, p = (picks[o / 4] >> (2 * (o % 4))) & 3;
			r[(2 * oy + p / 2) * w + 2 * ox + p % 2] += k * m * g[o];
		}
}

// r may be d: each element is read before it is written.
KERNEL static void k_dx(float *r, const float *d, const float *x, long n, float k, float m, float a, float b) {
	for (long j = 0; j < n; j++)
		r[j] = k * (m * d[j] - b - x[j] * a);
}
*/
import "C"

func init() {
	KernelsName = "C (gcc vector extensions)"
	kSumSq = cSumSq
	kAffine = cAffine
	kSumsAct = cSumsAct
	kDx = cDx
	kPool = cPool
	kScatter = cScatter
	kSumsPooled = cSumsPooled
	kDxPooled = cDxPooled
}

func cSumsPooled(g, x []float32, picks []uint8, h, w int, sc, sh, mu float32, relu, write bool) (float32, float32) {
	if h < 2 || w < 2 {
		return 0, 0
	}
	_, _, _ = g[(h/2)*(w/2)-1], x[h*w-1], picks[((h/2)*(w/2)-1)/4]
	var s, sx C.float
	C.k_sums_pooled(fp(g), fp(x), (*C.uchar)(&picks[0]), C.long(h), C.long(w), C.float(sc), C.float(sh), C.float(mu),
		cbool(relu), cbool(write), &s, &sx)
	return float32(s), float32(sx)
}

func cDxPooled(r, g, x []float32, picks []uint8, h, w int, k, m, a, b float32) {
	if h < 2 || w < 2 {
		goDxPooled(r, g, x, picks, h, w, k, m, a, b)
		return
	}
	_, _, _, _ = r[h*w-1], g[(h/2)*(w/2)-1], x[h*w-1], picks[((h/2)*(w/2)-1)/4]
	C.k_dx_pooled(fp(r), fp(g), fp(x), (*C.uchar)(&picks[0]), C.long(h), C.long(w), C.float(k), C.float(m), C.float(a), C.float(b))
}

func cPool(o, in []float32, h, w int, virt bool, a, b float32, relu bool) {
	if h < 2 || w < 2 {
		return
	}
	_, _ = o[(h/2)*(w/2)-1], in[h*w-1]
	C.k_pool(fp(o), fp(in), C.long(h), C.long(w), cbool(virt), C.float(a), C.float(b), cbool(relu))
}

func cScatter(dx, dy, x, y []float32, h, w, mode int) {
	if h < 2 || w < 2 {
		return
	}
	_, _, _, _ = dx[h*w-1], x[h*w-1], dy[(h/2)*(w/2)-1], y[(h/2)*(w/2)-1]
	C.k_scatter(fp(dx), fp(dy), fp(x), fp(y), C.long(h), C.long(w), C.int(mode))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

func fp(s []float32) *C.float { return (*C.float)(&s[0]) }

func cSumSq(p []float32) (float32, float32) {
	if len(p) == 0 {
		return 0, 0
	}
	var s, q C.float
	C.k_sumsq(fp(p), C.long(len(p)), &s, &q)
	return float32(s), float32(q)
}

func cAffine(dst, src []float32, a, b float32, relu bool) {
	if len(src) == 0 {
		return
	}
	_ = dst[len(src)-1]
	r := C.int(0)
	if relu {
		r = 1
	}
	C.k_affine(fp(dst), fp(src), C.long(len(src)), C.float(a), C.float(b), r)
}

func cSumsAct(dst, d, x []float32, sc, sh, mu float32) (float32, float32) {
	if len(d) == 0 {
		return 0, 0
	}
	_ = x[len(d)-1]
	var to *C.float // nil: no write
	if dst != nil {
		_ = dst[len(d)-1]
		to = fp(dst)
	}
	var s, sx C.float
	C.k_sums_act(to, fp(d), fp(x), C.long(len(d)), C.float(sc), C.float(sh), C.float(mu), &s, &sx)
	return float32(s), float32(sx)
}

func cDx(r, d, x []float32, k, m, a, b float32) {
	if len(r) == 0 {
		return
	}
	_, _ = d[len(r)-1], x[len(r)-1]
	C.k_dx(fp(r), fp(d), fp(x), C.long(len(r)), C.float(k), C.float(m), C.float(a), C.float(b))
}
