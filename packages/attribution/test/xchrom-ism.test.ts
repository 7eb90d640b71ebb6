import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@chromflow/core';
import {
  computeCellEmbeddings,
  computeLogits,
  computePeakEmbeddings,
  XChromModel,
  type XChromConfig,
} from '@chromflow/models';
import {
  attributeSequences,
  gradientTimesInputPerPosition,
  inSilicoMutagenesisMulti,
  ismScores,
  spanCodes,
  xchromGroupLogit,
  xchromGroupLogits,
} from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// A tiny fixed conv model: f(x) = Σ_p v_p · relu(Σ_{k,b} W[k,b] x[p+k,b] + c) (valid conv).
const L = 12;
const K = 3;
const W = Array.from({ length: K * 4 }, (_, i) => Math.cos(i * 2.3) * 1.5);
const V = Array.from({ length: L - K + 1 }, (_, p) => 1 + Math.sin(p));
const C0 = -0.2;
const convModel = (x: tf.Tensor3D): tf.Tensor1D =>
  tf.tidy(() => {
    const h = tf.relu(tf.add(tf.conv1d(x, tf.tensor3d(W, [K, 4, 1]), 1, 'valid'), C0));
    return tf.reshape(tf.sum(tf.mul(tf.reshape(h, [x.shape[0], -1]), tf.tensor1d(V)), 1), [-1]);
  });
/** The same model in plain arithmetic on base codes: the brute-force oracle. */
function convOracle(codes: ArrayLike<number>): number {
  let s = 0;
  for (let p = 0; p + K <= L; p++) {
    let a = C0;
    for (let k = 0; k < K; k++) a += W[k * 4 + (codes[p + k] as number)] as number;
    s += (V[p] as number) * Math.max(0, a);
  }
  return s;
}

describe('ISM against brute-force recomputation', () => {
  it('raw, centred and reference-base scores of a tiny conv model equal the oracle', async () => {
    const rng = new SeededRandom(5);
    const n = 3;
    const codes = Uint8Array.from({ length: n * L }, () => rng.int(0, 4));
    const r = await attributeSequences(convModel, codes, n, L, { batchSize: 7 });
    for (let b = 0; b < n; b++) {
      const ref = Array.from(codes.subarray(b * L, (b + 1) * L));
      const f0 = convOracle(ref);
      for (let pos = 0; pos < L; pos++) {
        const d = [0, 1, 2, 3].map((base) => {
          const m = ref.slice();
          m[pos] = base;
          return convOracle(m) - f0;
        });
        const mean = (d[0]! + d[1]! + d[2]! + d[3]!) / 4;
        for (let base = 0; base < 4; base++) {
          const i = (b * L + pos) * 4 + base;
          expect(r.raw[i]).toBeCloseTo(d[base]!, 4);
          expect(r.centred[i]).toBeCloseTo(d[base]! - mean, 4);
        }
        expect(r.referenceScore[b * L + pos]).toBeCloseTo(-mean, 4);
        const alts = d.filter((_, base) => base !== ref[pos]).map(Math.abs);
        expect(r.maxAbsEffect[b * L + pos]).toBeCloseTo(Math.max(...alts), 4);
      }
    }
  });

  it('the XChrom cell-group head equals the mean of per-cell logits recomputed by models', async () => {
    const config: XChromConfig = {
      seqLength: 24,
      stemFilters: 4,
      stemKernel: 5,
      stemPool: 2,
      towerFilters: [6],
      towerKernel: 3,
      towerPool: 2,
      bottleneckFilters: 3,
      embeddingDim: 5,
      dropout: 0,
      cellInputDim: 4,
      cellHidden: 6,
      cellNoiseSd: 0,
      bnEpsilon: 1e-3,
      bnMomentum: 0.9,
      lnEpsilon: 1e-3,
    };
    const model = new XChromModel(config, 11);
    const rng = new SeededRandom(2);
    const nCells = 7;
    const cellInputs = Float32Array.from({ length: nCells * 4 }, () => rng.normal());
    const depth = Float32Array.from({ length: nCells }, () => rng.normal());
    const group = [1, 4, 6];
    const head = await xchromGroupLogit(model, cellInputs, depth, group);
    const Lx = config.seqLength;
    const codes = Uint8Array.from({ length: Lx }, () => rng.int(0, 4));
    const r = await attributeSequences(head.f, codes, 1, Lx);
    head.dispose();
    // Oracle: every mutant through models' prediction path, logits of every cell, averaged.
    const mutants = new Uint8Array(Lx * 4 * Lx);
    for (let pos = 0; pos < Lx; pos++)
      for (let base = 0; base < 4; base++) {
        mutants.set(codes, (pos * 4 + base) * Lx);
        mutants[(pos * 4 + base) * Lx + pos] = base;
      }
    const z = await computeLogits(
      model,
      await computePeakEmbeddings(model, mutants),
      await computeCellEmbeddings(model, cellInputs),
      depth,
    );
    const groupMean = (row: number): number =>
      group.reduce((s, c) => s + (z[row * nCells + c] as number), 0) / group.length;
    let maxErr = 0;
    let maxAbs = 0;
    for (let pos = 0; pos < Lx; pos++) {
      const f0 = groupMean(pos * 4 + (codes[pos] as number));
      for (let base = 0; base < 4; base++) {
        const want = groupMean(pos * 4 + base) - f0;
        maxErr = Math.max(maxErr, Math.abs((r.raw[pos * 4 + base] as number) - want));
        maxAbs = Math.max(maxAbs, Math.abs(want));
      }
    }
    expect(maxAbs).toBeGreaterThan(1e-3);
    expect(maxErr).toBeLessThan(1e-5 + 1e-4 * maxAbs);
    model.dispose();
  });
});

