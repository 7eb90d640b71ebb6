import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { SeededRandom } from '@chromflow/core';
import { initBackend, type BackendChoice } from '../src/backend/init-backend.js';
import { createTrainingEngine, type TrainingEngine } from '../src/parallel/engine.js';
import {
  allocateSharedTraining,
  SharedStepper,
  sharedViews,
} from '../src/parallel/shared-memory.js';
import { hostUpdateVariable, type HostUpdateRule } from '../src/train/host-update.js';
import { Adam } from '../src/train/adam.js';
import { AdamW } from '../src/train/adamw.js';
import { fit, type FitOptions, type FitResult } from '../src/train/fit.js';
import type { HostSteppable } from '../src/train/host-update.js';
import type { Optimizer } from '../src/train/optimizer.js';
import { warmupCosineSchedule } from '../src/train/schedules.js';
import { takeWeights } from '../src/train/weights.js';
import { makeToyTrainable, toyBatch, toyConfig } from './parallel-toy.js';

/**
 * The optimizer step in the workers (`TrainingEngine.shardedStep`, docs/adr/0004-…): each
 * worker steps its range of whole variables on weights and moments in shared memory. Oracle:
 * the engine as it was — workers sum the gradients, the main thread's `optimizer.apply` steps
 * them — run side by side from the same seed: weights, moments, BN statistics and losses must
 * be bit-identical, on wasm (fused Adam kernel, AdamW ops) and cpu (op-by-op forms).
 */
