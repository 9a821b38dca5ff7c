/* kernel.h: one source for the GPU and the CPU.
 *
 * Under nvcc (__CUDACC__) a KERNEL is an extern "C" __global__ function
 * and FOR_EACH is a grid-stride loop; as C on the CPU a KERNEL is a plain
 * function and FOR_EACH a for loop, so the same body runs on both. */
#ifndef MASKDASH_KERNEL_H
#define MASKDASH_KERNEL_H

#ifdef __CUDACC__
#define KERNEL extern "C" __global__ void
#define DEVICE __device__ static inline
#define FOR_EACH(i, n) for (long i = (long)blockIdx.x * blockDim.x + threadIdx.x; i < (long)(n); i += (long)blockDim.x * gridDim.x)
#define ATOMIC_ADD(p, v) atomicAdd((p), (v))
#else
#include <math.h>
#ifndef KERNEL /* the GPU emulator (models/gpu, tag gpuemu) makes them static */
#define KERNEL void
#endif
#define DEVICE static inline
#define FOR_EACH(i, n) for (long i = 0; i < (long)(n); i++)
#define ATOMIC_ADD(p, v) (*(p) += (v))
#endif

/* bfloat16 values are stored as their 16 bits (bf16): the upper half of
 * a float32. bf2f widens one exactly; f2bf rounds a float to the nearest
 * bf16, ties to even, NaN to a quiet NaN (what CUDA's __float2bfloat16
 * does). The same bit arithmetic on both sides: a kernel rounds on the
 * CPU exactly as on the GPU. */
typedef unsigned short bf16;
#ifdef __CUDACC__
#define MD_F2U(f) __float_as_uint(f)
#define MD_U2F(u) __uint_as_float(u)
#else
#include <string.h>
static inline unsigned MD_F2U(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
static inline float MD_U2F(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
#endif
DEVICE float bf2f(bf16 h) { return MD_U2F((unsigned)h << 16); }
DEVICE bf16 f2bf(float f) {
	unsigned u = MD_F2U(f);
	if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16)((u >> 16) | 0x40u);
	u += 0x7fffu + ((u >> 16) & 1u);
	return (bf16)(u >> 16);
}

#endif
