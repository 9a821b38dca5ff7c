/*
 * maskdash's compatibility wrapper for gorgonia.org/cu v0.9.6 on CUDA 12
 * and 13. It must come first on the include path (scripts/build-cuda.sh
 * puts it there through CGO_CFLAGS).
 *
 * gorgonia.org/cu was written against the CUDA 11/12 driver API. CUDA 13's
 * header maps five names to entry points with new signatures; the driver
 * still exports the older entry points, so after the real header we undo
 * those mappings and declare the older prototypes.
 */
#ifndef MASKDASH_CUDA_COMPAT_H
#define MASKDASH_CUDA_COMPAT_H

#include_next <cuda.h>

#undef cuCtxCreate
#undef cuMemAdvise
#undef cuMemPrefetchAsync
#undef cuGraphAddDependencies
#undef cuGraphGetEdges

#define cuCtxCreate cuCtxCreate_v2

#ifdef __cplusplus
extern "C" {
#endif

CUresult CUDAAPI cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev);
CUresult CUDAAPI cuMemAdvise(CUdeviceptr devPtr, size_t count, CUmem_advise advice, CUdevice device);
CUresult CUDAAPI cuMemPrefetchAsync(CUdeviceptr devPtr, size_t count, CUdevice dstDevice, CUstream hStream);
CUresult CUDAAPI cuGraphAddDependencies(CUgraph hGraph, const CUgraphNode *from, const CUgraphNode *to, size_t numDependencies);
CUresult CUDAAPI cuGraphGetEdges(CUgraph hGraph, CUgraphNode *from, CUgraphNode *to, size_t *numEdges);

#ifdef __cplusplus
}
#endif

#endif /* MASKDASH_CUDA_COMPAT_H */
