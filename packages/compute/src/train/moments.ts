import * as tf from '@tensorflow/tfjs-core';

/** The first and second moments of each variable: the state Adam and AdamW share. */
export class Moments {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(private readonly variables: tf.Variable[]) {
    this.m = variables.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = variables.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  /**
   * Calls `f` with each gradient, its variable and that variable's moments, each call inside
   * its own `tidy` (one `tidy` around all of them held every variable's temporaries at once:
   * ≈ 10 × the model, out of the wasm heap at GET's published size with AdamW's ops).
   */
  forEach(
    grads: tf.Tensor[],
    f: (g: tf.Tensor, x: tf.Variable, m: tf.Variable, v: tf.Variable) => void,
  ): void {
    grads.forEach((g, i) => {
      const x = this.variables[i];
      const m = this.m[i];
      const v = this.v[i];
      if (!x || !m || !v) throw new RangeError('more gradients than variables');
      tf.tidy(() => f(g, x, m, v));
    });
  }

  /** m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g². */
  static accumulate(
    g: tf.Tensor,
    m: tf.Variable,
    v: tf.Variable,
    beta1: number,
    beta2: number,
  ): void {
    m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
    v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
  }

  /** All m, then all v (for checkpoints). */
  slotVariables(): tf.Variable[] {
    return [...this.m, ...this.v];
  }

  dispose(): void {
    for (const x of this.slotVariables()) x.dispose();
  }
}
