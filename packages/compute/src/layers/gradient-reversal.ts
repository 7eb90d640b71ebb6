import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradient reversal (Ganin & Lempitsky 2015): identity forward, −α·dy
 * backward, so an adversary head (Atacformer's batch classifier, α = 1)
 * trains the encoder to remove what the adversary can predict.
 */
export function gradientReversal(x: tf.Tensor, alpha = 1): tf.Tensor {
  const op = tf.customGrad((...args) => {
    const input = args[0];
    if (!(input instanceof tf.Tensor)) throw new TypeError('gradientReversal takes a tensor');
    return {
      value: tf.clone(input),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, -alpha),
    };
  });
  return op(x);
}
