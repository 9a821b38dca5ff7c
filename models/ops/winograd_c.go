//go:build openblas

package ops

/*
#cgo CFLAGS: -O3
#include "vec8.h"

// kWinoIn and kWinoOut of winograd.go in C with GCC's vector extensions
// (vec8.h), eight tiles at a time. Only additions and subtractions: the
// results round exactly as in Go.

KERNEL static void wino_in(float *v, const float *x, long c, long h, long w, float *buf) {
	long tw = w / 2, t = (h / 2) * (w / 2), pw = w + 2;
	float *p[4], *r[4];
	for (int i = 0; i < 4; i++) {
		p[i] = buf + i * pw;
		r[i] = buf + (4 + i) * pw;
	}
	const v8i ev = {0, 2, 4, 6, 8, 10, 12, 14}, od = {1, 3, 5, 7, 9, 11, 13, 15};
	for (long ci = 0; ci < c; ci++) {
		const float *plane = x + ci * h * w;
		for (long ty = 0; ty < h / 2; ty++) {
			for (int i = 0; i < 4; i++) {
				long iy = 2 * ty - 1 + i;
				float *row = p[i];
				row[0] = row[pw - 1] = 0;
				if (iy < 0 || iy >= h) {
					for (long j = 0; j < pw; j++)
						row[j] = 0;
					continue;
				}
				__builtin_memcpy(row + 1, plane + iy * w, w * sizeof(float));
			}
			for (long j = 0; j < pw; j++) {
				float a = p[0][j], b = p[1][j], d = p[2][j], e = p[3][j];
				r[0][j] = a - d;
				r[1][j] = b + d;
				r[2][j] = d - b;
				r[3][j] = b - e;
			}
			long base = ci * t + ty * tw;
			for (int i = 0; i < 4; i++) {
				const float *ri = r[i];
				float *v0 = v + (4 * i + 0) * c * t + base, *v1 = v + (4 * i + 1) * c * t + base;
				float *v2 = v + (4 * i + 2) * c * t + base, *v3 = v + (4 * i + 3) * c * t + base;
				long tx = 0;
				for (; tx + 8 <= tw; tx += 8) {
					v8f l0 = LD(ri + 2 * tx), l1 = LD(ri + 2 * tx + 8);
					v8f m0 = LD(ri + 2 * tx + 2), m1 = LD(ri + 2 * tx + 10);
					v8f a = __builtin_shuffle(l0, l1, ev), b = __builtin_shuffle(l0, l1, od);
					v8f d = __builtin_shuffle(m0, m1, ev), e = __builtin_shuffle(m0, m1, od);
					ST(v0 + tx, a - d);
					ST(v1 + tx, b + d);
					ST(v2 + tx, d - b);
					ST(v3 + tx, b - e);
				}
				for (; tx < tw; tx++) {
					float a = ri[2 * tx], b = ri[2 * tx + 1], d = ri[2 * tx + 2], e = ri[2 * tx + 3];
					v0[tx] = a - d;
					v1[tx] = b + d;
					v2[tx] = d - b;
					v3[tx] = b - e;
				}
			}
		}
	}
}

KERNEL static void wino_out(float *y, const float *m, long o, long h, long w) {
	long tw = w / 2, t = (h / 2) * (w / 2);
	const v8i lo = {0, 8, 1, 9, 2, 10, 3, 11}, hi = {4, 12, 5, 13, 6, 14, 7, 15};
	for (long oi = 0; oi < o; oi++) {
		float *plane = y + oi * h * w;
		for (long ty = 0; ty < h / 2; ty++) {
			float *y0 = plane + 2 * ty * w, *y1 = plane + (2 * ty + 1) * w;
			const float *q[16];
			for (int k = 0; k < 16; k++)
				q[k] = m + k * o * t + oi * t + ty * tw;
			long tx = 0;
			for (; tx + 8 <= tw; tx += 8) {
				v8f s0[4], s1[4];
				for (int j = 0; j < 4; j++) {
					v8f a = LD(q[j] + tx), b = LD(q[4 + j] + tx), d = LD(q[8 + j] + tx), e = LD(q[12 + j] + tx);
					s0[j] = a + b + d;
					s1[j] = b - d - e;
				}
				v8f e0 = s0[0] + s0[1] + s0[2], o0 = s0[1] - s0[2] - s0[3];
				v8f e1 = s1[0] + s1[1] + s1[2], o1 = s1[1] - s1[2] - s1[3];
				ST(y0 + 2 * tx, __builtin_shuffle(e0, o0, lo));
				ST(y0 + 2 * tx + 8, __builtin_shuffle(e0, o0, hi));
				ST(y1 + 2 * tx, __builtin_shuffle(e1, o1, lo));
				ST(y1 + 2 * tx + 8, __builtin_shuffle(e1, o1, hi));
			}
			for (; tx < tw; tx++) {
				float s0[4], s1[4];
				for (int j = 0; j < 4; j++) {
					float a = q[j][tx], b = q[4 + j][tx], d = q[8 + j][tx], e = q[12 + j][tx];
					s0[j] = a + b + d;
					s1[j] = b - d - e;
				}
				y0[2 * tx] = s0[0] + s0[1] + s0[2];
				y0[2 * tx + 1] = s0[1] - s0[2] - s0[3];
				y1[2 * tx] = s1[0] + s1[1] + s1[2];
				y1[2 * tx + 1] = s1[1] - s1[2] - s1[3];
			}
		}
	}
}

// Winograd's kernel gradient (winograd_dw.go): the dy transform A·dY·Aᵀ
// (the same operations as goWinoDy, so bit-equal to it) and V·Wᵀ summed
// along rows contiguous in both operands, eight lanes per 4×4 block.
KERNEL static void wino_dy(float *wd, const float *dy, long o, long h, long w, long ld, long ty0, long ty1) {
	long tw = w / 2;
	const v8i ev = {0, 2, 4, 6, 8, 10, 12, 14}, od = {1, 3, 5, 7, 9, 11, 13, 15};
	for (long oi = 0; oi < o; oi++) {
		const float *plane = dy + oi * h * w;
		for (long ty = ty0; ty < ty1; ty++) {
			const float *r0 = plane + 2 * ty * w, *r1 = plane + (2 * ty + 1) * w;
			float *q[16];
			for (int k = 0; k < 16; k++)
				q[k] = wd + k * o * ld + oi * ld + (ty - ty0) * tw;
			long tx = 0;
			for (; tx + 8 <= tw; tx += 8) {
				v8f a0 = LD(r0 + 2 * tx), a1 = LD(r0 + 2 * tx + 8), b0 = LD(r1 + 2 * tx), b1 = LD(r1 + 2 * tx + 8);
				v8f y00 = __builtin_shuffle(a0, a1, ev), y01 = __builtin_shuffle(a0, a1, od);
				v8f y10 = __builtin_shuffle(b0, b1, ev), y11 = __builtin_shuffle(b0, b1, od);
				v8f p[4] = {y00, y00 + y10, y00 - y10, -y10};
				v8f r[4] = {y01, y01 + y11, y01 - y11, -y11};
				for (int a = 0; a < 4; a++) {
					ST(q[4 * a] + tx, p[a]);
					ST(q[4 * a + 1] + tx, p[a] + r[a]);
					ST(q[4 * a + 2] + tx, p[a] - r[a]);
					ST(q[4 * a + 3] + tx, -r[a]);
				}
			}
			for (; tx < tw; tx++) {
				float y00 = r0[2 * tx], y01 = r0[2 * tx + 1], y10 = r1[2 * tx], y11 = r1[2 * tx + 1];
				float p[4] = {y00, y00 + y10, y00 - y10, -y10};
				float r[4] = {y01, y01 + y11, y01 - y11, -y11};
				for (int a = 0; a < 4; a++) {
					q[4 * a][tx] = p[a];
					q[4 * a + 1][tx] = p[a] + r[a];
					q[4 * a + 2][tx] = p[a] - r[a];
					q[4 * a + 3][tx] = -r[a];
				}
			}
		}
	}
}

KERNEL static void dot_nt(float *z, const float *v, const float *w, long m, long n, long k, long ldz, long ldv, long ldw) {
	long k8 = k & ~7L, mb = m & ~3L, nb = n & ~3L;
	for (long i = 0; i < mb; i += 4) {
		for (long j = 0; j < nb; j += 4) {
			v8f acc[4][4] = {{{0}}};
			for (long q = 0; q < k8; q += 8) {
				v8f b[4];
				for (int jj = 0; jj < 4; jj++)
					b[jj] = LD(w + (j + jj) * ldw + q);
				for (int ii = 0; ii < 4; ii++) {
					v8f a = LD(v + (i + ii) * ldv + q);
					for (int jj = 0; jj < 4; jj++)
						acc[ii][jj] += a * b[jj];
				}
			}
			for (int ii = 0; ii < 4; ii++)
				for (int jj = 0; jj < 4; jj++) {
					float s = HSUM(acc[ii][jj]);
					for (long q = k8; q < k; q++)
						s += v[(i + ii) * ldv + q] * w[(j + jj) * ldw + q];
					z[(i + ii) * ldz + j + jj] += s;
				}
		}
	}
	for (long i = 0; i < m; i++)
		for (long j = i < mb ? nb : 0; j < n; j++) {
			float s = 0;
			for (long q = 0; q < k; q++)
				s += v[i * ldv + q] * w[j * ldw + q];
			z[i * ldz + j] += s;
		}
}
*/
import "C"

