/*
 * Stride-1 1-D convolutions (XChrom's tower; the input gradient is one with the flipped
 * filter) and their filter gradient, on the wasm heap (calling convention: blas-gemm.c).
 *
 * The window of output o in the zero-padded input xp [B, wp, C] is the contiguous span
 * xp[b, o … o+fw−1, :], so im2col is one row copy per output position. Output rows are taken
 * in blocks whose im2col stays in cache, one sgemm a block; no whole im2col matrix exists
 * (built in JavaScript, it cost twice the GEMM itself: docs/adr/0005).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

/* Floats of one im2col block (256 KB). */
#define BLOCK_FLOATS (1 << 16)

typedef struct {
  float *xp, *w, *y; /* forward: w [fw·C, N], y [B, ow, N]; filter gradient: dy, dw */
  int64_t B, wp, C, fw, N, ow, K;
} Conv1dArgs;

/* (heap, xp, second, third, B, wp, C, fw, N) with every operand inside the heap. */
static bool conv1d_args(napi_env env, napi_callback_info info, bool filterGrad, Conv1dArgs *a) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 9) {
    napi_throw_type_error(env, NULL, "chromflow-blas conv1d: expected 9 arguments");
    return false;
  }
  void *data = NULL;
  size_t bytes = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &data, &bytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "chromflow-blas conv1d: argument 0 must be the heap");
    return false;
  }
  int64_t v[8];
  for (int i = 0; i < 8; i++) {
    double d;
    if (napi_get_value_double(env, argv[i + 1], &d) != napi_ok) {
      napi_throw_type_error(env, NULL, "chromflow-blas conv1d: offsets and sizes must be numbers");
      return false;
    }
    v[i] = (int64_t)d;
  }
  a->B = v[3], a->wp = v[4], a->C = v[5], a->fw = v[6], a->N = v[7];
  a->ow = a->wp - a->fw + 1;
  a->K = a->fw * a->C;
  if (a->B < 0 || a->C < 1 || a->fw < 1 || a->N < 1 || a->ow < 1) {
    napi_throw_range_error(env, NULL, "chromflow-blas conv1d: bad geometry");
    return false;
  }
  const size_t floats = bytes / 4;
  const size_t xpSize = (size_t)(a->B * a->wp * a->C), wSize = (size_t)(a->K * a->N),
               ySize = (size_t)(a->B * a->ow * a->N);
  /* forward: (xp, w, y); filter gradient: (xp, dy, dw). */
  const size_t sizes[3] = {xpSize, filterGrad ? ySize : wSize, filterGrad ? wSize : ySize};
  for (int i = 0; i < 3; i++) {
    if (v[i] < 0 || (size_t)v[i] + sizes[i] > floats) {
      napi_throw_range_error(env, NULL, "chromflow-blas conv1d: operand outside the heap");
      return false;
    }
  }
  float *base = (float *)data;
  a->xp = base + v[0], a->w = base + v[1], a->y = base + v[2];
  return true;
}

/* One block's product: outputs o0 … o0+r−1 of batch b, whose windows are in cols [r, K]. */
typedef int (*BlockProduct)(const Conv1dArgs *a, const float *cols, int64_t b, int64_t o0,
                            int64_t r);

/*
 * Runs `product` on every block of output rows, each block's windows copied into one
 * cache-sized buffer (BLOCK_FLOATS, at least one row). Throws, naming `name`, when the buffer
 * cannot be had or an sgemm fails.
 */
static void each_block(napi_env env, const Conv1dArgs *a, BlockProduct product, const char *name) {
  const int64_t rows = BLOCK_FLOATS / a->K;
  const int64_t R = rows < 1 ? 1 : rows;
  float *cols = malloc((size_t)(R * a->K) * sizeof(float));
  char message[96];
  if (cols == NULL) {
    snprintf(message, sizeof message, "chromflow-blas %s: out of memory", name);
    napi_throw_error(env, NULL, message);
    return;
  }
  for (int64_t b = 0; b < a->B; b++) {
    for (int64_t o0 = 0; o0 < a->ow; o0 += R) {
      const int64_t r = a->ow - o0 < R ? a->ow - o0 : R;
      const float *src = a->xp + (b * a->wp + o0) * a->C;
      for (int64_t i = 0; i < r; i++)
        memcpy(cols + i * a->K, src + i * a->C, (size_t)a->K * sizeof(float));
      if (product(a, cols, b, o0, r) != 0) {
        free(cols);
        snprintf(message, sizeof message, "chromflow-blas %s: sgemm failed", name);
        napi_throw_error(env, NULL, message);
        return;
      }
    }
  }
  free(cols);
}

/* y rows of the block = cols · w. */
static int forward_block(const Conv1dArgs *a, const float *cols, int64_t b, int64_t o0,
                         int64_t r) {
  return sgemm(false, false, r, a->N, a->K, 1.0f, cols, a->K, a->w, a->N, 0.0f,
               a->y + (b * a->ow + o0) * a->N, a->N);
}

/* dw (= a->y) += colsᵀ · dy rows of the block (dy = a->w). */
static int filter_grad_block(const Conv1dArgs *a, const float *cols, int64_t b, int64_t o0,
                             int64_t r) {
  return sgemm(true, false, a->K, a->N, r, 1.0f, cols, a->K, a->w + (b * a->ow + o0) * a->N,
               a->N, 1.0f, a->y, a->N);
}

/* conv1d(heap, xp, w, y, B, wp, C, fw, N): y [B, ow, N] = windows of xp [B, wp, C] · w [fw·C, N]. */
napi_value Conv1d(napi_env env, napi_callback_info info) {
  Conv1dArgs a;
  if (conv1d_args(env, info, false, &a)) each_block(env, &a, forward_block, "conv1d");
  return NULL;
}

/*
 * conv1dFilterGrad(heap, xp, dy, dw, B, wp, C, fw, N): dw [fw·C, N] = Σ over (b, o) of the
 * window of output o times dy[b, o, :], each block's product added into dw.
 */
napi_value Conv1dFilterGrad(napi_env env, napi_callback_info info) {
  Conv1dArgs a;
  if (!conv1d_args(env, info, true, &a)) return NULL;
  memset(a.y, 0, (size_t)(a.K * a.N) * sizeof(float));
  each_block(env, &a, filter_grad_block, "conv1dFilterGrad");
  return NULL;
}
