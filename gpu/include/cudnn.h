/*
 * maskdash's compatibility wrapper for gorgonia.org/cu/dnn v0.9.6 on
 * cuDNN 9. cuDNN 9 removed the algorithm-descriptor and persistent-RNN
 * APIs and changed cudnnSetRNNDescriptor_v8; gorgonia.org/cu/dnn still names
 * them. None of them is on the convolution path, so here they are declared
 * and answer CUDNN_STATUS_NOT_SUPPORTED.
 */
#ifndef MASKDASH_CUDNN_COMPAT_H
#define MASKDASH_CUDNN_COMPAT_H

#include_next <cudnn.h>

#if CUDNN_MAJOR >= 9

typedef struct maskdashAlgorithmStruct *cudnnAlgorithmDescriptor_t;
typedef struct maskdashAlgorithmPerformanceStruct *cudnnAlgorithmPerformance_t;
typedef struct maskdashPersistentRNNPlan *cudnnPersistentRNNPlan_t;

typedef struct cudnnAlgorithmUnionStruct {
	union Algorithm {
		cudnnConvolutionFwdAlgo_t convFwdAlgo;
		cudnnConvolutionBwdFilterAlgo_t convBwdFilterAlgo;
		cudnnConvolutionBwdDataAlgo_t convBwdDataAlgo;
		cudnnRNNAlgo_t RNNAlgo;
		cudnnCTCLossAlgo_t CTCLossAlgo;
	} algo;
} cudnnAlgorithm_t;

static inline cudnnStatus_t cudnnCreateAlgorithmDescriptor(cudnnAlgorithmDescriptor_t *d) { (void)d; return CUDNN_STATUS_NOT_SUPPORTED; }
static inline cudnnStatus_t cudnnSetAlgorithmDescriptor(cudnnAlgorithmDescriptor_t d, cudnnAlgorithm_t a) { (void)d; (void)a; return CUDNN_STATUS_NOT_SUPPORTED; }
static inline cudnnStatus_t cudnnDestroyAlgorithmDescriptor(cudnnAlgorithmDescriptor_t d) { (void)d; return CUDNN_STATUS_NOT_SUPPORTED; }
static inline cudnnStatus_t cudnnCreateAlgorithmPerformance(cudnnAlgorithmPerformance_t *p, int n) { (void)p; (void)n; return CUDNN_STATUS_NOT_SUPPORTED; }
static inline cudnnStatus_t cudnnSetAlgorithmPerformance(cudnnAlgorithmPerformance_t p, cudnnAlgorithmDescriptor_t d, cudnnStatus_t s, float t, size_t m) {
	(void)p; (void)d; (void)s; (void)t; (void)m; return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnDestroyAlgorithmPerformance(cudnnAlgorithmPerformance_t *p, int n) { (void)p; (void)n; return CUDNN_STATUS_NOT_SUPPORTED; }
static inline cudnnStatus_t cudnnCreatePersistentRNNPlan(cudnnRNNDescriptor_t r, int b, cudnnDataType_t t, cudnnPersistentRNNPlan_t *p) {
	(void)r; (void)b; (void)t; (void)p; return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnSetPersistentRNNPlan(cudnnRNNDescriptor_t r, cudnnPersistentRNNPlan_t p) { (void)r; (void)p; return CUDNN_STATUS_NOT_SUPPORTED; }
static inline cudnnStatus_t cudnnDestroyPersistentRNNPlan(cudnnPersistentRNNPlan_t p) { (void)p; return CUDNN_STATUS_NOT_SUPPORTED; }
static inline cudnnStatus_t cudnnSetRNNMatrixMathType(cudnnRNNDescriptor_t r, cudnnMathType_t m) { (void)r; (void)m; return CUDNN_STATUS_NOT_SUPPORTED; }

/* The old ten-argument call; cuDNN 9's cudnnSetRNNDescriptor_v8 takes more. */
static inline cudnnStatus_t maskdashSetRNNDescriptorOld(cudnnHandle_t h, cudnnRNNDescriptor_t r, int hidden, int layers,
		cudnnDropoutDescriptor_t d, cudnnRNNInputMode_t in, cudnnDirectionMode_t dir, cudnnRNNMode_t mode,
		cudnnRNNAlgo_t algo, cudnnDataType_t t) {
	(void)h; (void)r; (void)hidden; (void)layers; (void)d; (void)in; (void)dir; (void)mode; (void)algo; (void)t;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
#define cudnnSetRNNDescriptor_v8 maskdashSetRNNDescriptorOld

#endif /* CUDNN_MAJOR >= 9 */

#endif /* MASKDASH_CUDNN_COMPAT_H */
