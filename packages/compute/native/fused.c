/*
 * Fused transformer kernels on the wasm heap (see blas-gemm.c for the calling convention:
 * the heap's ArrayBuffer and float element offsets into it).
 *
 * Attention reads Q, K and V straight from the fused projection's layout [B, T, 3, H, dh]
 * (leading dimension 3·D) and writes heads straight into [B, T, H, dh] (leading dimension D),
 * so no transpose, split or unstack runs; the softmax is applied in place between the GEMMs
 * and the probabilities are kept for the backward pass.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

#define ARGS(n)                                                               \
  size_t argc = (n);                                                          \
  napi_value argv[(n)];                                                       \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok ||      \
      argc < (n)) {                                                           \
    napi_throw_type_error(env, NULL, "chromflow-blas: expected " #n " arguments"); \
    return NULL;                                                              \
  }

static bool heap_of(napi_env env, napi_value v, float **base, size_t *floats) {
  void *data = NULL;
  size_t bytes = 0;
  if (napi_get_arraybuffer_info(env, v, &data, &bytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "chromflow-blas: argument 0 must be the heap ArrayBuffer");
    return false;
  }
  *base = (float *)data;
  *floats = bytes / 4;
  return true;
}

static bool nums(napi_env env, napi_value *argv, size_t n, int64_t *out) {
  for (size_t i = 0; i < n; i++) {
    double d;
    if (napi_get_value_double(env, argv[i], &d) != napi_ok) {
      napi_throw_type_error(env, NULL, "chromflow-blas: sizes and offsets must be numbers");
      return false;
    }
    out[i] = (int64_t)d;
  }
  return true;
}

/* Whether [off, off + n) lies inside the heap (off = -1 allowed when optional). */
static bool inside(napi_env env, int64_t off, size_t n, size_t floats, bool optional) {
  if (optional && off == -1) return true;
  if (off < 0 || (size_t)off + n > floats) {
    napi_throw_range_error(env, NULL, "chromflow-blas: operand outside the heap");
    return false;
  }
  return true;
}

/*
 * exp(x) for x ≤ 0 without a libm call, so loops using it vectorise: x = n·ln2 + r,
 * |r| ≤ ln2/2, e^r by its degree-6 Taylor polynomial (relative error < 2e-7), 2^n through
 * the exponent bits. Inputs below −87 return 0 (e^−87 ≈ 1.6e-38, below float32's normals).
 */
static inline float exp_neg(float x) {
  if (x < -87.0f) x = -87.0f;
  const float n = nearbyintf(x * 1.44269504f);
  const float r = x - n * 0.693145752f - n * 1.42860677e-6f;
  const float p =
      1.0f +
      r * (1.0f + r * (0.5f + r * (0.166666672f +
                                   r * (0.0416666679f + r * (0.00833333377f + r * 0.00138888892f)))));
  union {
    int32_t i;
    float f;
  } scale;
  scale.i = ((int32_t)n + 127) << 23;
  return x <= -87.0f ? 0.0f : p * scale.f;
}

/*
 * attention(heap, qkv, out, probs, mask, B, T, H, dh, scale)
 * qkv [B, T, 3, H, dh]; out [B, T, H, dh]; probs [B, H, T, T] (written);
 * mask: offset of [B, T] float32 (nonzero = padding key to ignore, PyTorch's key_padding_mask) or -1.
 */
