import * as tf from '@tensorflow/tfjs-core';
import { Moments } from './moments.js';
import type { HostSteppable, HostUpdateRule } from './host-update.js';
import type { Optimizer } from './optimizer.js';

/** AdamW (Loshchilov & Hutter) as `torch.optim.AdamW`. */
export interface AdamWOptions {
  /** The rate when `fit` is given no schedule. */
  learningRate: number;
  beta1: number;
  beta2: number;
  /** Added to the bias-corrected √v̂ (PyTorch's placement). */
  epsilon: number;
  /** Decoupled decay: each step multiplies the weights by `1 − lr · weightDecay` before the Adam update. */
  weightDecay: number;
}

/** `torch.optim.AdamW`'s defaults. */
export const TORCH_ADAMW: AdamWOptions = {
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 1e-2,
};

/**
 * AdamW with PyTorch's arithmetic (torch 1.13 `_single_tensor_adamw`):
 * x ← x·(1 − lr·λ); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 * x ← x − lr/(1−β₁ᵗ) · m / (√v / √(1−β₂ᵗ) + ε).
 * Tested against `torch.optim.AdamW` (`test/fit-optimizers.test.ts`).
 */
export class AdamW implements Optimizer, HostSteppable {
  readonly options: AdamWOptions;
  step = 0;
  private readonly moments: Moments;

  constructor(variables: tf.Variable[], options: AdamWOptions) {
    this.options = options;
    this.moments = new Moments(variables);
  }

  learningRate(): number {
    return this.options.learningRate;
  }

  apply(grads: tf.Tensor[], lr = this.learningRate()): void {
    const o = this.options;
    this.step += 1;
    const t = this.step;
    const stepSize = lr / (1 - o.beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - o.beta2 ** t);
    this.moments.forEach(grads, (g, x, m, v) => {
      const decayed = o.weightDecay === 0 ? x : tf.mul(x, 1 - lr * o.weightDecay);
      Moments.accumulate(g, m, v, o.beta1, o.beta2);
      const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), o.epsilon);
      x.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize)));
    });
  }

  /** Advances `step` as `apply` does and returns its scalars, for the workers (src/train/host-update.ts). */
  hostUpdate(lr = this.learningRate()): HostUpdateRule {
    const o = this.options;
    this.step += 1;
    const t = this.step;
    return {
      kind: 'adamw',
      stepSize: lr / (1 - o.beta1 ** t),
      bc2Sqrt: Math.sqrt(1 - o.beta2 ** t),
      beta1: o.beta1,
      beta2: o.beta2,
      epsilon: o.epsilon,
      decay: o.weightDecay === 0 ? 1 : 1 - lr * o.weightDecay,
    };
  }

  /** Moment variables, first all m then all v (for checkpoints). */
  slotVariables(): tf.Variable[] {
    return this.moments.slotVariables();
  }

  dispose(): void {
    this.moments.dispose();
  }
}
