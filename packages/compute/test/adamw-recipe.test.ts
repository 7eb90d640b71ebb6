import { describe, expect, it } from 'vitest';
import { adamWRecipe, warmupCosineSchedule } from '../src/index.js';

describe('adamWRecipe', () => {
  it('is AdamW with PyTorch defaults, the warm-up + cosine over the run and the clip asked for', () => {
    const r = adamWRecipe({
      learningRate: 1e-3,
      weightDecay: 0.05,
      schedule: { kind: 'warmup-cosine', stepsPerEpoch: 10, epochs: 4 },
      clipGlobalNorm: 1,
    });
    expect(r.optimizer).toEqual({
      kind: 'adamw',
      options: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.05 },
    });
    const ref = warmupCosineSchedule({ learningRate: 1e-3, warmupSteps: 10, totalSteps: 40 });
    for (const step of [0, 5, 10, 25, 40, 50]) expect(r.schedule!(step)).toBe(ref(step));
    expect(r.schedule!(5)).toBeCloseTo(5e-4, 12);
    expect(r.schedule!(40)).toBeCloseTo(0, 12);
    expect(r.clip).toEqual({ globalNorm: 1 });
  });

  it('keeps a constant rate and sets no clip when none is asked for', () => {
    const r = adamWRecipe({ learningRate: 3e-4, weightDecay: 0.01, schedule: 'constant' });
    expect([0, 1, 1000].map((s) => r.schedule!(s))).toEqual([3e-4, 3e-4, 3e-4]);
    expect('clip' in r).toBe(false);
  });
});
