import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError } from '@chromflow/core';
import type { GetArrays } from './tables.js';

/**
 * `positional: relative`: an attention bias by genomic distance between two
 * regions (bp between their centres, not window index), ALiBi-like with a
 * slope learned per layer and head: bias_h(d) = −w_h · |d| / L_h. The
 * length scales L_h are fixed and geometric across heads (2 kb to 128 kb), so
 * heads start at different localities; w starts at 1 and is learned (0: the
 * head ignores distance). The bias must be able to go far below zero: with
 * 200 regions a bounded bias cannot keep the many far regions from
 * outweighing the few near ones. The CLS token's row and column get no bias.
 * Distances, not positions, reach the model, so the same regions elsewhere (another
 * window, a left-out chromosome) look the same to it — unlike `learned`
 * absolute positions, which in fixed windows name each region.
 */
export const RELATIVE_POSITION_SCALE_RANGE_BP = [2_000, 128_000] as const;

/** L_h of each head, geometric from 2 kb (head 0) to 128 kb (last head). */
export function relativeLengthScales(heads: number): Float32Array {
  const [lo, hi] = RELATIVE_POSITION_SCALE_RANGE_BP;
  return Float32Array.from({ length: heads }, (_, h) =>
    heads === 1 ? lo : lo * (hi / lo) ** (h / (heads - 1)),
  );
}

/** |pᵢ − pⱼ| for positions [B, T] (bp): [B, 1, T, T]. */
export function pairDistances(positions: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t] = positions.shape;
    return tf.abs(
      tf.sub(tf.reshape(positions, [b, 1, t, 1]), tf.reshape(positions, [b, 1, 1, t])),
    ) as tf.Tensor4D;
  });
}

/** Bias [B, H, 1 + T, 1 + T] of one layer from the distances and its slopes w [H] (CLS first, unbiased). */
export function relativeScoreBias(distances: tf.Tensor4D, slopes: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const h = slopes.shape[0];
    const perBp = tf.div(slopes, tf.tensor1d(relativeLengthScales(h)));
    const bias = tf.mul(distances, tf.reshape(tf.neg(perBp), [1, h, 1, 1]));
    return tf.pad(bias, [
      [0, 0],
      [0, 0],
      [1, 0],
      [1, 0],
    ]) as tf.Tensor4D;
  });
}

/**
 * Region centres of window `window` in bp from the centre of its first region
 * (float32 stays exact at window spans; absolute coordinates would not).
 */
export function windowPositions(a: GetArrays, window: number): Float32Array {
  if (a.centres === undefined) {
    throw new ChromflowError(
      'SCHEMA',
      'relative positions need region coordinates: the features table has no start/end columns',
      { field: 'start, end', hint: 'rewrite the inputs with models.get-inputs' },
    );
  }
  const first = a.windowFirsts[window]!;
  const origin = a.centres[first]!;
  return Float32Array.from({ length: a.windowSize }, (_, k) => a.centres![first + k]! - origin);
}