const module = new URL('./parallel-toy.ts', import.meta.url).href;
const engines: TrainingEngine[] = [];
const dir = mkdtempSync(join(tmpdir(), 'chromflow-sharded-'));
afterAll(async () => {
  await Promise.all(engines.map((e) => e.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

const bits = (ts: tf.Tensor[]): number[][] =>
  ts.map((t) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer)));

type MakeOptimizer = (vars: tf.Variable[]) => Optimizer & HostSteppable;
const optimizers: [string, MakeOptimizer][] = [
  [
    'Adam with per-variable clipping (XChrom)',
    (vars) =>
      new Adam(vars, {
        learningRate: 0.02,
        decayRate: 0.9,
        decaySteps: 3,
        beta1: 0.95,
        beta2: 0.9995,
        epsilon: 1e-7,
        clipNorm: 0.05, // small enough that most steps clip
      }),
  ],
  [
    'AdamW with decay (GET)',
    (vars) =>
      new AdamW(vars, {
        learningRate: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        weightDecay: 0.05,
      }),
  ],
];
const backends: BackendChoice[] = ['wasm', 'cpu'];
const cases = backends.flatMap((b) => optimizers.map(([name, make]) => [b, name, make] as const));

describe('the workers’ step on shared memory', () => {
  const rules: HostUpdateRule[] = [
    {
      kind: 'adam',
      alpha: 3e-3,
      beta1: 0.95,
      beta2: 0.9995,
      epsilon: 1e-7,
      clipNorm: 0.5,
      norm: 'exact',
    },
    {
      kind: 'adam',
      alpha: 3e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      clipNorm: 0,
      norm: 'exact',
    },
    {
      kind: 'adamw',
      stepSize: 0.011,
      bc2Sqrt: 0.0447,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      decay: 0.9995,
    },
    {
      kind: 'adamw',
      stepSize: 0.011,
      bc2Sqrt: 0.0447,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      decay: 1,
    },
  ];
  it.each(rules.map((r) => [r.kind, r] as const))(
    'wasm-SIMD (%s) equals the JavaScript arithmetic bit for bit: reduction and update, odd sizes',
    (_kind, rule) => {
      const offsets = [0, 5, 6, 1007, 1010]; // tails of 1, 1, 3 and 3 floats
      const total = offsets.at(-1)!;
      const setup = (wasm: boolean): [SharedStepper, ReturnType<typeof sharedViews>] => {
        if (!wasm) process.env['CHROMFLOW_SHARED_WASM'] = '0';
        const mem = allocateSharedTraining(total, 3);
        delete process.env['CHROMFLOW_SHARED_WASM'];
        const v = sharedViews(mem);
        const fill = (a: Float32Array, k: number, pos = false): void =>
          a.forEach(
            (_, i) => (a[i] = pos ? Math.abs(Math.sin(i * k)) * 1e-3 : Math.cos(i * k) / 7),
          );
        fill(v.weights, 1.1);
        fill(v.m, 1.7);
        fill(v.v, 2.3, true);
        v.slots.forEach((s, k) => fill(s, 3.1 + k));
        const stepper = new SharedStepper(mem);
        expect(stepper.simd).toBe(wasm);
        return [stepper, v];
      };
      const [simd, js] = [setup(true), setup(false)];
      for (const [st] of [simd, js]) {
        st.reduce(3, 0, total);
        for (let j = 0; j + 1 < offsets.length; j++) st.step(rule, offsets[j]!, offsets[j + 1]!);
      }
      const all = ([, v]: [SharedStepper, ReturnType<typeof sharedViews>]): number[][] => {
        return [v.weights, v.m, v.v, v.sum].map((a) =>
          Array.from(new Uint32Array(a.slice().buffer)),
        );
      };
      expect(all(simd)).toEqual(all(js));
      // …and the JS form is hostUpdateVariable itself.
      const x = Float32Array.from({ length: 9 }, (_, i) => i / 9);
      const copy = Float32Array.from(x);
      hostUpdateVariable(rule, x, new Float32Array(9), new Float32Array(9), copy, 0, 9);
      expect(Array.from(x)).not.toEqual(Array.from(copy));
    },
  );
});

describe('optimizer step in the workers', () => {
  it.each(cases)(
    '%s, %s: bit-identical to the main-thread step on the summed gradients',
    async (backend, _name, make) => {
      await initBackend({ backend, quiet: true });
      const make2 = (): Promise<TrainingEngine> =>
        createTrainingEngine({
          module,
          factory: 'makeToyTrainable',
          config: toyConfig, // with batch norm: the state is averaged every step
          seed: 5,
          workers: 2,
          backend,
        });
      const [oldWay, newWay] = [await make2(), await make2()];
      engines.push(oldWay, newWay);
      expect(newWay.sharedStep).toBe('wasm-simd');
      const [a, b] = [oldWay.model, newWay.model];
      const [optA, optB] = [make(a.trainableVariables()), make(b.trainableVariables())];
      // Batch 1 leaves one participant (worker 0 steps every variable); a rate per step as a schedule gives.
      const sizes = [9, 1, 8, 7];
      const initial = bits(a.trainableVariables());
      const lossesA: number[] = [];
      const lossesB: number[] = [];
      for (const [k, n] of sizes.entries()) {
        const batch = toyBatch(toyConfig, n, 40 + k);
        const rate = 0.01 * (k + 1);
        const r = await oldWay.gradientStep(a, batch);
        optA.apply(r.grads, rate);
        tf.dispose(r.grads);
        lossesA.push(r.loss);
        lossesB.push(await newWay.shardedStep(b, batch, optB, rate));
      }
      // Before syncHost the workers hold the newer weights: predict must use them.
      const probe = toyBatch(toyConfig, 5, 99);
      const [pa, pb] = [await oldWay.predict(probe), await newWay.predict(probe)];
      expect(bits([pb])).toEqual(bits([pa]));
      newWay.syncHost();
      expect(lossesB).toEqual(lossesA);
      expect(optB.step).toBe(optA.step);
      expect(bits(b.trainableVariables())).toEqual(bits(a.trainableVariables()));
      expect(bits(optB.slotVariables())).toEqual(bits(optA.slotVariables()));
      expect(bits(b.stateVariables())).toEqual(bits(a.stateVariables()));
      expect(bits(a.trainableVariables())).not.toEqual(initial); // it did step
      // gradientStep after sharded steps starts from the stepped weights (it syncs first).
      const [ga, gb] = [await oldWay.gradientStep(a, probe), await newWay.gradientStep(b, probe)];
      expect(bits(gb.grads)).toEqual(bits(ga.grads));
      tf.dispose([pa, pb, ...ga.grads, ...gb.grads]);
      optA.dispose();
      optB.dispose();
    },
    120_000,
  );
});

const pool = toyBatch(toyConfig, 24, 11);
const rowX = toyConfig.length * 4;
const rowY = toyConfig.targets;

/** fit on 2 workers (optimizer in the workers), AdamW with warm-up + cosine, on wasm. */
function run(extra: Partial<FitOptions>): Promise<FitResult> {
  return fit({
    factory: makeToyTrainable,
    config: toyConfig,
    seed: 3,
    batches: {
      *epoch(rng: SeededRandom) {
        const order = rng.shuffle(Array.from({ length: 24 }, (_, i) => i));
        for (let lo = 0; lo < order.length; lo += 7) {
          const idx = order.slice(lo, lo + 7); // 7, 7, 7, 3
          const x = new Float32Array(idx.length * rowX);
          const y = new Float32Array(idx.length * rowY);
          idx.forEach((r, k) => {
            x.set((pool['x'] as Float32Array).subarray(r * rowX, (r + 1) * rowX), k * rowX);
            y.set((pool['y'] as Float32Array).subarray(r * rowY, (r + 1) * rowY), k * rowY);
          });
          yield { batch: { n: idx.length, x, y }, size: idx.length };
        }
      },
    },
    selections: [
      {
        name: 'val',
        label: 'val loss',
        evaluate: (m) => {
          const p = m.predictBatch!(toyBatch(toyConfig, 6, 21));
          const v = p.dataSync()[0]!;
          p.dispose();
          return Promise.resolve(v);
        },
      },
    ],
    epochs: 4,
    patience: 10,
    optimizer: {
      kind: 'adamw',
      options: { learningRate: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.05 },
    },
    schedule: warmupCosineSchedule({ learningRate: 0.02, warmupSteps: 4, totalSteps: 16 }),
    parallel: { workers: 2, module, factoryName: 'makeToyTrainable', backend: 'wasm' },
    ...extra,
  });
}

describe('fit with the optimizer in the workers', () => {
  it('resumes bit for bit: 2 epochs, stop, resume to 4 = 4 uninterrupted (weights, moments via state, best)', async () => {
    await initBackend({ backend: 'wasm', quiet: true });
    const full = await run({});
    const ck = join(dir, 'resume');
    const first = await run({ checkpointDir: ck, stopAfterEpochs: 2 });
    expect(first.interrupted).toBe(true);
    const resumed = await run({ checkpointDir: ck, resume: true });
    expect(resumed.history).toHaveLength(4);
    expect(takeWeights(resumed.model)).toEqual(takeWeights(full.model));
    expect(resumed.selections['val']!.weights).toEqual(full.selections['val']!.weights);
    expect(resumed.history.map((h) => h.trainLoss)).toEqual(full.history.map((h) => h.trainLoss));
    expect(takeWeights(full.model)).not.toEqual(takeWeights(first.model));
    for (const r of [full, first, resumed])
      tf.dispose([...r.model.trainableVariables(), ...r.model.stateVariables()]);
  }, 180_000);
});