func init() {
	kWinoIn = cWinoIn
	kWinoOut = cWinoOut
	kWinoDy = cWinoDy
	kDotNT = cDotNT
}

func cWinoDy(wd, dy []float32, o, h, w, ld int) {
	t := (h / 2) * (w / 2)
	_, _ = wd[15*o*ld+(o-1)*ld+t-1], dy[o*h*w-1]
	C.wino_dy(fp(wd), fp(dy), C.long(o), C.long(h), C.long(w), C.long(ld), 0, C.long(h/2))
}

func cDotNT(z, v, w []float32, m, n, k, ldz, ldv, ldw int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	_, _, _ = z[(m-1)*ldz+n-1], v[(m-1)*ldv+k-1], w[(n-1)*ldw+k-1]
	C.dot_nt(fp(z), fp(v), fp(w), C.long(m), C.long(n), C.long(k), C.long(ldz), C.long(ldv), C.long(ldw))
}

func cWinoIn(v, x []float32, c, h, w int) {
	t := (h / 2) * (w / 2)
	_, _ = v[16*c*t-1], x[c*h*w-1]
	buf := make([]float32, 8*(w+2))
	C.wino_in(fp(v), fp(x), C.long(c), C.long(h), C.long(w), fp(buf))
}

func cWinoOut(y, m []float32, o, h, w int) {
	t := (h / 2) * (w / 2)
	_, _ = y[o*h*w-1], m[16*o*t-1]
	C.wino_out(fp(y), fp(m), C.long(o), C.long(h), C.long(w))
}
