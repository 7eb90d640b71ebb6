import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  augmentCodes,
  makeDenseTargets,
  peakIndexFromCellCounts,
} from '../src/data/xchrom-data.js';
import { Adam } from '@chromflow/compute';
import { SeededRandom } from '@chromflow/core';
import { countTrainableParams, XCHROM_PUBLISHED, XCHROM_SMALL } from '../src/xchrom/config.js';
import { binaryCrossEntropyFromLogits, oneHotFromCodes, XChromModel } from '../src/xchrom/model.js';
import { TINY } from './xchrom-fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('XChrom architecture', () => {
  it('the published configuration has the 4,518,218 trainable parameters of the XChrom tutorial summary', () => {
    expect(XCHROM_PUBLISHED.towerFilters).toEqual([288, 323, 363, 407, 456, 512]);
    expect(countTrainableParams(XCHROM_PUBLISHED)).toBe(4518218);
    const m = new XChromModel(XCHROM_PUBLISHED, 0);
    expect(m.countTrainableParams()).toBe(4518218);
    // With BatchNorm moving statistics: 4,524,068 (the tutorial's total).
    expect(m.countTrainableParams() + m.stateVariables().reduce((a, v) => a + v.size, 0)).toBe(
      4524068,
    );
    m.dispose();
  });
  it('the small configuration has 262,101', () => {
    expect(XCHROM_SMALL.towerFilters).toEqual([64, 74, 84, 97, 111, 128]);
    const m = new XChromModel(XCHROM_SMALL, 0);
    expect(m.countTrainableParams()).toBe(262101);
    m.dispose();
  });
  it('rejects a sequence too short for its pools', () => {
    expect(() => new XChromModel({ ...TINY, seqLength: 8 }, 0)).toThrow(/too short/);
  });
  it('builds identical weights from the same seed', async () => {
    const a = new XChromModel(TINY, 3);
    const b = new XChromModel(TINY, 3);
    const c = new XChromModel(TINY, 4);
    const wa = await a.trainableVariables()[0]!.data();
    expect(Array.from(await b.trainableVariables()[0]!.data())).toEqual(Array.from(wa));
    expect(Array.from(await c.trainableVariables()[0]!.data())).not.toEqual(Array.from(wa));
    [a, b, c].forEach((m) => m.dispose());
  });
  it('logits are peak·cell + w·b_zscore + b, clipped to ±15', async () => {
    const m = new XChromModel(TINY, 1);
    const pe = tf.tensor2d([
      [1, 2, 0, 0, 0, 0, 0, 0],
      [100, 0, 0, 0, 0, 0, 0, 0],
    ]);
    const ce = tf.tensor2d([[0.5, 0.25, 0, 0, 0, 0, 0, 0]]);
    const w = (
      await m
        .namedVariables()
        .find((n) => n.name === 'depth/kernel')!
        .variable.data()
    )[0]!;
    const z = await m.logits(pe, ce, tf.tensor1d([2])).data();
    expect(z[0]).toBeCloseTo(1 + 2 * w, 5);
    expect(z[1]).toBe(15);
    m.dispose();
  });
  it('BCE from logits equals −[y log σ + (1−y) log(1−σ)]', async () => {
    const z = [-3, -0.5, 0, 2, 7];
    const y = [0, 1, 1, 0, 1];
    const expected =
      z.reduce((a, zi, i) => {
        const p = 1 / (1 + Math.exp(-zi));
        return a - (y[i]! * Math.log(p) + (1 - y[i]!) * Math.log(1 - p));
      }, 0) / z.length;
    expect(
      (await binaryCrossEntropyFromLogits(tf.tensor1d(z), tf.tensor1d(y)).data())[0],
    ).toBeCloseTo(expected, 5);
  });
  it('training mode updates BatchNorm moving statistics; inference leaves them', async () => {
    const m = new XChromModel(TINY, 1);
    const mm = m.namedVariables().find((n) => n.name === 'stem/bn/moving_mean')!.variable;
    const codes = Uint8Array.from({ length: 2 * TINY.seqLength }, (_, i) => i % 4);
    m.peakEmbedding(oneHotFromCodes(codes, 2, TINY.seqLength), false).dispose();
    expect(Array.from(await mm.data()).every((v) => v === 0)).toBe(true);
    m.peakEmbedding(oneHotFromCodes(codes, 2, TINY.seqLength), true).dispose();
    expect(Array.from(await mm.data()).some((v) => v !== 0)).toBe(true);
    m.dispose();
  });
  it('splits a batch along peaks only', () => {
    const m = new XChromModel(TINY, 1);
    const L = TINY.seqLength;
    const batch = {
      codes: new Uint8Array(5 * L),
      targets: new Uint8Array(5 * 3),
      cellInputs: new Float32Array(3 * 6),
      depth: new Float32Array(3),
      dropoutMask: new Float32Array(5 * 8),
      nPeaks: 5,
      nCells: 3,
    };
    const parts = m.splitBatch(batch, 2);
    expect(parts.map((p) => p.nPeaks)).toEqual([2, 3]);
    expect(parts.map((p) => (p.targets as Uint8Array).length)).toEqual([6, 9]);
    expect(parts[1]!.cellInputs).toBe(batch.cellInputs);
    m.dispose();
  });
});