napi_value Attention(napi_env env, napi_callback_info info) {
  ARGS(10)
  float *base;
  size_t floats;
  if (!heap_of(env, argv[0], &base, &floats)) return NULL;
  int64_t v[8];
  double scale;
  if (!nums(env, argv + 1, 8, v) || napi_get_value_double(env, argv[9], &scale) != napi_ok)
    return NULL;
  const int64_t qkvOff = v[0], outOff = v[1], probsOff = v[2], maskOff = v[3];
  const int64_t B = v[4], T = v[5], H = v[6], dh = v[7], D = H * dh;
  if (!inside(env, qkvOff, (size_t)(B * T * 3 * D), floats, false) ||
      !inside(env, outOff, (size_t)(B * T * D), floats, false) ||
      !inside(env, probsOff, (size_t)(B * H * T * T), floats, false) ||
      !inside(env, maskOff, (size_t)(B * T), floats, true))
    return NULL;
  for (int64_t b = 0; b < B; b++) {
    const float *mask = maskOff < 0 ? NULL : base + maskOff + b * T;
    for (int64_t h = 0; h < H; h++) {
      const float *q = base + qkvOff + b * T * 3 * D + h * dh;
      const float *k = q + D;
      const float *vv = q + 2 * D;
      float *p = base + probsOff + (b * H + h) * T * T;
      if (sgemm(false, true, T, T, dh, (float)scale, q, 3 * D, k, 3 * D, 0.0f, p, T) != 0) {
        napi_throw_error(env, NULL, "chromflow-blas attention: sgemm failed");
        return NULL;
      }
      for (int64_t i = 0; i < T; i++) {
        float *row = p + i * T;
        float mx = -INFINITY;
        for (int64_t j = 0; j < T; j++)
          if ((mask == NULL || mask[j] == 0.0f) && row[j] > mx) mx = row[j];
        float sum = 0.0f;
        for (int64_t j = 0; j < T; j++) {
          const float e = (mask == NULL || mask[j] == 0.0f) ? exp_neg(row[j] - mx) : 0.0f;
          row[j] = e;
          sum += e;
        }
        /* Every key masked: the row attends to nothing (zeros, not NaN). */
        const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
        for (int64_t j = 0; j < T; j++) row[j] *= inv;
      }
      float *o = base + outOff + b * T * D + h * dh;
      if (sgemm(false, false, T, dh, T, 1.0f, p, T, vv, 3 * D, 0.0f, o, D) != 0) {
        napi_throw_error(env, NULL, "chromflow-blas attention: sgemm failed");
        return NULL;
      }
    }
  }
  return NULL;
}

/*
 * attentionGrad(heap, qkv, probs, dout, dqkv, B, T, H, dh, scale)
 * dV = Pᵀ·dO; dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P))·scale; dQ = dS·K; dK = dSᵀ·Q,
 * each written straight into dqkv's [B, T, 3, H, dh] layout (every element is written).
 */
napi_value AttentionGrad(napi_env env, napi_callback_info info) {
  ARGS(10)
  float *base;
  size_t floats;
  if (!heap_of(env, argv[0], &base, &floats)) return NULL;
  int64_t v[8];
  double scale;
  if (!nums(env, argv + 1, 8, v) || napi_get_value_double(env, argv[9], &scale) != napi_ok)
    return NULL;
  const int64_t qkvOff = v[0], probsOff = v[1], doutOff = v[2], dqkvOff = v[3];
  const int64_t B = v[4], T = v[5], H = v[6], dh = v[7], D = H * dh;
  if (!inside(env, qkvOff, (size_t)(B * T * 3 * D), floats, false) ||
      !inside(env, probsOff, (size_t)(B * H * T * T), floats, false) ||
      !inside(env, doutOff, (size_t)(B * T * D), floats, false) ||
      !inside(env, dqkvOff, (size_t)(B * T * 3 * D), floats, false))
    return NULL;
  float *ds = malloc((size_t)(T * T) * sizeof(float));
  if (ds == NULL) {
    napi_throw_error(env, NULL, "chromflow-blas attentionGrad: out of memory");
    return NULL;
  }
  int failed = 0;
  for (int64_t b = 0; b < B && !failed; b++) {
    for (int64_t h = 0; h < H && !failed; h++) {
      const int64_t row0 = b * T * 3 * D + h * dh;
      const float *q = base + qkvOff + row0, *k = q + D, *vv = q + 2 * D;
      float *dq = base + dqkvOff + row0, *dk = dq + D, *dv = dq + 2 * D;
      const float *p = base + probsOff + (b * H + h) * T * T;
      const float *dout = base + doutOff + b * T * D + h * dh;
      failed |= sgemm(true, false, T, dh, T, 1.0f, p, T, dout, D, 0.0f, dv, 3 * D);
      failed |= sgemm(false, true, T, T, dh, 1.0f, dout, D, vv, 3 * D, 0.0f, ds, T);
      for (int64_t i = 0; i < T; i++) {
        const float *pr = p + i * T;
        float *dr = ds + i * T;
        float dot = 0.0f;
        for (int64_t j = 0; j < T; j++) dot += dr[j] * pr[j];
        for (int64_t j = 0; j < T; j++) dr[j] = pr[j] * (dr[j] - dot) * (float)scale;
      }
      failed |= sgemm(false, false, T, dh, T, 1.0f, ds, T, k, 3 * D, 0.0f, dq, 3 * D);
      failed |= sgemm(true, false, T, dh, T, 1.0f, ds, T, q, 3 * D, 0.0f, dk, 3 * D);
    }
  }
  free(ds);
  if (failed) napi_throw_error(env, NULL, "chromflow-blas attentionGrad: sgemm failed");
  return NULL;
}

