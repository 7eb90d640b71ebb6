import type { FitOptions } from './fit.js';
import { constantSchedule, warmupCosineSchedule } from './schedules.js';

/**
 * The optimiser settings GET, Atacformer (pretraining and every fine-tune), CRAFT and
 * CLASTER share, as `fit` options: AdamW with PyTorch's defaults (β 0.9/0.999, ε 1e-8)
 * and the model's decay; either a linear warm-up over the first epoch then a cosine to 0
 * at the last step (the transformers) or a constant rate (CLASTER); optionally the
 * gradient's global norm clipped (`torch.nn.utils.clip_grad_norm_`).
 */
export function adamWRecipe(o: {
  learningRate: number;
  weightDecay: number;
  /** `stepsPerEpoch` optimizer steps: the warm-up's length, and the cosine runs `epochs` of them. */
  schedule: 'constant' | { kind: 'warmup-cosine'; stepsPerEpoch: number; epochs: number };
  clipGlobalNorm?: number;
}): Pick<FitOptions, 'optimizer' | 'schedule' | 'clip'> {
  return {
    optimizer: {
      kind: 'adamw',
      options: {
        learningRate: o.learningRate,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        weightDecay: o.weightDecay,
      },
    },
    schedule:
      o.schedule === 'constant'
        ? constantSchedule(o.learningRate)
        : warmupCosineSchedule({
            learningRate: o.learningRate,
            warmupSteps: o.schedule.stepsPerEpoch,
            totalSteps: o.schedule.stepsPerEpoch * o.schedule.epochs,
          }),
    ...(o.clipGlobalNorm === undefined ? {} : { clip: { globalNorm: o.clipGlobalNorm } }),
  };
}
