import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '@chromflow/core';

/**
 * Dropout and drop-path (stochastic depth) from masks drawn on the host.
 * The main process draws every mask from one `SeededRandom` and ships it with
 * the batch (examples along the first axis), so a run is deterministic and a
 * data-parallel shard applies exactly the mask the whole batch would have.
 * A mask holds 0 (dropped) or 1/(1 − p) (kept, inverted scaling), as
 * PyTorch's `F.dropout` in training mode and timm's `drop_path`
 * (`scale_by_keep=True`) use.
 */

/** A dropout mask of `size` values: 0 with probability `p`, else 1/(1 − p). */
export function drawDropoutMask(rng: SeededRandom, size: number, p: number): Float32Array {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout probability must be in [0, 1), got ${p}`);
  const keep = 1 / (1 - p);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.uniform() < p ? 0 : keep;
  return out;
}

/**
 * A drop-path mask, one value per example ([batch]): the whole residual branch
 * of an example is dropped with probability `p`, else scaled by 1/(1 − p).
 */
export function drawDropPathMask(rng: SeededRandom, batch: number, p: number): Float32Array {
  return drawDropoutMask(rng, batch, p);
}

/** x ⊙ mask (mask broadcast against x; same shape for dropout). */
export function applyDropout(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.mul(x, mask);
}

/** Scales each example's branch: x [B, …] ⊙ mask [B] broadcast over the other axes. */
export function applyDropPath(x: tf.Tensor, mask: tf.Tensor1D): tf.Tensor {
  return tf.tidy(() => {
    const shape = [mask.shape[0], ...x.shape.slice(1).map(() => 1)];
    return tf.mul(x, tf.reshape(mask, shape));
  });
}
