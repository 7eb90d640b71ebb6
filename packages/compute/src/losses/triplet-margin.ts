import * as tf from '@tensorflow/tfjs-core';

/**
 * Triplet margin loss (Atacformer's cell-type fine-tune): PyTorch
 * `F.triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2,
 * eps=1e-6, swap=False, reduction='mean')` on [N, E] embeddings:
 * mean(max(d(a, p) − d(a, n) + margin, 0)) with torch's pairwise distance
 * d(x, y) = ‖x − y + eps‖₂ (eps added to the difference, element-wise).
 */
export function tripletMarginLoss(
  anchor: tf.Tensor2D,
  positive: tf.Tensor2D,
  negative: tf.Tensor2D,
  margin = 1,
  eps = 1e-6,
): tf.Scalar {
  return tf.tidy(() => {
    const distance = (x: tf.Tensor, y: tf.Tensor): tf.Tensor =>
      tf.sqrt(tf.sum(tf.square(tf.add(tf.sub(x, y), eps)), -1));
    const dp = distance(anchor, positive);
    const dn = distance(anchor, negative);
    return tf.mean(tf.relu(tf.add(tf.sub(dp, dn), margin)));
  });
}
