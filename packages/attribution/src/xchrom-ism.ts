import * as tf from '@tensorflow/tfjs-core';
import type { ScalarModel } from './gradient-times-input.js';
import { computeGradientTimesInput } from './gradient-times-input.js';
import {
  centreIsmPerPosition,
  inSilicoMutagenesis,
  oneHotFromBaseCodes,
  type IsmOptions,
} from './in-silico-mutagenesis.js';

/** ISM and gradient × input of `n` windows of `length` bases for one scalar head. */
export interface SequenceAttribution {
  readonly n: number;
  readonly length: number;
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
  /** [n · L]: gradient × input summed over bases (the reference base's ∂f/∂x). */
  readonly gradientTimesInput: Float32Array;
}

/** ISM (every single-base substitution) and gradient × input of `f` on `codes` [n · L]. */
export async function attributeSequences(
  f: ScalarModel,
  codes: Uint8Array,
  n: number,
  length: number,
  options: IsmOptions = {},
): Promise<SequenceAttribution> {
  const raw = await inSilicoMutagenesis(f, codes, n, length, options);
  const centred = centreIsmPerPosition(raw);
  const referenceScore = new Float32Array(n * length);
  const maxAbsEffect = new Float32Array(n * length);
  const meanAbsEffect = new Float32Array(n * length);
  for (let i = 0; i < n * length; i++) {
    const ref = codes[i] as number;
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
  const x = tf.tensor3d(oneHotFromBaseCodes(codes, n, length), [n, length, 4]);
  const gxi = computeGradientTimesInput(f, x);
  const gradientTimesInput = (await gxi.perPosition.data()) as Float32Array;
  x.dispose();
  gxi.scores.dispose();
  gxi.perPosition.dispose();
  return {
    n,
    length,
    raw,
    centred,
    referenceScore,
    maxAbsEffect,
    meanAbsEffect,
    gradientTimesInput,
  };
}