/*
 * erf without a libm call per element, so the loops below vectorise (-O3 -march=native):
 * Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7 (the approximation TF.js's cpu Erf uses too).
 * glibc's scalar erff made erf-GELU forward + backward 15 % of a get-small step.
 */
static inline float erf_as(float x) {
  const float ax = fabsf(x);
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  const float y =
      1.0f - t * (0.254829592f +
                  t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f)))) *
                 exp_neg(-ax * ax);
  return copysignf(y, x);
}

/* geluErf(heap, x, y, n): y = x·Φ(x) = ½x(1 + erf(x/√2)), PyTorch's nn.GELU() default. */
napi_value GeluErf(napi_env env, napi_callback_info info) {
  ARGS(4)
  float *base;
  size_t floats;
  if (!heap_of(env, argv[0], &base, &floats)) return NULL;
  int64_t v[3];
  if (!nums(env, argv + 1, 3, v)) return NULL;
  if (!inside(env, v[0], (size_t)v[2], floats, false) ||
      !inside(env, v[1], (size_t)v[2], floats, false))
    return NULL;
  const float *x = base + v[0];
  float *y = base + v[1];
  for (int64_t i = 0; i < v[2]; i++) y[i] = 0.5f * x[i] * (1.0f + erf_as(x[i] * (float)M_SQRT1_2));
  return NULL;
}

/* geluErfGrad(heap, x, dy, dx, n): dx = dy·(Φ(x) + x·φ(x)). */
napi_value GeluErfGrad(napi_env env, napi_callback_info info) {
  ARGS(5)
  float *base;
  size_t floats;
  if (!heap_of(env, argv[0], &base, &floats)) return NULL;
  int64_t v[4];
  if (!nums(env, argv + 1, 4, v)) return NULL;
  for (int i = 0; i < 3; i++)
    if (!inside(env, v[i], (size_t)v[3], floats, false)) return NULL;
  const float *x = base + v[0], *dy = base + v[1];
  float *dx = base + v[2];
  const float invSqrt2Pi = 0.3989422804014327f;
  for (int64_t i = 0; i < v[3]; i++) {
    const float xi = x[i];
    const float cdf = 0.5f * (1.0f + erf_as(xi * (float)M_SQRT1_2));
    dx[i] = dy[i] * (cdf + xi * invSqrt2Pi * exp_neg(-0.5f * xi * xi));
  }
  return NULL;
}

/*
 * colSum(heap, x, out, rows, cols): out[c] = Σ_r x[r, c] — a bias gradient (Sum over the
 * leading axes), which tfjs-backend-wasm 4.22 computes by transposing first.
 */
napi_value ColSum(napi_env env, napi_callback_info info) {
  ARGS(5)
  float *base;
  size_t floats;
  if (!heap_of(env, argv[0], &base, &floats)) return NULL;
  int64_t v[4];
  if (!nums(env, argv + 1, 4, v)) return NULL;
  const int64_t rows = v[2], cols = v[3];
  if (!inside(env, v[0], (size_t)(rows * cols), floats, false) ||
      !inside(env, v[1], (size_t)cols, floats, false))
    return NULL;
  const float *x = base + v[0];
  float *out = base + v[1];
  memset(out, 0, (size_t)cols * sizeof(float));
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    for (int64_t c = 0; c < cols; c++) out[c] += row[c];
  }
  return NULL;
}

