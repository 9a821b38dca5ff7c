//go:build cuda && !gpuemu

/* dev.c: the C side of package gpu; see dev.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dev.h"

static int cu_fail(mdg_dev *d, CUresult r, const char *what) {
	const char *s = 0;
	cuGetErrorString(r, &s);
	snprintf(d->err, sizeof d->err, "%s: CUDA error %d (%s)", what, (int)r, s ? s : "unknown");
	return 1;
}
static int dnn_fail(mdg_dev *d, cudnnStatus_t r, const char *what) {
	char last[256] = {0};
	cudnnGetLastErrorString(last, sizeof last);
	snprintf(d->err, sizeof d->err, "%s: cuDNN %s %s", what, cudnnGetErrorString(r), last);
	return 1;
}
static int blas_fail(mdg_dev *d, cublasStatus_t r, const char *what) {
	snprintf(d->err, sizeof d->err, "%s: cuBLAS status %d", what, (int)r);
	return 1;
}
#define CU(call, what) do { CUresult r_ = (call); if (r_ != CUDA_SUCCESS) return cu_fail(d, r_, what); } while (0)
#define DNN(call, what) do { cudnnStatus_t r_ = (call); if (r_ != CUDNN_STATUS_SUCCESS) return dnn_fail(d, r_, what); } while (0)
#define BLAS(call, what) do { cublasStatus_t r_ = (call); if (r_ != CUBLAS_STATUS_SUCCESS) return blas_fail(d, r_, what); } while (0)

static const float one = 1.0f, zero = 0.0f;

int mdg_open(mdg_dev *d, int ordinal, const char *ptx) {
	memset(d, 0, sizeof *d);
	CU(cuInit(0), "cuInit");
	CU(cuDeviceGet(&d->dev, ordinal), "cuDeviceGet");
	CU(cuDevicePrimaryCtxRetain(&d->ctx, d->dev), "cuDevicePrimaryCtxRetain");
	CU(cuCtxSetCurrent(d->ctx), "cuCtxSetCurrent");
	CU(cuStreamCreate(&d->stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
	CU(cuStreamCreate(&d->copy, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
	CU(cuEventCreate(&d->copied, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
	for (int i = 0; i < MDG_MARKS; i++) {
		CU(cuEventCreate(&d->fetched[i], CU_EVENT_DISABLE_TIMING), "cuEventCreate");
		CU(cuEventCreate(&d->freed[i], CU_EVENT_DISABLE_TIMING), "cuEventCreate");
	}
	DNN(cudnnCreate(&d->dnn), "cudnnCreate");
	DNN(cudnnSetStream(d->dnn, (cudaStream_t)d->stream), "cudnnSetStream");
	BLAS(cublasCreate(&d->blas), "cublasCreate");
	BLAS(cublasSetStream(d->blas, (cudaStream_t)d->stream), "cublasSetStream");
	CU(cuModuleLoadData(&d->mod, ptx), "loading the project's kernels (PTX)");
	d->args = (void **)calloc(MD_MAX_ARGS, sizeof(void *));
	d->vals = (long long *)calloc(MD_MAX_ARGS, sizeof(long long));
	if (!d->args || !d->vals) { snprintf(d->err, sizeof d->err, "out of host memory"); return 1; }
	for (int i = 0; i < MD_MAX_ARGS; i++) d->args[i] = &d->vals[i];
	return 0;
}

void mdg_close(mdg_dev *d) {
	if (!d->ctx) return;
	cuCtxSetCurrent(d->ctx);
	if (d->ws) cuMemFree(d->ws);
	if (d->pool) cudnnDestroyPoolingDescriptor(d->pool);
	free(d->args);
	free(d->vals);
	if (d->mod) cuModuleUnload(d->mod);
	if (d->blas) cublasDestroy(d->blas);
	if (d->dnn) cudnnDestroy(d->dnn);
	if (d->copied) cuEventDestroy(d->copied);
	for (int i = 0; i < MDG_MARKS; i++) {
		if (d->fetched[i]) cuEventDestroy(d->fetched[i]);
		if (d->freed[i]) cuEventDestroy(d->freed[i]);
	}
	if (d->copy) cuStreamDestroy(d->copy);
	if (d->stream) cuStreamDestroy(d->stream);
	cuDevicePrimaryCtxRelease(d->dev);
	d->ctx = 0;
}

int mdg_bind(mdg_dev *d) { CU(cuCtxSetCurrent(d->ctx), "cuCtxSetCurrent"); return 0; }
int mdg_sync(mdg_dev *d) { CU(cuStreamSynchronize(d->stream), "running the step on the GPU"); return 0; }

int mdg_alloc(mdg_dev *d, size_t bytes, CUdeviceptr *p) {
	CU(cuMemAlloc(p, bytes ? bytes : 4), "cuMemAlloc");
	return 0;
}
int mdg_free(mdg_dev *d, CUdeviceptr p) { CU(cuMemFree(p), "cuMemFree"); return 0; }
int mdg_upload(mdg_dev *d, CUdeviceptr dst, const void *src, size_t bytes) {
	/* From pageable memory the call returns once src is staged. */
	CU(cuMemcpyHtoDAsync(dst, src, bytes, d->stream), "copy to the GPU");
	return 0;
}
int mdg_download(mdg_dev *d, void *dst, CUdeviceptr src, size_t bytes) {
	CU(cuStreamSynchronize(d->stream), "running the step on the GPU");
	CU(cuMemcpyDtoH(dst, src, bytes), "copy from the GPU");
	return 0;
}
/* mdg_download_async queues a copy into page-locked dst on the step's
 * stream; the host may read dst once mdg_wait_mark has returned for a
 * mark queued after it. */
