/* dev.h: the C side of package gpu (build tag cuda). Every function
 * returns 0, or non-zero after writing a sentence into d->err. */
#ifndef MASKDASH_GPU_DEV_H
#define MASKDASH_GPU_DEV_H

#include <stddef.h>
#include <cuda.h>
#include <cudnn.h>
#include <cublas_v2.h>

/* Marks on the step's stream the host can wait for, one a step in
 * flight (two: a pipelined step's results are read during the next). */
#define MDG_MARKS 2

typedef struct {
	CUdevice dev;
	CUcontext ctx;
	CUstream stream;
	CUstream copy;    /* uploads of the next batch, beside the step */
	CUevent copied;   /* the last upload is done */
	CUevent freed[MDG_MARKS]; /* the last step that read input buffer slot is done with it */
	CUevent fetched[MDG_MARKS]; /* the step's stream has passed mdg_mark(slot) */
	cudnnHandle_t dnn;
	cublasHandle_t blas;
	CUmodule mod;
	CUdeviceptr ws; /* the convolutions' shared workspace */
	size_t wsSize;
	cudnnPoolingDescriptor_t pool; /* 2×2 max pooling, stride 2 */
	void **args;    /* a kernel launch's argument pointers (C memory) */
	long long *vals; /* and their values */
	char err[512];
} mdg_dev;

typedef struct {
	cudnnTensorDescriptor_t x, y;
	cudnnFilterDescriptor_t w;
	/* one description per pass (forward, input gradient, kernel
	 * gradient), each in the math type its algorithm was timed in */
	cudnnConvolutionDescriptor_t c, cd, cf;
	cudnnConvolutionFwdAlgo_t fwd;
	cudnnConvolutionBwdDataAlgo_t bwd;
	cudnnConvolutionBwdFilterAlgo_t bwf;
	cudnnMathType_t mathFwd, mathBwd, mathBwf;
	float msFwd, msBwd, msBwf; /* each pick's time in the search */
	size_t wsFwd, wsBwd, wsBwf;
} mdg_conv;

int mdg_open(mdg_dev *d, int ordinal, const char *ptx);
void mdg_close(mdg_dev *d);
int mdg_bind(mdg_dev *d);
int mdg_sync(mdg_dev *d);
int mdg_alloc(mdg_dev *d, size_t bytes, CUdeviceptr *p);
int mdg_free(mdg_dev *d, CUdeviceptr p);
int mdg_upload(mdg_dev *d, CUdeviceptr dst, const void *src, size_t bytes);
int mdg_download(mdg_dev *d, void *dst, CUdeviceptr src, size_t bytes);
int mdg_download_async(mdg_dev *d, void *dst, CUdeviceptr src, size_t bytes);
int mdg_mark(mdg_dev *d, int slot);
int mdg_wait_mark(mdg_dev *d, int slot);
int mdg_copy(mdg_dev *d, CUdeviceptr dst, CUdeviceptr src, size_t bytes);
int mdg_copy2d(mdg_dev *d, CUdeviceptr dst, size_t dpitch, CUdeviceptr src, size_t spitch, size_t width, size_t rows);
int mdg_host_alloc(mdg_dev *d, size_t bytes, void **p);
void mdg_host_free(void *p);
int mdg_upload_pinned(mdg_dev *d, CUdeviceptr dst, const void *src, size_t bytes, int slot);
int mdg_release_input(mdg_dev *d, int slot);
int mdg_zero(mdg_dev *d, CUdeviceptr p, size_t bytes);
int mdg_mem(mdg_dev *d, size_t *freeB, size_t *totalB);

int mdg_tensor(mdg_dev *d, cudnnTensorDescriptor_t *t, int n, int c, int h, int w);
int mdg_tensor_as(mdg_dev *d, cudnnTensorDescriptor_t *t, int n, int c, int h, int w, int bf16);
void mdg_tensor_free(cudnnTensorDescriptor_t t);

int mdg_conv_init(mdg_dev *d, mdg_conv *cv, int n, int c, int h, int w, int k, int r, int pad, int tf32, int bf16,
                 CUdeviceptr x, CUdeviceptr wt, CUdeviceptr y, CUdeviceptr dx, CUdeviceptr dw, size_t wsLimit);
void mdg_conv_free(mdg_conv *cv);
int mdg_conv_fwd(mdg_dev *d, mdg_conv *cv, CUdeviceptr x, CUdeviceptr w, CUdeviceptr y);
int mdg_conv_bwd_data(mdg_dev *d, mdg_conv *cv, CUdeviceptr w, CUdeviceptr dy, CUdeviceptr dx);
int mdg_conv_bwd_filter(mdg_dev *d, mdg_conv *cv, CUdeviceptr x, CUdeviceptr dy, CUdeviceptr dw);
int mdg_add_bias(mdg_dev *d, cudnnTensorDescriptor_t y, CUdeviceptr yp, cudnnTensorDescriptor_t b, CUdeviceptr bp);
int mdg_bias_grad(mdg_dev *d, cudnnTensorDescriptor_t dy, CUdeviceptr dyp, cudnnTensorDescriptor_t db, CUdeviceptr dbp);

int mdg_bn_train(mdg_dev *d, int persistent, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t ch, CUdeviceptr xp, CUdeviceptr yp,
                CUdeviceptr gamma, CUdeviceptr beta, double momentum, CUdeviceptr runMean, CUdeviceptr runVar,
                double eps, CUdeviceptr saveMean, CUdeviceptr saveInv);
int mdg_bn_infer(mdg_dev *d, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t ch, CUdeviceptr xp, CUdeviceptr yp,
                CUdeviceptr gamma, CUdeviceptr beta, CUdeviceptr runMean, CUdeviceptr runVar, double eps);
int mdg_bn_bwd(mdg_dev *d, int persistent, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t ch, CUdeviceptr xp, CUdeviceptr dy,
              CUdeviceptr dx, CUdeviceptr gamma, CUdeviceptr dgamma, CUdeviceptr dbeta, double eps,
              CUdeviceptr saveMean, CUdeviceptr saveInv);

int mdg_pool_fwd(mdg_dev *d, cudnnTensorDescriptor_t x, CUdeviceptr xp, cudnnTensorDescriptor_t y, CUdeviceptr yp);
int mdg_pool_bwd(mdg_dev *d, cudnnTensorDescriptor_t x, CUdeviceptr xp, cudnnTensorDescriptor_t y, CUdeviceptr yp,
                CUdeviceptr dy, CUdeviceptr dx);

int mdg_sgemm(mdg_dev *d, int ta, int tb, int m, int n, int k, float alpha, CUdeviceptr a, CUdeviceptr b, float beta,
             CUdeviceptr c);
int mdg_row_sums(mdg_dev *d, int rows, int cols, float alpha, CUdeviceptr a, CUdeviceptr ones, CUdeviceptr y);
int mdg_col_sums(mdg_dev *d, int rows, int cols, CUdeviceptr a, CUdeviceptr ones, CUdeviceptr y);
int mdg_gemm_tf32(mdg_dev *d, int on);
int mdg_geam(mdg_dev *d, int n, float alpha, CUdeviceptr a, float beta, CUdeviceptr b, CUdeviceptr c);

int mdg_func(mdg_dev *d, const char *name, CUfunction *f);
#define MD_MAX_ARGS 16
int mdg_launch(mdg_dev *d, CUfunction f, long n);

#endif
