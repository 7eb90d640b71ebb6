import * as tf from '@tensorflow/tfjs-core';
import { adamKernelName } from '../kernels/adam-update.js';
import { fusedPathActive } from '../ops/fused.js';
import { clipGradientByNorm } from './clip.js';
import { Moments } from './moments.js';
import type { HostSteppable, HostUpdateRule } from './host-update.js';
import type { Optimizer } from './optimizer.js';
import { exponentialDecaySchedule, type LearningRateSchedule } from './schedules.js';

/** Adam as Keras configures it (ε added to √v): exponential lr decay and per-variable clipnorm. */
export interface AdamOptions {
  learningRate: number;
  /** lr · decayRate^(step / decaySteps), not staircase. */
  decayRate: number;
  decaySteps: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Each variable's gradient is rescaled to at most this L2 norm (Keras `clipnorm`); 0 turns it off. */
  clipNorm: number;
}

/**
 * Adam whose whole state (step, first and second moments) can be saved and
 * restored. The update is Keras': ε is added to √v (not to the bias-corrected
 * √v̂, as PyTorch does; that is `AdamW`), the bias corrections folded into
 * the step size.
 */
export class Adam implements Optimizer, HostSteppable {
  readonly options: AdamOptions;
  step = 0;
  private readonly moments: Moments;
  private readonly schedule: LearningRateSchedule;

  constructor(variables: tf.Variable[], options: AdamOptions) {
    this.options = options;
    this.schedule = exponentialDecaySchedule(options);
    this.moments = new Moments(variables);
  }

  /** The rate of `options` (exponential decay) at `step`. */
  learningRate(step = this.step): number {
    return this.schedule(step);
  }

  /** Applies one update with `grads` (same order as the variables), at `lr` (default: `learningRate()`). */
  apply(grads: tf.Tensor[], lr = this.learningRate(this.step)): void {
    const o = this.options;
    this.step += 1;
    const t = this.step;
    const alpha = (lr * Math.sqrt(1 - o.beta2 ** t)) / (1 - o.beta1 ** t);
    if (fusedPathActive()) {
      // One fused kernel per variable (src/kernels/adam-update.ts), same arithmetic as below.
      this.moments.forEach(grads, (g, x, m, v) => {
        const out = tf
          .engine()
          .runKernel(
            adamKernelName,
            { x, m, v, g },
            { alpha, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, clipNorm: o.clipNorm },
          );
        const [nx, nm, nv] = Array.isArray(out) ? out : [out];
        if (!nx || !nm || !nv) throw new Error(`${adamKernelName} returned fewer than 3 tensors`);
        x.assign(nx);
        m.assign(nm);
        v.assign(nv);
      });
      return;
    }
    this.moments.forEach(grads, (g0, x, m, v) => {
      const g = o.clipNorm > 0 ? clipGradientByNorm(g0, o.clipNorm) : g0;
      Moments.accumulate(g, m, v, o.beta1, o.beta2);
      x.assign(tf.sub(x, tf.div(tf.mul(m, alpha), tf.add(tf.sqrt(v), o.epsilon))));
    });
  }

  /** Advances `step` as `apply` does and returns its scalars, for the workers (src/train/host-update.ts). */
  hostUpdate(lr = this.learningRate(this.step)): HostUpdateRule {
    const o = this.options;
    this.step += 1;
    const t = this.step;
    return {
      kind: 'adam',
      alpha: (lr * Math.sqrt(1 - o.beta2 ** t)) / (1 - o.beta1 ** t),
      beta1: o.beta1,
      beta2: o.beta2,
      epsilon: o.epsilon,
      clipNorm: o.clipNorm,
      norm: fusedPathActive() ? 'exact' : 'rounded',
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