int mdg_download_async(mdg_dev *d, void *dst, CUdeviceptr src, size_t bytes) {
	CU(cuMemcpyDtoHAsync(dst, src, bytes, d->stream), "copy from the GPU");
	return 0;
}
int mdg_mark(mdg_dev *d, int slot) { CU(cuEventRecord(d->fetched[slot], d->stream), "cuEventRecord"); return 0; }
int mdg_wait_mark(mdg_dev *d, int slot) { CU(cuEventSynchronize(d->fetched[slot]), "running the step on the GPU"); return 0; }
int mdg_copy(mdg_dev *d, CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
	CU(cuMemcpyDtoDAsync(dst, src, bytes, d->stream), "copy on the GPU");
	return 0;
}
int mdg_copy2d(mdg_dev *d, CUdeviceptr dst, size_t dpitch, CUdeviceptr src, size_t spitch, size_t width, size_t rows) {
	CUDA_MEMCPY2D m;
	memset(&m, 0, sizeof m);
	m.srcMemoryType = CU_MEMORYTYPE_DEVICE;
	m.srcDevice = src;
	m.srcPitch = spitch;
	m.dstMemoryType = CU_MEMORYTYPE_DEVICE;
	m.dstDevice = dst;
	m.dstPitch = dpitch;
	m.WidthInBytes = width;
	m.Height = rows;
	CU(cuMemcpy2DAsync(&m, d->stream), "strided copy on the GPU");
	return 0;
}
int mdg_host_alloc(mdg_dev *d, size_t bytes, void **p) {
	CU(cuMemHostAlloc(p, bytes ? bytes : 4, 0), "pinned host memory");
	return 0;
}
void mdg_host_free(void *p) { if (p) cuMemFreeHost(p); }

/* mdg_upload_pinned copies from pinned host memory on the copy stream and
 * makes the step's stream wait for it: the copy overlaps what the step's
 * stream is still doing. dst is input buffer slot: the copy first waits
 * for the last step that read it (mdg_release_input) to be done with it,
 * which matters when a step is queued before the one two back has run
 * (a pipeline); an event never recorded is no wait. */
int mdg_upload_pinned(mdg_dev *d, CUdeviceptr dst, const void *src, size_t bytes, int slot) {
	CU(cuStreamWaitEvent(d->copy, d->freed[slot], 0), "cuStreamWaitEvent");
	CU(cuMemcpyHtoDAsync(dst, src, bytes, d->copy), "copy to the GPU");
	CU(cuEventRecord(d->copied, d->copy), "cuEventRecord");
	CU(cuStreamWaitEvent(d->stream, d->copied, 0), "cuStreamWaitEvent");
	return 0;
}

