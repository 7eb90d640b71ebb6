import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createTrainingEngine,
  inProcessGradientStep,
  type TrainingEngine,
} from '../src/parallel/engine.js';
import { reduceSlots, variableRange } from '../src/parallel/reduce.js';
import { toyBatch, toyConfig } from './parallel-toy.js';

/**
 * The workers reduce their gradient slots themselves (src/parallel/reduce.ts). Oracle: the
 * main-thread arithmetic the engine used before — each shard's gradient × its weight rounded
 * to float32, then slot₀ + slot₁ + … in worker order — recomputed here from per-shard
 * in-process steps on the same backend: the result must be bit-identical.
 */
const module = new URL('./parallel-toy.ts', import.meta.url).href;
const engines: TrainingEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.dispose()));
});

describe('gradient reduction in the workers', () => {
  it('reduceSlots over the variable-aligned ranges equals the sequential sum in slot order', () => {
    const offsets = [0, 10, 11, 500, 501, 1001]; // five variables of uneven size
    const n = offsets.at(-1)!;
    const slots = [0, 1, 2].map((k) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * (k + 1)) / 3),
    );
    const want = Float32Array.from(slots[0]!);
    for (const s of slots.slice(1)) for (let i = 0; i < n; i++) want[i] = want[i]! + s[i]!;
    const got = new Float32Array(n);
    let next = 0;
    for (let w = 0; w < 3; w++) {
      const r = variableRange(w, 3, offsets);
      expect(r.lo).toBe(next); // contiguous, cut at variable boundaries
      expect(offsets).toContain(r.hi);
      next = r.hi;
      reduceSlots(slots, 3, got, r.lo, r.hi);
    }
    expect(next).toBe(n);
    expect(Array.from(got)).toEqual(Array.from(want));
    // Cuts nearest to the even split: 334 → 500 (dist 166 < 323 to 11), 667 → 501.
    expect([0, 1, 2].map((w) => variableRange(w, 3, offsets).first)).toEqual([0, 3, 4]);
    // One participant takes everything; more participants than variables leave some empty.
    expect(variableRange(0, 1, offsets)).toEqual({ lo: 0, hi: n, first: 0, last: 5 });
    expect(variableRange(0, 4, [0, 7])).toEqual({ lo: 0, hi: 0, first: 0, last: 0 });
    expect(variableRange(3, 4, [0, 7]).hi).toBe(7);
  });

  it.each([9, 1])(
    '2 workers, batch %i: gradients bit-equal to the main-thread sum of pre-scaled shard gradients',
    async (size) => {
      const config = { ...toyConfig, batchNorm: false };
      const engine = await createTrainingEngine({
        module,
        factory: 'makeToyTrainable',
        config,
        seed: 5,
        workers: 2,
      });
      engines.push(engine);
      const model = engine.model;
      const batch = toyBatch(config, size, 4);
      const shards = model.splitBatch(batch, 2).filter((s) => model.batchSize(s) > 0);
      const scaled: Float32Array[][] = [];
      for (const shard of shards) {
        const { grads } = await inProcessGradientStep(model, shard);
        const w = model.batchSize(shard) / size;
        scaled.push(grads.map((g) => Float32Array.from(g.dataSync(), (x) => w * x)));
        tf.dispose(grads);
      }
      const want = scaled[0]!.map((g, v) => {
        const acc = Float32Array.from(g);
        for (const s of scaled.slice(1))
          for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + s[v]![i]!;
        return acc;
      });
      const got = await engine.gradientStep(model, batch);
      got.grads.forEach((g, v) => expect(Array.from(g.dataSync())).toEqual(Array.from(want[v]!)));
      tf.dispose(got.grads);
      // A second step reuses the barrier (its generation has advanced).
      const again = await engine.gradientStep(model, batch);
      again.grads.forEach((g, v) => expect(Array.from(g.dataSync())).toEqual(Array.from(want[v]!)));
      tf.dispose(again.grads);
    },
  );
});
