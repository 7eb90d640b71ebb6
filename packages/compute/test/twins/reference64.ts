/**
 * Float64 plain-JavaScript references of the layers and losses, written from
 * their formulas (PyTorch's documentation), independent of TF.js. Flat
 * row-major arrays; dense kernels are [in, out] as in `src/layers/linear.ts`.
 */

/** erf(x) to ~1e-14: Maclaurin series below 2.5, Lentz's continued fraction for erfc above. */
export function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))).
  const tiny = 1e-300;
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    d = ax + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = ax + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export const map64 = (x: Float64Array, f: (v: number) => number): Float64Array => x.map(f);

export const geluErf64 = (x: Float64Array): Float64Array =>
  map64(x, (v) => 0.5 * v * (1 + erf64(v / Math.SQRT2)));

/** torch F.softplus (β = 1, threshold 20). */
export const softplus64 = (x: Float64Array): Float64Array =>
  map64(x, (v) => (v > 20 ? v : Math.log1p(Math.exp(v))));

export const relu64 = (x: Float64Array): Float64Array => map64(x, (v) => Math.max(v, 0));

/** y [rows, out] = x [rows, in] · w [in, out] + b. */
export function linear64(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  nIn: number,
  nOut: number,
): Float64Array {
  const rows = x.length / nIn;
  const y = new Float64Array(rows * nOut);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < nOut; o++) {
      let s = b[o]!;
      for (let i = 0; i < nIn; i++) s += x[r * nIn + i]! * w[i * nOut + o]!;
      y[r * nOut + o] = s;
    }
  }
  return y;
}

/** Layer norm over the last axis (size d), biased variance, eps inside the root. */
export function layerNorm64(
  x: Float64Array,
  g: Float64Array,
  b: Float64Array,
  d: number,
  eps: number,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let m = 0;
    for (let j = 0; j < d; j++) m += x[r * d + j]!;
    m /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[r * d + j]! - m) ** 2;
    v /= d;
    const s = 1 / Math.sqrt(v + eps);
    for (let j = 0; j < d; j++) y[r * d + j] = (x[r * d + j]! - m) * s * g[j]! + b[j]!;
  }
  return y;
}

export interface Attention64 {
  qkvKernel: Float64Array;
  qkvBias: Float64Array;
  outKernel: Float64Array;
  outBias: Float64Array;
}

/**
 * Self-attention of x [b, t, d] with h heads; `mask` [b, t] 1 = key ignored.
 * An example with every key masked gets a zero context (our semantics).
 */
export function attention64(
  x: Float64Array,
  p: Attention64,
  b: number,
  t: number,
  d: number,
  h: number,
  mask?: Uint8Array,
): Float64Array {
  const qkv = linear64(x, p.qkvKernel, p.qkvBias, d, 3 * d);
  const dh = d / h;
  const ctx = new Float64Array(b * t * d);
  const scores = new Float64Array(t);
  for (let bi = 0; bi < b; bi++) {
    let anyKey = false;
    for (let j = 0; j < t; j++) if (!mask || mask[bi * t + j] === 0) anyKey = true;
    if (!anyKey) continue;
    for (let hi = 0; hi < h; hi++) {
      for (let i = 0; i < t; i++) {
        let max = -Infinity;
        for (let j = 0; j < t; j++) {
          if (mask && mask[bi * t + j] !== 0) {
            scores[j] = -Infinity;
            continue;
          }
          let s = 0;
          for (let c = 0; c < dh; c++) {
            s +=
              qkv[(bi * t + i) * 3 * d + hi * dh + c]! *
              qkv[(bi * t + j) * 3 * d + d + hi * dh + c]!;
          }
          scores[j] = s / Math.sqrt(dh);
          max = Math.max(max, scores[j]!);
        }
        let z = 0;
        for (let j = 0; j < t; j++) z += Math.exp(scores[j]! - max);
        for (let j = 0; j < t; j++) {
          const pj = Math.exp(scores[j]! - max) / z;
          for (let c = 0; c < dh; c++) {
            ctx[(bi * t + i) * d + hi * dh + c]! +=
              pj * qkv[(bi * t + j) * 3 * d + 2 * d + hi * dh + c]!;
          }
        }
      }
    }
  }
  return linear64(ctx, p.outKernel, p.outBias, d, d);
}

export interface Block64 extends Attention64 {
  ln1g: Float64Array;
  ln1b: Float64Array;
  ln2g: Float64Array;
  ln2b: Float64Array;
  w1: Float64Array;
  b1: Float64Array;
  w2: Float64Array;
  b2: Float64Array;
}

export interface BlockMasks64 {
  attention?: Float64Array;
  hidden?: Float64Array;
  output?: Float64Array;
  dropPath?: Float64Array;
}

/** Pre-norm block (see `transformer-encoder.ts`), masks applied as dropout ⊙ then drop-path per example. */
export function block64(
  x: Float64Array,
  p: Block64,
  s: {
    b: number;
    t: number;
    d: number;
    h: number;
    f: number;
    act: 'gelu-erf' | 'relu';
    eps: number;
  },
  keyMask?: Uint8Array,
  m: BlockMasks64 = {},
): Float64Array {
  const { b, t, d, h, f } = s;
  const perExample = t * d;
  const branch = (y: Float64Array, drop?: Float64Array): Float64Array =>
    y.map(
      (v, i) =>
        v * (drop ? drop[i]! : 1) * (m.dropPath ? m.dropPath[Math.floor(i / perExample)]! : 1),
    );
  const a = attention64(layerNorm64(x, p.ln1g, p.ln1b, d, s.eps), p, b, t, d, h, keyMask);
  const x1 = x.map((v, i) => v + branch(a, m.attention)[i]!);
  let hid = linear64(layerNorm64(x1, p.ln2g, p.ln2b, d, s.eps), p.w1, p.b1, d, f);
  hid = s.act === 'gelu-erf' ? geluErf64(hid) : relu64(hid);
  if (m.hidden) hid = hid.map((v, i) => v * m.hidden![i]!);
  const out = branch(linear64(hid, p.w2, p.b2, f, d), m.output);
  return x1.map((v, i) => v + out[i]!);
}

/** Central-difference gradients of f at each input (step h, relative to |x|). */
export function numericGradients(
  f: (xs: Float64Array[]) => number,
  xs: Float64Array[],
  which: number[],
  h = 1e-6,
): Float64Array[] {
  return which.map((k) => {
    const x = xs[k]!;
    const g = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const step = h * Math.max(1, Math.abs(v));
      x[i] = v + step;
      const up = f(xs);
      x[i] = v - step;
      const down = f(xs);
      x[i] = v;
      g[i] = (up - down) / (2 * step);
    }
    return g;
  });
}