/* mdg_release_input marks the point on the step's stream past which the
 * step queued so far no longer reads input buffer slot. */
int mdg_release_input(mdg_dev *d, int slot) { CU(cuEventRecord(d->freed[slot], d->stream), "cuEventRecord"); return 0; }

int mdg_zero(mdg_dev *d, CUdeviceptr p, size_t bytes) {
	CU(cuMemsetD8Async(p, 0, bytes, d->stream), "clearing GPU memory");
	return 0;
}
int mdg_mem(mdg_dev *d, size_t *freeB, size_t *totalB) {
	CU(cuMemGetInfo(freeB, totalB), "cuMemGetInfo");
	return 0;
}

int mdg_tensor(mdg_dev *d, cudnnTensorDescriptor_t *t, int n, int c, int h, int w) {
	return mdg_tensor_as(d, t, n, c, h, w, 0);
}
/* bf16: bfloat16 values in NHWC order (--precision bf16); else float32
 * NCHW. */
int mdg_tensor_as(mdg_dev *d, cudnnTensorDescriptor_t *t, int n, int c, int h, int w, int bf16) {
	DNN(cudnnCreateTensorDescriptor(t), "cudnnCreateTensorDescriptor");
	DNN(cudnnSetTensor4dDescriptor(*t, bf16 ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW,
	                               bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT, n, c, h, w),
	    "tensor descriptor");
	return 0;
}
void mdg_tensor_free(cudnnTensorDescriptor_t t) { cudnnDestroyTensorDescriptor(t); }

/* mdg_conv_init describes a convolution of x [n,c,h,w] with k kernels of
 * r×r (padding pad, stride 1) and picks each pass's fastest algorithm by
 * timing them on the given buffers (cuDNN's Find…Ex), with at most
 * wsLimit bytes of workspace in d->ws, which it grows to the largest
 * chosen. dx and dw may be 0 (no input or kernel gradient). tf32 lets cuDNN use TF32
 * tensor cores (PyTorch's default); otherwise plain float32 FMA. bf16:
 * x, y and their gradients NHWC bfloat16 and the kernels KRSC bfloat16,
 * summed in float32 on the tensor cores (what PyTorch's channels-last
 * bf16 autocast hands cuDNN). */
/* strict float32 (tf32 off) keeps to the direct and GEMM-based
 * algorithms in FMA math: FFT and Winograd round differently. No pick
 * may convert its data down (CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: float32
 * through half precision), now that each pass runs in its pick's math
 * type (conv_use). */
