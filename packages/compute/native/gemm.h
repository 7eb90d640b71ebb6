/* The GEMM library behind chromflow's native kernels, chosen at build time (native/build.mjs). */
#ifndef CHROMFLOW_GEMM_H
#define CHROMFLOW_GEMM_H
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef CHROMFLOW_DNNL
/*
 * oneDNN's C GEMM (row-major, stable since oneDNN 1.0). Declared here so the
 * runtime library alone (Debian libdnnl2, which python3-torch pulls in)
 * suffices; with libdnnl-dev installed this matches <oneapi/dnnl/dnnl.h>.
 */
typedef int64_t dnnl_dim_t;
extern int dnnl_sgemm(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K,
                      float alpha, const float *A, dnnl_dim_t lda, const float *B, dnnl_dim_t ldb,
                      float beta, float *C, dnnl_dim_t ldc);
/* oneDNN's Debian build threads with OpenMP: the thread count is per calling thread. */
extern void omp_set_num_threads(int);
extern int omp_get_max_threads(void);
#define BLAS_NAME "oneDNN"
#else
#include <cblas.h>
/* OpenBLAS extensions (declared by its cblas.h, re-declared for other CBLAS). */
extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);
#define BLAS_NAME "OpenBLAS"
#endif

/* Row-major C = alpha·op(A)·op(B) + beta·C with leading dimensions; 0 on success. */
static inline int sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                        const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                        float *c, int64_t ldc) {
#ifdef CHROMFLOW_DNNL
  return dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, alpha, a, lda, b, ldb, beta,
                    c, ldc);
#else
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha, a, (int)lda, b,
              (int)ldb, beta, c, (int)ldc);
  return 0;
#endif
}

/* Fused kernels (fused.c). */
napi_value Attention(napi_env env, napi_callback_info info);
napi_value AttentionGrad(napi_env env, napi_callback_info info);
napi_value GeluErf(napi_env env, napi_callback_info info);
napi_value GeluErfGrad(napi_env env, napi_callback_info info);
napi_value ColSum(napi_env env, napi_callback_info info);
napi_value LayerNorm(napi_env env, napi_callback_info info);
napi_value LayerNormGrad(napi_env env, napi_callback_info info);

/* 1-D convolutions (conv1d.c). */
napi_value Conv1d(napi_env env, napi_callback_info info);
napi_value Conv1dFilterGrad(napi_env env, napi_callback_info info);

#endif