describe('Adam as Keras configures it for XChrom', () => {
  it('clips each gradient to norm 1 and takes the bias-corrected step', async () => {
    const x = tf.variable(tf.tensor1d([0, 0]));
    const adam = new Adam([x], {
      learningRate: 0.01,
      decayRate: 0.9,
      decaySteps: 10000,
      beta1: 0.95,
      beta2: 0.9995,
      epsilon: 1e-7,
      clipNorm: 1,
    });
    adam.apply([tf.tensor1d([30, 40])]); // norm 50 → clipped to (0.6, 0.8)
    // Step 1: m̂ = g, v̂ = g², update = lr·g/(|g|+ε) ≈ lr·sign(g).
    const v = await x.data();
    expect(v[0]).toBeCloseTo(-0.01, 6);
    expect(v[1]).toBeCloseTo(-0.01, 6);
    expect(adam.learningRate(10000)).toBeCloseTo(0.009, 12);
    adam.dispose();
    x.dispose();
  });
});

describe('XChrom data handling', () => {
  it('reverse complement then shift pads with code 4', () => {
    const codes = Uint8Array.from([0, 1, 2, 3, 4, 0]); // ACGTNA
    augmentCodes(codes, 6, true, 0);
    expect(Array.from(codes)).toEqual([3, 4, 0, 1, 2, 3]); // TNACGT
    augmentCodes(codes, 6, false, 2);
    expect(Array.from(codes)).toEqual([4, 4, 3, 4, 0, 1]);
    augmentCodes(codes, 6, false, -3);
    expect(Array.from(codes)).toEqual([4, 0, 1, 4, 4, 4]);
  });
  it('one-hot encodes N and padding as 0.25', async () => {
    const t = await oneHotFromCodes(Uint8Array.from([2, 4]), 1, 2).data();
    expect(Array.from(t)).toEqual([0, 0, 1, 0, 0.25, 0.25, 0.25, 0.25]);
  });
  it('binarises counts into a peak-major index and dense per-batch targets', () => {
    // cells × peaks COO: (cell 0, peak 1) = 3, (cell 2, peak 1) = 1, (cell 1, peak 0) = 0 (dropped), (cell 1, peak 2) = 2.
    const idx = peakIndexFromCellCounts(
      3,
      3,
      Int32Array.from([0, 2, 1, 1]),
      Int32Array.from([1, 1, 0, 2]),
      Float32Array.from([3, 1, 0, 2]),
    );
    expect(Array.from(idx.peakPtr)).toEqual([0, 0, 2, 3]);
    expect(Array.from(idx.cellIndices)).toEqual([0, 2, 1]);
    const data = {
      ...idx,
      nPeaks: 3,
      nCells: 3,
      seqLength: 1,
      codes: new Uint8Array(3),
      cellInputs: new Float32Array(3),
      embeddingDim: 1,
      depth: new Float32Array(3),
      barcodes: [],
      peakNames: [],
    };
    // Peaks [2, 1] × cells [2, 1]: peak 2 open in cell 1; peak 1 open in cell 2.
    expect(Array.from(makeDenseTargets(data, [2, 1], [2, 1]))).toEqual([0, 1, 1, 0]);
  });
  it('the RNG state resumes the same stream, a pending Box–Muller spare included', () => {
    const a = new SeededRandom(5);
    a.uniform();
    a.normal();
    expect(a.state()).toHaveLength(5);
    const b = SeededRandom.fromState(JSON.parse(JSON.stringify(a.state())) as number[]);
    expect([a.normal(), a.int(-3, 3), a.uniform()]).toEqual([
      b.normal(),
      b.int(-3, 3),
      b.uniform(),
    ]);
  });
});