static int fwd_ok(int tf32, cudnnConvolutionFwdAlgoPerf_t p) {
	if (p.status != CUDNN_STATUS_SUCCESS || p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return 0;
	if (tf32) return 1;
	return p.mathType == CUDNN_FMA_MATH && p.algo != CUDNN_CONVOLUTION_FWD_ALGO_FFT &&
	       p.algo != CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING && p.algo != CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD &&
	       p.algo != CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
}
static int bwd_ok(int tf32, cudnnConvolutionBwdDataAlgoPerf_t p) {
	if (p.status != CUDNN_STATUS_SUCCESS || p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return 0;
	if (tf32) return 1;
	return p.mathType == CUDNN_FMA_MATH && p.algo != CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT &&
	       p.algo != CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING && p.algo != CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD &&
	       p.algo != CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED;
}
static int bwf_ok(int tf32, cudnnConvolutionBwdFilterAlgoPerf_t p) {
	if (p.status != CUDNN_STATUS_SUCCESS || p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return 0;
	if (tf32) return 1;
	return p.mathType == CUDNN_FMA_MATH && p.algo != CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT &&
	       p.algo != CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING &&
	       p.algo != CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED;
}

/* conv_desc describes a stride-1 convolution with padding pad, summed in
 * float32, in math type m. */
static int conv_desc(mdg_dev *d, cudnnConvolutionDescriptor_t *c, int pad, cudnnMathType_t m) {
	DNN(cudnnCreateConvolutionDescriptor(c), "convolution descriptor");
	DNN(cudnnSetConvolution2dDescriptor(*c, pad, pad, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
	    "convolution descriptor");
	DNN(cudnnSetConvolutionMathType(*c, m), "convolution math type");
	return 0;
}

/* The search reports each algorithm's time together with the math type it
 * ran in (perf.mathType), and since cuDNN 7.4 an algorithm runs on the
 * tensor cores or not by the algorithm and the descriptor's math type
 * together (PyTorch's cuDNN convolutions set each pick's math type on the
 * descriptor before they run it, for the same reason): so each pass runs
 * in its pick's own type. float32 searches in CUDNN_DEFAULT_MATH (TF32
 * allowed) or, strict, CUDNN_FMA_MATH (and takes FMA picks only);
 * bfloat16 searches with CUDNN_TENSOR_OP_MATH, as PyTorch asks for half
 * precision. Up to the twenty-fourth session every pass ran in the
 * search's type, and bfloat16 convolutions did not run as timed: on the
 * H100 vgg-s at 256 spent 102 of a step's 120 ms in four input-gradient
 * convolutions, 30 times float32's. */
static int conv_use(mdg_dev *d, cudnnConvolutionDescriptor_t c, cudnnMathType_t picked, cudnnMathType_t *used) {
	DNN(cudnnSetConvolutionMathType(c, picked), "convolution math type");
	*used = picked;
	return 0;
}

int mdg_conv_init(mdg_dev *d, mdg_conv *cv, int n, int c, int h, int w, int k, int r, int pad, int tf32, int bf16,
                 CUdeviceptr x, CUdeviceptr wt, CUdeviceptr y, CUdeviceptr dx, CUdeviceptr dw, size_t wsLimit) {
	memset(cv, 0, sizeof *cv);
	int ho = h + 2 * pad - r + 1, wo = w + 2 * pad - r + 1;
	if (mdg_tensor_as(d, &cv->x, n, c, h, w, bf16) || mdg_tensor_as(d, &cv->y, n, k, ho, wo, bf16)) return 1;
	if (bf16) tf32 = 1; /* tensor cores: any algorithm */
	DNN(cudnnCreateFilterDescriptor(&cv->w), "filter descriptor");
	DNN(cudnnSetFilter4dDescriptor(cv->w, bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT,
	                               bf16 ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW, k, c, r, r),
	    "filter descriptor");
	cudnnMathType_t search = bf16 ? CUDNN_TENSOR_OP_MATH : tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
	cv->mathFwd = cv->mathBwd = cv->mathBwf = search;
	if (conv_desc(d, &cv->c, pad, search) || conv_desc(d, &cv->cd, pad, search) || conv_desc(d, &cv->cf, pad, search))
		return 1;
	CUdeviceptr ws = 0;
	CU(cuMemAlloc(&ws, wsLimit), "the convolution search's workspace");
	int got = 0;
	cudnnConvolutionFwdAlgoPerf_t pf[8];
	cudnnStatus_t s = cudnnFindConvolutionForwardAlgorithmEx(d->dnn, cv->x, (void *)x, cv->w, (void *)wt, cv->c, cv->y,
	                                                         (void *)y, 8, &got, pf, (void *)ws, wsLimit);
	int ok = 0;
	for (int i = 0; s == CUDNN_STATUS_SUCCESS && i < got && !ok; i++)
		if (fwd_ok(tf32, pf[i])) { cv->fwd = pf[i].algo; cv->wsFwd = pf[i].memory; cv->msFwd = pf[i].time; ok = 1; if (conv_use(d, cv->c, pf[i].mathType, &cv->mathFwd)) { cuMemFree(ws); return 1; } }
	if (!ok) { cuMemFree(ws); return s != CUDNN_STATUS_SUCCESS ? dnn_fail(d, s, "choosing the forward convolution") : dnn_fail(d, CUDNN_STATUS_NOT_SUPPORTED, "no forward convolution algorithm"); }
	if (dx) {
		cudnnConvolutionBwdDataAlgoPerf_t pd[8];
		s = cudnnFindConvolutionBackwardDataAlgorithmEx(d->dnn, cv->w, (void *)wt, cv->y, (void *)y, cv->cd, cv->x,
		                                                (void *)dx, 8, &got, pd, (void *)ws, wsLimit);
		ok = 0;
		for (int i = 0; s == CUDNN_STATUS_SUCCESS && i < got && !ok; i++)
			if (bwd_ok(tf32, pd[i])) { cv->bwd = pd[i].algo; cv->wsBwd = pd[i].memory; cv->msBwd = pd[i].time; ok = 1; if (conv_use(d, cv->cd, pd[i].mathType, &cv->mathBwd)) { cuMemFree(ws); return 1; } }
		if (!ok) { cuMemFree(ws); return dnn_fail(d, s != CUDNN_STATUS_SUCCESS ? s : CUDNN_STATUS_NOT_SUPPORTED, "choosing the input-gradient convolution"); }
	}
	if (!dw) goto done;
	cudnnConvolutionBwdFilterAlgoPerf_t pw[8];
	s = cudnnFindConvolutionBackwardFilterAlgorithmEx(d->dnn, cv->x, (void *)x, cv->y, (void *)y, cv->cf, cv->w,
	                                                  (void *)dw, 8, &got, pw, (void *)ws, wsLimit);
	ok = 0;
	for (int i = 0; s == CUDNN_STATUS_SUCCESS && i < got && !ok; i++)
		if (bwf_ok(tf32, pw[i])) { cv->bwf = pw[i].algo; cv->wsBwf = pw[i].memory; cv->msBwf = pw[i].time; ok = 1; if (conv_use(d, cv->cf, pw[i].mathType, &cv->mathBwf)) { cuMemFree(ws); return 1; } }
	if (!ok) { cuMemFree(ws); return dnn_fail(d, s != CUDNN_STATUS_SUCCESS ? s : CUDNN_STATUS_NOT_SUPPORTED, "choosing the kernel-gradient convolution"); }
done:
	cuMemFree(ws);
	size_t need = cv->wsFwd;
	if (cv->wsBwd > need) need = cv->wsBwd;
	if (cv->wsBwf > need) need = cv->wsBwf;
	if (need > d->wsSize) {
		if (d->ws) CU(cuMemFree(d->ws), "cuMemFree");
		d->ws = 0;
		CU(cuMemAlloc(&d->ws, need), "the convolutions' workspace");
		d->wsSize = need;
	}
	return 0;
}

void mdg_conv_free(mdg_conv *cv) {
	if (cv->x) cudnnDestroyTensorDescriptor(cv->x);
	if (cv->y) cudnnDestroyTensorDescriptor(cv->y);
	if (cv->w) cudnnDestroyFilterDescriptor(cv->w);
	if (cv->c) cudnnDestroyConvolutionDescriptor(cv->c);
	if (cv->cd) cudnnDestroyConvolutionDescriptor(cv->cd);
	if (cv->cf) cudnnDestroyConvolutionDescriptor(cv->cf);
	memset(cv, 0, sizeof *cv);
}

int mdg_conv_fwd(mdg_dev *d, mdg_conv *cv, CUdeviceptr x, CUdeviceptr w, CUdeviceptr y) {
	DNN(cudnnConvolutionForward(d->dnn, &one, cv->x, (void *)x, cv->w, (void *)w, cv->c, cv->fwd, (void *)d->ws,
	                            d->wsSize, &zero, cv->y, (void *)y), "convolution");
	return 0;
}
int mdg_conv_bwd_data(mdg_dev *d, mdg_conv *cv, CUdeviceptr w, CUdeviceptr dy, CUdeviceptr dx) {
	DNN(cudnnConvolutionBackwardData(d->dnn, &one, cv->w, (void *)w, cv->y, (void *)dy, cv->cd, cv->bwd, (void *)d->ws,
	                                 d->wsSize, &zero, cv->x, (void *)dx), "convolution's input gradient");
	return 0;
}
int mdg_conv_bwd_filter(mdg_dev *d, mdg_conv *cv, CUdeviceptr x, CUdeviceptr dy, CUdeviceptr dw) {
	DNN(cudnnConvolutionBackwardFilter(d->dnn, &one, cv->x, (void *)x, cv->y, (void *)dy, cv->cf, cv->bwf,
	                                   (void *)d->ws, d->wsSize, &zero, cv->w, (void *)dw), "convolution's kernel gradient");
	return 0;
}
int mdg_add_bias(mdg_dev *d, cudnnTensorDescriptor_t y, CUdeviceptr yp, cudnnTensorDescriptor_t b, CUdeviceptr bp) {
	DNN(cudnnAddTensor(d->dnn, &one, b, (void *)bp, &one, y, (void *)yp), "adding a bias");
	return 0;
}
int mdg_bias_grad(mdg_dev *d, cudnnTensorDescriptor_t dy, CUdeviceptr dyp, cudnnTensorDescriptor_t db, CUdeviceptr dbp) {
	DNN(cudnnConvolutionBackwardBias(d->dnn, &one, dy, (void *)dyp, &zero, db, (void *)dbp), "a bias's gradient");
	return 0;
}

static cudnnBatchNormMode_t bn_mode(int persistent) {
	return persistent ? CUDNN_BATCHNORM_SPATIAL_PERSISTENT : CUDNN_BATCHNORM_SPATIAL;
}
int mdg_bn_train(mdg_dev *d, int persistent, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t ch, CUdeviceptr xp, CUdeviceptr yp,
                CUdeviceptr gamma, CUdeviceptr beta, double momentum, CUdeviceptr runMean, CUdeviceptr runVar,
                double eps, CUdeviceptr saveMean, CUdeviceptr saveInv) {
	DNN(cudnnBatchNormalizationForwardTraining(d->dnn, bn_mode(persistent), &one, &zero, x, (void *)xp, x,
	                                           (void *)yp, ch, (void *)gamma, (void *)beta, momentum, (void *)runMean,
	                                           (void *)runVar, eps, (void *)saveMean, (void *)saveInv),
	    "BatchNorm");
	return 0;
}
int mdg_bn_infer(mdg_dev *d, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t ch, CUdeviceptr xp, CUdeviceptr yp,
                CUdeviceptr gamma, CUdeviceptr beta, CUdeviceptr runMean, CUdeviceptr runVar, double eps) {
	DNN(cudnnBatchNormalizationForwardInference(d->dnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, x, (void *)xp, x,
	                                            (void *)yp, ch, (void *)gamma, (void *)beta, (void *)runMean,
	                                            (void *)runVar, eps),
	    "BatchNorm (evaluation)");
	return 0;
}
int mdg_bn_bwd(mdg_dev *d, int persistent, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t ch, CUdeviceptr xp, CUdeviceptr dy,
              CUdeviceptr dx, CUdeviceptr gamma, CUdeviceptr dgamma, CUdeviceptr dbeta, double eps,
              CUdeviceptr saveMean, CUdeviceptr saveInv) {
	DNN(cudnnBatchNormalizationBackward(d->dnn, bn_mode(persistent), &one, &zero, &one, &zero, x, (void *)xp, x,
	                                    (void *)dy, x, (void *)dx, ch, (void *)gamma, (void *)dgamma, (void *)dbeta,
	                                    eps, (void *)saveMean, (void *)saveInv),
	    "BatchNorm's gradient");
	return 0;
}

static int pool_desc(mdg_dev *d) {
	if (d->pool) return 0;
	DNN(cudnnCreatePoolingDescriptor(&d->pool), "pooling descriptor");
	DNN(cudnnSetPooling2dDescriptor(d->pool, CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, 2, 2, 0, 0, 2, 2),
	    "pooling descriptor");
	return 0;
}
int mdg_pool_fwd(mdg_dev *d, cudnnTensorDescriptor_t x, CUdeviceptr xp, cudnnTensorDescriptor_t y, CUdeviceptr yp) {
	if (pool_desc(d)) return 1;
	DNN(cudnnPoolingForward(d->dnn, d->pool, &one, x, (void *)xp, &zero, y, (void *)yp), "max pooling");
	return 0;
}
int mdg_pool_bwd(mdg_dev *d, cudnnTensorDescriptor_t x, CUdeviceptr xp, cudnnTensorDescriptor_t y, CUdeviceptr yp,
                CUdeviceptr dy, CUdeviceptr dx) {
	if (pool_desc(d)) return 1;
	DNN(cudnnPoolingBackward(d->dnn, d->pool, &one, y, (void *)yp, y, (void *)dy, x, (void *)xp, &zero, x, (void *)dx),
	    "max pooling's gradient");
	return 0;
}

/* mdg_sgemm: C = alpha·op(A)·op(B) + beta·C for row-major matrices, C m×n,
 * op(A) m×k, op(B) k×n; ta/tb transpose A/B. cuBLAS is column-major, so
 * this computes Cᵀ = op(B)ᵀ·op(A)ᵀ. */
int mdg_sgemm(mdg_dev *d, int ta, int tb, int m, int n, int k, float alpha, CUdeviceptr a, CUdeviceptr b, float beta,
             CUdeviceptr c) {
	int lda = ta ? m : k, ldb = tb ? k : n;
	BLAS(cublasSgemm(d->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha,
	                 (const float *)b, ldb, (const float *)a, lda, &beta, (float *)c, n),
	     "matrix product");
	return 0;
}
/* mdg_row_sums: y[r] = alpha·Σ_j a[r·cols + j] (a row-major rows×cols;
 * ones holds at least cols ones). */
int mdg_row_sums(mdg_dev *d, int rows, int cols, float alpha, CUdeviceptr a, CUdeviceptr ones, CUdeviceptr y) {
	BLAS(cublasSgemv(d->blas, CUBLAS_OP_T, cols, rows, &alpha, (const float *)a, cols, (const float *)ones, 1, &zero,
	                 (float *)y, 1),
	     "row sums");
	return 0;
}
/* mdg_col_sums: y[j] = Σ_r a[r·cols + j] (ones holds at least rows ones). */
int mdg_col_sums(mdg_dev *d, int rows, int cols, CUdeviceptr a, CUdeviceptr ones, CUdeviceptr y) {
	BLAS(cublasSgemv(d->blas, CUBLAS_OP_N, cols, rows, &one, (const float *)a, cols, (const float *)ones, 1, &zero,
	                 (float *)y, 1),
	     "column sums");
	return 0;
}

int mdg_gemm_tf32(mdg_dev *d, int on) {
	BLAS(cublasSetMathMode(d->blas, on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cuBLAS math mode");
	return 0;
}

/* mdg_geam: c = alpha·a + beta·b over n floats. */
int mdg_geam(mdg_dev *d, int n, float alpha, CUdeviceptr a, float beta, CUdeviceptr b, CUdeviceptr c) {
	BLAS(cublasSgeam(d->blas, CUBLAS_OP_N, CUBLAS_OP_N, n, 1, &alpha, (const float *)a, n, &beta, (const float *)b, n,
	                 (float *)c, n),
	     "adding on the GPU");
	return 0;
}

int mdg_func(mdg_dev *d, const char *name, CUfunction *f) {
	char what[128];
	snprintf(what, sizeof what, "the GPU kernel %s", name);
	CU(cuModuleGetFunction(f, d->mod, name), what);
	return 0;
}
/* mdg_launch runs f over n indices (a grid-stride loop covers any n) with
 * the first d->vals as its arguments, each 8 bytes (a float in the low
 * four). */
int mdg_launch(mdg_dev *d, CUfunction f, long n) {
	const long block = 256;
	long grid = (n + block - 1) / block;
	if (grid < 1) grid = 1;
	if (grid > 65535) grid = 65535;
	CU(cuLaunchKernel(f, (unsigned)grid, 1, 1, (unsigned)block, 1, 1, 0, d->stream, d->args, 0), "launching a GPU kernel");
	return 0;
}
