import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { SeededRandom } from '@chromflow/core';
import { initBackend } from '../src/backend/init-backend.js';
import {
  fit,
  type BatchSource,
  type FitOptions,
  type FitResult,
  type Selection,
} from '../src/train/fit.js';
import { warmupCosineSchedule } from '../src/train/schedules.js';
import type { HostBatch, Trainable } from '../src/train/trainable.js';
import { takeWeights } from '../src/train/weights.js';
import { relativeError } from './kernels-harness.js';
import { makeToyTrainable, toyBatch, toyConfig } from './parallel-toy.js';

/**
 * `fit` on the engine tests' toy CNN (conv → batch norm → GELU → pool →
 * dense): exact resume (a run stopped after epoch k and resumed equals an
 * uninterrupted one bit for bit: weights, BN statistics, each selection's
 * best weights, history) on the cpu and wasm backends, for Adam with
 * per-variable clipping and for AdamW with warm-up + cosine and global-norm
 * clipping; and early stopping on two named selections against hand-made loss curves.
 */
const dir = mkdtempSync(join(tmpdir(), 'chromflow-fit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pool = toyBatch(toyConfig, 40, 11);
const rowX = toyConfig.length * 4;
const rowY = toyConfig.targets;

/** Shuffled batches of 8 from a pool of 40 with N(0, 0.05²) input noise: every draw from `rng`. */
const batches: BatchSource = {
  *epoch(rng: SeededRandom) {
    const order = rng.shuffle(Array.from({ length: 40 }, (_, i) => i));
    for (let lo = 0; lo < order.length; lo += 8) {
      const idx = order.slice(lo, lo + 8);
      const x = new Float32Array(idx.length * rowX);
      const y = new Float32Array(idx.length * rowY);
      idx.forEach((r, k) => {
        for (let j = 0; j < rowX; j++)
          x[k * rowX + j] = (pool['x'] as Float32Array)[r * rowX + j]! + 0.05 * rng.normal();
        y.set((pool['y'] as Float32Array).subarray(r * rowY, (r + 1) * rowY), k * rowY);
      });
      yield { batch: { n: idx.length, x, y }, size: idx.length };
    }
  },
};

/** Mean binary cross-entropy of the model's predictions on a fixed batch. */
function bceOn(batch: HostBatch): (m: Trainable) => Promise<number> {
  return async (m) => {
    const p = m.predictBatch!(batch);
    const prob = await p.data();
    p.dispose();
    const y = batch['y'] as Float32Array;
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const q = Math.min(Math.max(prob[i]!, 1e-7), 1 - 1e-7);
      s -= y[i]! * Math.log(q) + (1 - y[i]!) * Math.log(1 - q);
    }
    return s / y.length;
  };
}
const selections: Selection[] = [
  { name: 'a', label: 'val loss', evaluate: bceOn(toyBatch(toyConfig, 12, 21)) },
  { name: 'b', label: 'val b', evaluate: bceOn(toyBatch(toyConfig, 12, 31)) },
];

const variants: [string, Partial<FitOptions>][] = [
  [
    'Adam (exponential decay, per-variable clipping)',
    {
      optimizer: {
        kind: 'adam',
        options: {
          learningRate: 0.05,
          decayRate: 0.5,
          decaySteps: 10,
          beta1: 0.9,
          beta2: 0.999,
          epsilon: 1e-7,
          clipNorm: 0.5,
        },
      },
    },
  ],
  [
    'AdamW (warm-up + cosine, global-norm clipping)',
    {
      optimizer: {
        kind: 'adamw',
        options: { learningRate: 0, beta1: 0.9, beta2: 0.98, epsilon: 1e-8, weightDecay: 0.05 },
      },
      schedule: warmupCosineSchedule({ learningRate: 0.03, warmupSteps: 7, totalSteps: 30 }),
      clip: { globalNorm: 0.3 },
    },
  ],
];

async function run(extra: Partial<FitOptions>): Promise<FitResult> {
  return fit({
    factory: makeToyTrainable,
    config: toyConfig,
    seed: 3,
    batches,
    selections,
    epochs: 6,
    patience: 100,
    optimizer: variants[0]![1].optimizer!,
    ...extra,
  });
}

function dispose(r: FitResult): void {
  tf.dispose([...r.model.trainableVariables(), ...r.model.stateVariables()]);
}

describe.each(['cpu', 'wasm'] as const)('fit on %s', (backend) => {
  it.each(variants)(
    'resumes bit-exactly: 2 + 2 + 2 epochs equal 6 uninterrupted (%s)',
    async (label, v) => {
      await initBackend({ backend, quiet: true });
      const fullCk = join(dir, `${backend}-${label.slice(0, 5)}-full`);
      const full = await run({ ...v, checkpointDir: fullCk });
      const ck = join(dir, `${backend}-${label.slice(0, 5)}`);
      let part = await run({ ...v, checkpointDir: ck, stopAfterEpochs: 2 });
      expect(part.interrupted).toBe(true);
      expect(part.history).toHaveLength(2);
      dispose(part);
      part = await run({ ...v, checkpointDir: ck, resume: true, stopAfterEpochs: 2 });
      expect(part.history).toHaveLength(4);
      dispose(part);
      const resumed = await run({ ...v, checkpointDir: ck, resume: true });
      expect(resumed.interrupted).toBe(false);
      expect(resumed.history).toEqual(full.history);
      // The saved state too, byte for byte (what a cache entry holds).
      for (const f of ['model.json', 'weights.bin'])
        expect(
          readFileSync(join(ck, 'state', f)).equals(readFileSync(join(fullCk, 'state', f))),
          f,
        ).toBe(true);
      expect(takeWeights(resumed.model)).toEqual(takeWeights(full.model));
      for (const name of ['a', 'b']) {
        expect(resumed.selections[name]!.bestEpoch).toBe(full.selections[name]!.bestEpoch);
        expect(resumed.selections[name]!.weights).toEqual(full.selections[name]!.weights);
      }
      // Training moved the weights (the comparison is not of two untouched models).
      const fresh = await makeToyTrainable(toyConfig, 3);
      expect(takeWeights(fresh)[0]).not.toEqual(takeWeights(full.model)[0]);
      // An uninterrupted run with a different data seed differs (the rng state matters).
      const other = await run({ ...v, dataSeed: 99 });
      expect(takeWeights(other.model)[0]).not.toEqual(takeWeights(full.model)[0]);
      for (const r of [full, resumed, other]) dispose(r);
      tf.dispose([...fresh.trainableVariables(), ...fresh.stateVariables()]);
    },
    60_000,
  );
});

describe('fit: selections, state fallbacks, workers', () => {
  it('keeps each selection’s best epoch and weights, and stops when every one has waited its patience', async () => {
    await initBackend({ backend: 'cpu', quiet: true });
    // Scripted validation curves: `a` is best at epoch 1 (0-based), `b` at epoch 4.
    const curves: Record<string, number[]> = {
      a: [5, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      b: [5, 4, 3, 2, 1, 2, 3, 4, 5, 6],
    };
    const seenWeights: Record<string, Float32Array[][]> = { a: [], b: [] };
    const scripted = (name: string): Selection => ({
      name,
      label: name,
      patience: name === 'a' ? 2 : 3,
      evaluate(m) {
        seenWeights[name]!.push(takeWeights(m));
        return Promise.resolve(curves[name]![seenWeights[name]!.length - 1]!);
      },
    });
    const lines: string[] = [];
    const r = await run({
      selections: [scripted('a'), scripted('b')],
      epochs: 10,
      log: (m) => lines.push(m),
    });
    // `a` stops after epoch 3 (waited 2), `b` after epoch 7 (waited 3): 8 epochs run.
    expect(r.history).toHaveLength(8);
    expect(r.selections['a']).toMatchObject({ bestEpoch: 1, bestLoss: 1, wait: 6 });
    expect(r.selections['b']).toMatchObject({ bestEpoch: 4, bestLoss: 1, wait: 3 });
    expect(r.selections['a']!.weights).toEqual(seenWeights['a']![1]);
    expect(r.selections['b']!.weights).toEqual(seenWeights['b']![4]);
    expect(lines[0]).toMatch(
      /^epoch 1: train loss \d\.\d{4}, a 5\.0000, b 5\.0000, \d+\.\d s, lr \d\.\d{3}e-\d$/,
    );
    dispose(r);
  }, 60_000);

  it('resumes from state.previous when a kill fell between the two renames', async () => {
    await initBackend({ backend: 'cpu', quiet: true });
    const full = await run({});
    const ck = join(dir, 'between-renames');
    dispose(await run({ checkpointDir: ck, stopAfterEpochs: 3 }));
    expect(readdirSync(ck)).toEqual(['state']);
    renameSync(join(ck, 'state'), join(ck, 'state.previous'));
    const resumed = await run({ checkpointDir: ck, resume: true });
    expect(resumed.history).toHaveLength(6);
    expect(takeWeights(resumed.model)).toEqual(takeWeights(full.model));
    expect(readdirSync(ck)).toEqual(['state']);
    dispose(full);
    dispose(resumed);
  }, 60_000);

  it('trains data-parallel on 2 workers to the single-process weights (no batch norm: within float tolerance)', async () => {
    await initBackend({ backend: 'cpu', quiet: true });
    const config = { ...toyConfig, batchNorm: false };
    const single = await run({ config, epochs: 2 });
    const lines: string[] = [];
    const parallel = await run({
      config,
      epochs: 2,
      parallel: {
        workers: 2,
        module: new URL('./parallel-toy.ts', import.meta.url).href,
        factoryName: 'makeToyTrainable',
        backend: 'cpu',
      },
      log: (m) => lines.push(m),
    });
    expect(lines[0]).toBe('data-parallel training on 2 workers (cpu)');
    const a = takeWeights(single.model);
    const b = takeWeights(parallel.model);
    a.forEach((w, i) => expect(relativeError(b[i]!, w), `variable ${i}`).toBeLessThan(1e-4));
    expect(
      relativeError(a[0]!, takeWeights(await makeToyTrainable(config, 3))[0]!),
    ).toBeGreaterThan(1e-2);
    dispose(single);
    dispose(parallel);
  }, 120_000);

  it('refuses to resume a state saved with other selections', async () => {
    await initBackend({ backend: 'cpu', quiet: true });
    const ck = join(dir, 'other-selections');
    dispose(await run({ checkpointDir: ck, stopAfterEpochs: 1 }));
    await expect(
      run({ checkpointDir: ck, resume: true, selections: [selections[0]!] }),
    ).rejects.toMatchObject({ code: 'PARAM', expected: 'a', found: 'a, b' });
  }, 60_000);
});