describe('multi-group ISM and spans', () => {
  const config: XChromConfig = {
    seqLength: 20,
    stemFilters: 4,
    stemKernel: 5,
    stemPool: 2,
    towerFilters: [6],
    towerKernel: 3,
    towerPool: 2,
    bottleneckFilters: 3,
    embeddingDim: 5,
    dropout: 0,
    cellInputDim: 3,
    cellHidden: 6,
    cellNoiseSd: 0,
    bnEpsilon: 1e-3,
    bnMomentum: 0.9,
    lnEpsilon: 1e-3,
  };
  it('one pass for K groups equals attributeSequences of each group, over a span too', async () => {
    const model = new XChromModel(config, 3);
    const rng = new SeededRandom(8);
    const nCells = 6;
    const cellInputs = Float32Array.from({ length: nCells * 3 }, () => rng.normal());
    const depth = Float32Array.from({ length: nCells }, () => rng.normal());
    const groups = [[0, 2], [1, 3, 5], [4]];
    const n = 2;
    const Lx = config.seqLength;
    const codes = Uint8Array.from({ length: n * Lx }, () => rng.int(0, 4));
    codes[5] = 4; // an N: score 0, raw values still f(base) − f(N)
    const heads = await xchromGroupLogits(model, cellInputs, depth, groups);
    const positions = { start: 3, end: 11 };
    const raws = await inSilicoMutagenesisMulti(heads.f, 3, codes, n, Lx, {
      positions,
      batchSize: 5,
    });
    for (let g = 0; g < groups.length; g++) {
      const single = await xchromGroupLogit(model, cellInputs, depth, groups[g]!);
      const full = await attributeSequences(single.f, codes, n, Lx);
      const span = await attributeSequences(single.f, codes, n, Lx, { positions });
      single.dispose();
      const w = positions.end - positions.start;
      expect(span.length).toBe(w);
      const scores = ismScores(raws[g]!, spanCodes(codes, n, Lx, 3, 11), n, 3);
      const gxi = await gradientTimesInputPerPosition(heads.scalar(g), codes, n, Lx, 3, 11);
      for (let b = 0; b < n; b++)
        for (let p = 0; p < w; p++) {
          const i = b * w + p;
          const j = b * Lx + positions.start + p;
          for (let base = 0; base < 4; base++) {
            expect(raws[g]![i * 4 + base]).toBeCloseTo(full.raw[j * 4 + base]!, 5);
            expect(span.centred[i * 4 + base]).toBeCloseTo(full.centred[j * 4 + base]!, 5);
          }
          expect(scores.referenceScore[i]).toBeCloseTo(full.referenceScore[j]!, 5);
          expect(span.gradientTimesInput[i]).toBeCloseTo(full.gradientTimesInput[j]!, 5);
          expect(gxi[i]).toBeCloseTo(full.gradientTimesInput[j]!, 5);
        }
      expect(full.referenceScore[5]).toBe(0);
    }
    heads.dispose();
    model.dispose();
    await expect(
      inSilicoMutagenesisMulti(heads.f, 3, codes, n, Lx, { positions: { start: 5, end: 30 } }),
    ).rejects.toThrow(/ISM positions are not a span of the window/);
  });
});
