/**
 * Learning-rate schedules: plain functions of the optimizer step (0 for the
 * first update), so a resumed run gets the same rate from the saved step.
 */
export type LearningRateSchedule = (step: number) => number;

/** The same rate at every step. */
export function constantSchedule(learningRate: number): LearningRateSchedule {
  return () => learningRate;
}

/**
 * `learningRate · decayRate^(step / decaySteps)`, not staircase (Keras
 * `ExponentialDecay`; XChrom uses 0.01 · 0.9^(step/10⁴)).
 */
export function exponentialDecaySchedule(o: {
  learningRate: number;
  decayRate: number;
  decaySteps: number;
}): LearningRateSchedule {
  return (step) => o.learningRate * o.decayRate ** (step / o.decaySteps);
}

/**
 * Linear warm-up from 0 to `learningRate` over `warmupSteps`, then a half
 * cosine down to `minLearningRate` at `totalSteps` (and held there), as
 * `transformers.get_cosine_schedule_with_warmup` (which ends at 0).
 */
export function warmupCosineSchedule(o: {
  learningRate: number;
  warmupSteps: number;
  totalSteps: number;
  minLearningRate?: number;
}): LearningRateSchedule {
  const min = o.minLearningRate ?? 0;
  return (step) => {
    if (step < o.warmupSteps) return (o.learningRate * step) / Math.max(1, o.warmupSteps);
    const progress = Math.min(
      1,
      (step - o.warmupSteps) / Math.max(1, o.totalSteps - o.warmupSteps),
    );
    return min + (o.learningRate - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}