/*
 * layerNorm(heap, x, gamma, beta, y, mean, rstd, rows, d, eps): the contract of the
 * JavaScript ChromflowLayerNorm kernel (src/kernels/fused-elementwise.ts), in C with double
 * accumulators as there; 17 % of a get-small step ran in the JavaScript pair.
 */
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  ARGS(10)
  float *base;
  size_t floats;
  if (!heap_of(env, argv[0], &base, &floats)) return NULL;
  int64_t v[8];
  double eps;
  if (!nums(env, argv + 1, 8, v) || napi_get_value_double(env, argv[9], &eps) != napi_ok)
    return NULL;
  const int64_t rows = v[6], d = v[7];
  const size_t n = (size_t)(rows * d);
  if (!inside(env, v[0], n, floats, false) || !inside(env, v[1], (size_t)d, floats, false) ||
      !inside(env, v[2], (size_t)d, floats, false) || !inside(env, v[3], n, floats, false) ||
      !inside(env, v[4], (size_t)rows, floats, false) ||
      !inside(env, v[5], (size_t)rows, floats, false))
    return NULL;
  const float *x = base + v[0], *g = base + v[1], *bt = base + v[2];
  float *y = base + v[3], *mo = base + v[4], *ro = base + v[5];
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * d;
    float *yr = y + r * d;
    double m = 0;
    for (int64_t j = 0; j < d; j++) m += xr[j];
    m /= (double)d;
    double var = 0;
    for (int64_t j = 0; j < d; j++) {
      const double t = xr[j] - m;
      var += t * t;
    }
    const double rstd = 1.0 / sqrt(var / (double)d + eps);
    const float mf = (float)m, rf = (float)rstd;
    for (int64_t j = 0; j < d; j++) yr[j] = (xr[j] - mf) * rf * g[j] + bt[j];
    mo[r] = mf;
    ro[r] = rf;
  }
  return NULL;
}

/* layerNormGrad(heap, x, dy, gamma, mean, rstd, dx, dgamma, dbeta, rows, d). */
napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  ARGS(11)
  float *base;
  size_t floats;
  if (!heap_of(env, argv[0], &base, &floats)) return NULL;
  int64_t v[10];
  if (!nums(env, argv + 1, 10, v)) return NULL;
  const int64_t rows = v[8], d = v[9];
  const size_t n = (size_t)(rows * d);
  if (!inside(env, v[0], n, floats, false) || !inside(env, v[1], n, floats, false) ||
      !inside(env, v[2], (size_t)d, floats, false) ||
      !inside(env, v[3], (size_t)rows, floats, false) ||
      !inside(env, v[4], (size_t)rows, floats, false) || !inside(env, v[5], n, floats, false) ||
      !inside(env, v[6], (size_t)d, floats, false) || !inside(env, v[7], (size_t)d, floats, false))
    return NULL;
  const float *x = base + v[0], *dy = base + v[1], *g = base + v[2], *mv = base + v[3],
              *rv = base + v[4];
  float *dx = base + v[5], *dg = base + v[6], *db = base + v[7];
  double *sg = calloc((size_t)(2 * d), sizeof(double));
  if (sg == NULL) {
    napi_throw_error(env, NULL, "chromflow-blas layerNormGrad: out of memory");
    return NULL;
  }
  double *sb = sg + d;
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * d, *gr = dy + r * d;
    float *dxr = dx + r * d;
    const float m = mv[r], rstd = rv[r];
    double s1 = 0, s2 = 0;
    for (int64_t j = 0; j < d; j++) {
      const float xhat = (xr[j] - m) * rstd;
      const float dxhat = gr[j] * g[j];
      s1 += dxhat;
      s2 += (double)dxhat * xhat;
      sg[j] += (double)gr[j] * xhat;
      sb[j] += gr[j];
    }
    const float a = (float)(s1 / (double)d), c = (float)(s2 / (double)d);
    for (int64_t j = 0; j < d; j++) {
      const float xhat = (xr[j] - m) * rstd;
      dxr[j] = rstd * (gr[j] * g[j] - a - xhat * c);
    }
  }
  for (int64_t j = 0; j < d; j++) {
    dg[j] = (float)sg[j];
    db[j] = (float)sb[j];
  }
  free(sg);
  return NULL;
}
