import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, throwIfAborted, type ProgressCallback } from '@chromflow/core';
import type { ScalarModel } from './gradient-times-input.js';

export interface IsmOptions {
  /** Variant sequences per forward call (default 256). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressCallback;
  /** Mutate only positions [start, end) of each window (0-based); default the whole window. */
  readonly positions?: { readonly start: number; readonly end: number };
}

/** One-hot [n, L, 4] of base codes (A=0 C=1 G=2 T=3; N=4 → 0.25 each). */
export function oneHotFromBaseCodes(codes: Uint8Array, n: number, length: number): Float32Array {
  const out = new Float32Array(n * length * 4);
  for (let i = 0; i < n * length; i++) {
    const c = codes[i] ?? 4;
    if (c < 4) out[i * 4 + c] = 1;
    else out.fill(0.25, i * 4, i * 4 + 4);
  }
  return out;
}

/** A model head with K outputs: one-hot batch [B, L, 4] → [B, K] (e.g. one logit per cell type). */
export type MultiOutputModel = (onehot: tf.Tensor3D) => tf.Tensor2D;

/** The mutated span [start, end) of each window (0-based); `options.positions` or the whole window. */
export function ismSpan(length: number, options: IsmOptions = {}): { start: number; end: number } {
  const { start, end } = options.positions ?? { start: 0, end: length };
  if (!(
    Number.isInteger(start) &&
    Number.isInteger(end) &&
    0 <= start &&
    start < end &&
    end <= length
  )) {
    throw new ChromflowError('VALUE', 'ISM positions are not a span of the window', {
      field: 'positions',
      expected: `0 ≤ start < end ≤ ${length}`,
      found: `[${start}, ${end})`,
    });
  }
  return { start, end };
}

/**
 * Raw in-silico mutagenesis: for each of `n` sequences of `length` codes (row-major),
 * Δ[b, pos, base] = f(seq with base at pos) − f(seq); 0 at the reference base
 * (and at N positions for all four bases is f(alt) − f(ref) as well). Positions are 0-based.
 * Returns a Float32Array [n, w, 4] over the span `options.positions` (w = its width;
 * the whole window, w = length, by default). No normalisation (see `centreIsmPerPosition`).
 */
export async function inSilicoMutagenesis(
  f: ScalarModel,
  codes: Uint8Array,
  n: number,
  length: number,
  options: IsmOptions = {},
): Promise<Float32Array> {
  const multi: MultiOutputModel = (x) => tf.tidy(() => tf.expandDims<tf.Tensor2D>(f(x), 1));
  return (await inSilicoMutagenesisMulti(multi, 1, codes, n, length, options))[0] as Float32Array;
}

/**
 * `inSilicoMutagenesis` for a head with `k` outputs: every mutant is evaluated
 * once for all outputs (for XChrom, one peak-embedding pass serves every cell
 * type). Returns one Float32Array [n, w, 4] per output.
 */
export async function inSilicoMutagenesisMulti(
  f: MultiOutputModel,
  k: number,
  codes: Uint8Array,
  n: number,
  length: number,
  options: IsmOptions = {},
): Promise<Float32Array[]> {
  if (codes.length !== n * length) {
    throw new ChromflowError(
      'VALUE',
      `ISM got ${codes.length} codes for ${n} sequences of length ${length}.`,
      {
        expected: String(n * length),
        found: String(codes.length),
      },
    );
  }
  const { start, end } = ismSpan(length, options);
  const w = end - start;
  const batchSize = Math.max(1, options.batchSize ?? 256);
  const out = Array.from({ length: k }, () => new Float32Array(n * w * 4));
  const total = n * w * 3;
  let done = 0;
  for (let b = 0; b < n; b++) {
    const ref = codes.subarray(b * length, (b + 1) * length);
    const refScore = await evalCodes(f, k, ref, 1, length);
    const variants: Array<[number, number]> = [];
    for (let pos = start; pos < end; pos++)
      for (let base = 0; base < 4; base++) if (ref[pos] !== base) variants.push([pos, base]);
    for (let lo = 0; lo < variants.length; lo += batchSize) {
      throwIfAborted(options.signal);
      const chunk = variants.slice(lo, lo + batchSize);
      const mutated = new Uint8Array(chunk.length * length);
      chunk.forEach(([pos, base], j) => {
        mutated.set(ref, j * length);
        mutated[j * length + pos] = base;
      });
      const scores = await evalCodes(f, k, mutated, chunk.length, length);
      chunk.forEach(([pos, base], j) => {
        for (let o = 0; o < k; o++)
          (out[o] as Float32Array)[(b * w + pos - start) * 4 + base] =
            (scores[j * k + o] ?? NaN) - (refScore[o] ?? NaN);
      });
      done += chunk.length;
      options.onProgress?.(done, total);
    }
  }
  return out;
}

/** scBasset/XChrom convention: subtract each position's mean over the 4 bases. */
export function centreIsmPerPosition(delta: Float32Array): Float32Array {
  const out = new Float32Array(delta.length);
  for (let i = 0; i < delta.length; i += 4) {
    const m =
      ((delta[i] ?? 0) + (delta[i + 1] ?? 0) + (delta[i + 2] ?? 0) + (delta[i + 3] ?? 0)) / 4;
    for (let j = 0; j < 4; j++) out[i + j] = (delta[i + j] ?? 0) - m;
  }
  return out;
}

/** `f` on `n` windows of base codes [n · length], `batchSize` at a time: [n · k] row-major. */
export async function evaluateHead(
  f: MultiOutputModel,
  k: number,
  codes: Uint8Array,
  n: number,
  length: number,
  batchSize = 64,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const out = new Float32Array(n * k);
  for (let lo = 0; lo < n; lo += batchSize) {
    throwIfAborted(signal);
    const hi = Math.min(n, lo + batchSize);
    out.set(
      await evalCodes(f, k, codes.subarray(lo * length, hi * length), hi - lo, length),
      lo * k,
    );
  }
  return out;
}

async function evalCodes(
  f: MultiOutputModel,
  k: number,
  codes: Uint8Array,
  n: number,
  length: number,
): Promise<Float32Array> {
  const x = tf.tensor3d(oneHotFromBaseCodes(codes, n, length), [n, length, 4]);
  const y = tf.tidy(() => f(x));
  if (y.shape[0] !== n || y.shape[1] !== k) {
    x.dispose();
    y.dispose();
    throw new ChromflowError('VALUE', 'the model head returned the wrong shape', {
      expected: `[${n}, ${k}]`,
      found: `[${y.shape.join(', ')}]`,
    });
  }
  const values = (await y.data()) as Float32Array;
  x.dispose();
  y.dispose();
  return values;
}
