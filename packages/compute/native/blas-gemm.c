/*
 * chromflow native GEMM: float32 matrix products computed in place inside
 * the TF.js wasm backend's heap with the machine's CBLAS (OpenBLAS).
 *
 * Every call receives the heap's ArrayBuffer (fetched by the caller on each
 * call: the heap moves when wasm memory grows) and element offsets into it,
 * so no tensor is copied. Transposes are folded into the BLAS call; batched
 * products loop here, in C.
 */
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#include "gemm.h"

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "chromflow-blas: N-API call failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

/*
 * gemm(heap: ArrayBuffer, transA: bool, transB: bool, M, N, K,
 *      offsets: Float64Array [3·batch] (a, b, c element offsets per product),
 *      bias: element offset of a [N] bias or -1, relu: bool)
 * C[M,N] = op(A)[M,K] · op(B)[K,N] (+ bias per column) (then max(0, ·)).
 * A is stored [M,K] (or [K,M] when transA), B [K,N] (or [N,K] when transB),
 * all row-major.
 */
static napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9) {
    napi_throw_type_error(env, NULL, "chromflow-blas gemm: expected 9 arguments");
    return NULL;
  }
  void *heap = NULL;
  size_t heapBytes = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &heap, &heapBytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "chromflow-blas gemm: argument 0 must be an ArrayBuffer");
    return NULL;
  }
  bool transA = false, transB = false, relu = false;
  CHECK(napi_get_value_bool(env, argv[1], &transA));
  CHECK(napi_get_value_bool(env, argv[2], &transB));
  int64_t M, N, K, bias;
  if (!get_i64(env, argv[3], &M) || !get_i64(env, argv[4], &N) || !get_i64(env, argv[5], &K) ||
      !get_i64(env, argv[7], &bias)) {
    napi_throw_type_error(env, NULL, "chromflow-blas gemm: sizes must be numbers");
    return NULL;
  }
  CHECK(napi_get_value_bool(env, argv[8], &relu));
  napi_typedarray_type type;
  size_t count = 0;
  void *offData = NULL;
  if (napi_get_typedarray_info(env, argv[6], &type, &count, &offData, NULL, NULL) != napi_ok ||
      type != napi_float64_array || count % 3 != 0) {
    napi_throw_type_error(env, NULL, "chromflow-blas gemm: offsets must be a Float64Array of 3·batch");
    return NULL;
  }
  const double *off = (const double *)offData;
  const size_t heapFloats = heapBytes / 4;
  const size_t sizeA = (size_t)M * (size_t)K, sizeB = (size_t)K * (size_t)N,
               sizeC = (size_t)M * (size_t)N;
  float *base = (float *)heap;
  if (bias >= 0 && (size_t)bias + (size_t)N > heapFloats) {
    napi_throw_range_error(env, NULL, "chromflow-blas gemm: bias outside the heap");
    return NULL;
  }
  for (size_t i = 0; i < count; i += 3) {
    if (off[i] < 0 || off[i + 1] < 0 || off[i + 2] < 0 || (size_t)off[i] + sizeA > heapFloats ||
        (size_t)off[i + 1] + sizeB > heapFloats || (size_t)off[i + 2] + sizeC > heapFloats) {
      napi_throw_range_error(env, NULL, "chromflow-blas gemm: operand outside the heap");
      return NULL;
    }
  }
  const int lda = transA ? (int)M : (int)K;
  const int ldb = transB ? (int)K : (int)N;
  for (size_t i = 0; i < count; i += 3) {
    const float *a = base + (size_t)off[i];
    const float *b = base + (size_t)off[i + 1];
    float *c = base + (size_t)off[i + 2];
    float beta = 0.0f;
    if (bias >= 0) {
      const float *bv = base + bias;
      for (int64_t r = 0; r < M; r++) memcpy(c + r * N, bv, (size_t)N * sizeof(float));
      beta = 1.0f;
    }
    if (K == 0) {
      if (bias < 0) memset(c, 0, sizeC * sizeof(float));
    } else {
      if (sgemm(transA, transB, M, N, K, 1.0f, a, lda, b, ldb, beta, c, N) != 0) {
        napi_throw_error(env, NULL, "chromflow-blas gemm: sgemm failed");
        return NULL;
      }
    }
    if (relu)
      for (size_t j = 0; j < sizeC; j++) c[j] = c[j] > 0.0f ? c[j] : 0.0f;
  }
  return NULL;
}

/*
 * setThreads(n): BLAS threads. OpenBLAS: for calls from any thread of this
 * process; oneDNN (OpenMP): for calls from the calling thread only, so each
 * worker thread sets its own.
 */
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) {
    napi_throw_type_error(env, NULL, "chromflow-blas setThreads: expected a positive integer");
    return NULL;
  }
#ifdef CHROMFLOW_DNNL
  omp_set_num_threads(n);
#else
  openblas_set_num_threads(n);
#endif
  return NULL;
}

static napi_value Info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, name, config, threads;
  CHECK(napi_create_object(env, &obj));
#ifdef CHROMFLOW_DNNL
  const char *cfg = "oneDNN dnnl_sgemm (OpenMP)";
  const int n = omp_get_max_threads();
#else
  const char *cfg = openblas_get_config();
  const int n = openblas_get_num_threads();
#endif
  CHECK(napi_create_string_utf8(env, BLAS_NAME, NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_string_utf8(env, cfg == NULL ? "" : cfg, NAPI_AUTO_LENGTH, &config));
  CHECK(napi_create_int32(env, n, &threads));
  CHECK(napi_set_named_property(env, obj, "blas", name));
  CHECK(napi_set_named_property(env, obj, "config", config));
  CHECK(napi_set_named_property(env, obj, "threads", threads));
  return obj;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"gemm", NULL, Gemm, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, Info, NULL, NULL, NULL, napi_default, NULL},
      {"attention", NULL, Attention, NULL, NULL, NULL, napi_default, NULL},
      {"attentionGrad", NULL, AttentionGrad, NULL, NULL, NULL, napi_default, NULL},
      {"geluErf", NULL, GeluErf, NULL, NULL, NULL, napi_default, NULL},
      {"geluErfGrad", NULL, GeluErfGrad, NULL, NULL, NULL, napi_default, NULL},
      {"colSum", NULL, ColSum, NULL, NULL, NULL, napi_default, NULL},
      {"layerNorm", NULL, LayerNorm, NULL, NULL, NULL, napi_default, NULL},
      {"conv1d", NULL, Conv1d, NULL, NULL, NULL, napi_default, NULL},
      {"conv1dFilterGrad", NULL, Conv1dFilterGrad, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormGrad", NULL, LayerNormGrad, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok)
    return NULL;
  return exports;
}
