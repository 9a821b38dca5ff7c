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
#define KERNEL void
#define DEVICE static inline
#define FOR_EACH(i, n) for (long i = 0; i < (long)(n); i++)
#define ATOMIC_ADD(p, v) (*(p) += (v))
#endif

#endif
