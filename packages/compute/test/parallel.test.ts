import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createTrainingEngine,
  inProcessGradientStep,
  type TrainingEngine,
} from '../src/parallel/engine.js';
import { makeToyTrainable, toyBatch, toyConfig } from './parallel-toy.js';
import { relativeError } from './kernels-harness.js';

const module = new URL('./parallel-toy.ts', import.meta.url).href;
const engines: TrainingEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.dispose()));
});

async function arrays(ts: tf.Tensor[]): Promise<Float32Array[]> {
  return Promise.all(ts.map(async (t) => Float32Array.from(await t.data())));
}

describe('training engine', () => {
  it('2 workers give the single-process gradients (no batch-dependent layers)', async () => {
    const config = { ...toyConfig, batchNorm: false };
    const engine = await createTrainingEngine({
      module,
      factory: 'makeToyTrainable',
      config,
      seed: 7,
      workers: 2,
    });
    engines.push(engine);
    expect(engine.workers).toBe(2);
    const batch = toyBatch(config, 9, 3); // odd size: shards of 4 and 5
    const parallel = await engine.gradientStep(engine.model, batch);
    const local = await inProcessGradientStep(engine.model, batch);
    expect(Math.abs(parallel.loss - local.loss)).toBeLessThan(1e-5);
    const [pg, lg] = [await arrays(parallel.grads), await arrays(local.grads)];
    lg.forEach((g, i) => expect(relativeError(pg[i]!, g), `gradient ${i}`).toBeLessThan(1e-4));
    tf.dispose([...parallel.grads, ...local.grads]);
  });

  it('predict on 2 workers equals in-process predictBatch, before and after weights and BN state change', async () => {
    const engine = await createTrainingEngine({
      module,
      factory: 'makeToyTrainable',
      config: toyConfig,
      seed: 11,
      workers: 2,
    });
    engines.push(engine);
    const batch = toyBatch(toyConfig, 7, 5);
    const check = async (): Promise<void> => {
      const parallel = await engine.predict(batch);
      const local = engine.model.predictBatch!(batch);
      expect(parallel.shape).toEqual([7, toyConfig.targets]);
      expect(
        relativeError(...((await arrays([parallel, local])) as [Float32Array, Float32Array])),
      ).toBeLessThan(1e-5);
      tf.dispose([parallel, local]);
    };
    await check();
    await check(); // weights unchanged: the workers reuse what they hold
    // A training step changes the BN moving statistics in the main model; then the weights.
    const { grads } = await engine.gradientStep(engine.model, toyBatch(toyConfig, 6, 9));
    engine.model
      .trainableVariables()
      .forEach((v, i) => v.assign(tf.sub(v, tf.mul(grads[i]!, 0.5))));
    tf.dispose(grads);
    await check();
  });

  it('with batch norm: gradients and moving statistics are the shard-size-weighted means of per-shard steps', async () => {
    const engine = await createTrainingEngine({
      module,
      factory: 'makeToyTrainable',
      config: toyConfig,
      seed: 7,
      workers: 2,
    });
    engines.push(engine);
    const batch = toyBatch(toyConfig, 7, 5);
    const m = engine.model;
    const state0 = await arrays(m.stateVariables());
    const parallel = await engine.gradientStep(m, batch);
    const stateParallel = await arrays(m.stateVariables());
    // Oracle: run each shard in-process from the same starting state.
    const shards = m.splitBatch(batch, 2);
    const expectedGrads = m.trainableVariables().map((v) => new Float32Array(v.size));
    const expectedState = state0.map((s) => new Float32Array(s.length));
    for (const shard of shards) {
      m.stateVariables().forEach((v, i) => v.assign(tf.tensor(state0[i]!, v.shape)));
      const w = m.batchSize(shard) / m.batchSize(batch);
      const r = await inProcessGradientStep(m, shard);
      (await arrays(r.grads)).forEach((g, i) =>
        g.forEach((x, j) => (expectedGrads[i]![j]! += w * x)),
      );
      (await arrays(m.stateVariables())).forEach((s, i) =>
        s.forEach((x, j) => (expectedState[i]![j]! += w * x)),
      );
      tf.dispose(r.grads);
    }
    const pg = await arrays(parallel.grads);
    expectedGrads.forEach((g, i) =>
      expect(relativeError(pg[i]!, g), `gradient ${i}`).toBeLessThan(1e-4),
    );
    expectedState.forEach((s, i) =>
      expect(relativeError(stateParallel[i]!, s), `state ${i}`).toBeLessThan(1e-5),
    );
    expect(relativeError(stateParallel[0]!, state0[0]!)).toBeGreaterThan(0); // state did move
    tf.dispose(parallel.grads);
  });

  it('single-process mode is deterministic: same seed, same weights and loss curve', async () => {
    const run = async (): Promise<{ losses: number[]; weights: Float32Array[] }> => {
      const engine = await createTrainingEngine({
        module,
        factory: 'makeToyTrainable',
        config: toyConfig,
        seed: 11,
        workers: 0,
      });
      expect(engine.workers).toBe(0);
      const initial = await arrays(engine.model.trainableVariables());
      const opt = tf.train.adam(0.01, 0.95, 0.9995, 1e-7);
      const losses: number[] = [];
      for (let step = 0; step < 4; step++) {
        losses.push(
          await engine.trainStep(toyBatch(toyConfig, 8, 100 + step), opt, { clipNorm: 1 }),
        );
      }
      opt.dispose();
      await engine.dispose();
      tf.dispose(engine.model.trainableVariables());
      tf.dispose(engine.model.stateVariables());
      return { losses, weights: initial };
    };
    const a = await run();
    const b = await run();
    expect(b.losses).toEqual(a.losses);
    a.weights.forEach((w, i) => expect(Array.from(b.weights[i]!)).toEqual(Array.from(w)));
    expect(a.losses[3]).toBeLessThan(a.losses[0]!); // it trains
    // A different seed gives different weights.
    expect(makeToyTrainable).toBeTypeOf('function');
  });
});
