import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, throwIfAborted, type ProgressCallback } from '@chromflow/core';
import type { ScalarModel } from './gradient-times-input.js';

export interface IsmOptions {
  /** Variant sequences per forward call (default 256). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressCallback;
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

/**
 * Raw in-silico mutagenesis: for each of `n` sequences of `length` codes (row-major),
 * Δ[b, pos, base] = f(seq with base at pos) − f(seq); 0 at the reference base
 * (and at N positions for all four bases is f(alt) − f(ref) as well). Positions are 0-based.
 * Returns a Float32Array [n, length, 4]. No normalisation (see `centreIsmPerPosition`).
 */
export async function inSilicoMutagenesis(
  f: ScalarModel,
  codes: Uint8Array,
  n: number,
  length: number,
  options: IsmOptions = {},
): Promise<Float32Array> {
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
  const batchSize = Math.max(1, options.batchSize ?? 256);
  const out = new Float32Array(n * length * 4);
  const total = n * length * 4;
  let done = 0;
  for (let b = 0; b < n; b++) {
    const ref = codes.subarray(b * length, (b + 1) * length);
    const refScore = await evalCodes(f, ref, 1, length);
    const variants: Array<[number, number]> = [];
    for (let pos = 0; pos < length; pos++)
      for (let base = 0; base < 4; base++) if (ref[pos] !== base) variants.push([pos, base]);
    for (let start = 0; start < variants.length; start += batchSize) {
      throwIfAborted(options.signal);
      const chunk = variants.slice(start, start + batchSize);
      const mutated = new Uint8Array(chunk.length * length);
      chunk.forEach(([pos, base], k) => {
        mutated.set(ref, k * length);
        mutated[k * length + pos] = base;
      });
      const scores = await evalCodes(f, mutated, chunk.length, length);
      chunk.forEach(([pos, base], k) => {
        out[(b * length + pos) * 4 + base] = (scores[k] ?? NaN) - (refScore[0] ?? NaN);
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

async function evalCodes(
  f: ScalarModel,
  codes: Uint8Array,
  n: number,
  length: number,
): Promise<Float32Array> {
  const x = tf.tensor3d(oneHotFromBaseCodes(codes, n, length), [n, length, 4]);
  const y = tf.tidy(() => f(x));
  const values = (await y.data()) as Float32Array;
  x.dispose();
  y.dispose();
  return values;
}
