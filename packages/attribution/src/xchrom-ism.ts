import * as tf from '@tensorflow/tfjs-core';
import type { ScalarModel } from './gradient-times-input.js';
import { computeGradientTimesInput } from './gradient-times-input.js';
import {
  centreIsmPerPosition,
  inSilicoMutagenesis,
  ismSpan,
  oneHotFromBaseCodes,
  type IsmOptions,
} from './in-silico-mutagenesis.js';

/** ISM scores of one head over `n` spans of `length` bases (from `start` of each window). */
export interface IsmScores {
  readonly n: number;
  /** Bases per span (the whole window unless `positions` was given). */
  readonly length: number;
  /** First mutated position of each window (0-based). */
  readonly start: number;
  /** [n · L · 4]: f(mutated) − f(ref), 0 at the reference base (ADR 0001). */
  readonly raw: Float32Array;
  /** [n · L · 4]: `raw` minus its mean over the 4 bases at each position (ADR 0001). */
  readonly centred: Float32Array;
  /** [n · L]: the centred value at the reference base (the track's score). */
  readonly referenceScore: Float32Array;
  /** [n · L]: max over the 3 substitutions of |raw|. */
  readonly maxAbsEffect: Float32Array;
  /** [n · L]: mean over the 3 substitutions of |raw|. */
  readonly meanAbsEffect: Float32Array;
}

/** ISM and gradient × input of `n` windows for one scalar head. */
export interface SequenceAttribution extends IsmScores {
  /** [n · L]: gradient × input summed over bases (the reference base's ∂f/∂x), over the same span. */
  readonly gradientTimesInput: Float32Array;
}

/**
 * The ADR 0001 scores of raw ISM `raw` [n · w · 4] whose reference bases are
 * `refCodes` [n · w] (the mutated span of each window).
 */
export function ismScores(
  raw: Float32Array,
  refCodes: Uint8Array,
  n: number,
  start = 0,
): IsmScores {
  const w = refCodes.length / n;
  const centred = centreIsmPerPosition(raw);
  const referenceScore = new Float32Array(n * w);
  const maxAbsEffect = new Float32Array(n * w);
  const meanAbsEffect = new Float32Array(n * w);
  for (let i = 0; i < n * w; i++) {
    const ref = refCodes[i] as number;
    let max = 0;
    let sum = 0;
    let alts = 0;
    for (let b = 0; b < 4; b++) {
      if (b === ref) continue;
      const a = Math.abs(raw[i * 4 + b] as number);
      max = Math.max(max, a);
      sum += a;
      alts++;
    }
    maxAbsEffect[i] = max;
    meanAbsEffect[i] = sum / alts;
    // N positions (code 4) have no reference base: score 0.
    referenceScore[i] = ref < 4 ? (centred[i * 4 + ref] as number) : 0;
  }
  return { n, length: w, start, raw, centred, referenceScore, maxAbsEffect, meanAbsEffect };
}

/** The codes of span [start, end) of each of `n` windows of `length`, concatenated. */
export function spanCodes(
  codes: Uint8Array,
  n: number,
  length: number,
  start: number,
  end: number,
): Uint8Array {
  const out = new Uint8Array(n * (end - start));
  for (let b = 0; b < n; b++)
    out.set(codes.subarray(b * length + start, b * length + end), b * (end - start));
  return out;
}

/** Gradient × input of `f` summed over bases [n · w], over span [start, end) of each window. */
export async function gradientTimesInputPerPosition(
  f: ScalarModel,
  codes: Uint8Array,
  n: number,
  length: number,
  start = 0,
  end = length,
): Promise<Float32Array> {
  const x = tf.tensor3d(oneHotFromBaseCodes(codes, n, length), [n, length, 4]);
  const gxi = computeGradientTimesInput(f, x);
  const all = (await gxi.perPosition.data()) as Float32Array;
  x.dispose();
  gxi.scores.dispose();
  gxi.perPosition.dispose();
  if (start === 0 && end === length) return all;
  const out = new Float32Array(n * (end - start));
  for (let b = 0; b < n; b++)
    out.set(all.subarray(b * length + start, b * length + end), b * (end - start));
  return out;
}

/**
 * ISM (every single-base substitution) and gradient × input of `f` on `codes` [n · L],
 * over `options.positions` of each window (default all of it).
 */
export async function attributeSequences(
  f: ScalarModel,
  codes: Uint8Array,
  n: number,
  length: number,
  options: IsmOptions = {},
): Promise<SequenceAttribution> {
  const { start, end } = ismSpan(length, options);
  const raw = await inSilicoMutagenesis(f, codes, n, length, options);
  return {
    ...ismScores(raw, spanCodes(codes, n, length, start, end), n, start),
    gradientTimesInput: await gradientTimesInputPerPosition(f, codes, n, length, start, end),
  };
}
