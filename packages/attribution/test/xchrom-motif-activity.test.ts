import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@chromflow/core';
import {
  makeXChromSplit,
  peakIndexFromCellCounts,
  trainXChrom,
  type XChromConfig,
} from '@chromflow/models';
import {
  consensusCodes,
  gcMatchedBackgrounds,
  insertAtCentre,
  xchromMotifActivity,
} from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('backgrounds and insertion (hand-derived)', () => {
  it('GC-matched backgrounds follow the source GC fraction and are seeded', () => {
    const L = 200;
    // One all-GC and one all-AT source peak: each background is all-GC or all-AT.
    const src = new Uint8Array(2 * L);
    src.fill(2, 0, L);
    src.fill(0, L);
    const bg = gcMatchedBackgrounds(src, L, 20, 7);
    expect(gcMatchedBackgrounds(src, L, 20, 7)).toEqual(bg);
    let gcRows = 0;
    for (let b = 0; b < 20; b++) {
      const row = bg.subarray(b * L, (b + 1) * L);
      const gc = row.filter((c) => c === 1 || c === 2).length;
      expect(gc === 0 || gc === L).toBe(true);
      if (gc === L) gcRows++;
    }
    expect(gcRows).toBeGreaterThan(0);
    expect(gcRows).toBeLessThan(20);
  });
  it('consensus is the argmax and insertion is centred', () => {
    const p = [0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.7, 0.25, 0.25, 0.4, 0.1];
    expect(Array.from(consensusCodes(p, 3))).toEqual([0, 3, 2]);
    const out = insertAtCentre(new Uint8Array(10).fill(1), 10, new Uint8Array([0, 3, 2]));
    expect(Array.from(out)).toEqual([1, 1, 1, 0, 3, 2, 1, 1, 1, 1]);
  });
});

/**
 * Planted truth small enough to train in seconds: motif A (GGGGCCCC) opens a
 * peak in type-1 cells, motif B (TTTTAAAA... as codes 3,3,3,3,0,0,0,0) in
 * type-0 cells (p 0.85, else 0.1); motif C (ACGTACGT) is planted nowhere. The
 * RNA embedding carries the type in its first dimension (±1.5). Test-data's own
 * drivers are measured by bench/motif-activity-test-data.ts (training there takes
 * minutes; see the README).
 */
const L = 48;
const TINY: XChromConfig = {
  seqLength: L,
  stemFilters: 8,
  stemKernel: 5,
  stemPool: 3,
  towerFilters: [8, 12],
  towerKernel: 3,
  towerPool: 2,
  bottleneckFilters: 4,
  embeddingDim: 8,
  dropout: 0.2,
  cellInputDim: 6,
  cellHidden: 8,
  cellNoiseSd: 0.01,
  bnEpsilon: 1e-3,
  bnMomentum: 0.9,
  lnEpsilon: 1e-3,
};
const A = new Uint8Array([2, 2, 2, 2, 1, 1, 1, 1]);
const B = new Uint8Array([3, 3, 3, 3, 0, 0, 0, 0]);
const C = new Uint8Array([0, 1, 2, 3, 0, 1, 2, 3]);

describe('motif activity recovers planted cell-type drivers', () => {
  it('ranks A first in type-1 cells and B first in type-0 cells', async () => {
    const rng = new SeededRandom(3);
    const nPeaks = 240;
    const nCells = 40;
    const codes = Uint8Array.from({ length: nPeaks * L }, () => rng.int(0, 4));
    const kind = Array.from({ length: nPeaks }, (_, p) => p % 3); // 0: A, 1: B, 2: none
    kind.forEach((k, p) => {
      if (k < 2) codes.set(k === 0 ? A : B, p * L + rng.int(4, L - 12));
    });
    const D = 6;
    const type = Array.from({ length: nCells }, (_, c) => c % 2);
    const cellInputs = Float32Array.from({ length: nCells * D }, () => rng.normal() * 0.5);
    type.forEach((t, c) => (cellInputs[c * D] = (cellInputs[c * D] as number) + (t ? 1.5 : -1.5)));
    const rows: number[] = [];
    const cols: number[] = [];
    for (let p = 0; p < nPeaks; p++)
      for (let c = 0; c < nCells; c++) {
        const open = (kind[p] === 0 && type[c] === 1) || (kind[p] === 1 && type[c] === 0);
        if (rng.uniform() < (open ? 0.85 : 0.1)) {
          rows.push(c);
          cols.push(p);
        }
      }
    const data = {
      nPeaks,
      nCells,
      seqLength: L,
      codes,
      ...peakIndexFromCellCounts(
        nCells,
        nPeaks,
        Int32Array.from(rows),
        Int32Array.from(cols),
        new Float32Array(rows.length).fill(1),
      ),
      cellInputs,
      embeddingDim: D,
      depth: new Float32Array(nCells),
      barcodes: Array.from({ length: nCells }, (_, i) => `c${i}`),
      peakNames: Array.from({ length: nPeaks }, (_, i) => `p${i}`),
    };
    const split = makeXChromSplit({
      nPeaks,
      nCells,
      testCellFraction: 0,
      testPeakFraction: 0,
      valFraction: 0.1,
      seed: 0,
    });
    const r = await trainXChrom(data, split, {
      config: TINY,
      seed: 0,
      epochs: EPOCHS,
      patience: EPOCHS,
      batchPeaks: 64,
    });
    const bg = gcMatchedBackgrounds(codes, L, 32, 1);
    const act = await xchromMotifActivity(
      r.model,
      bg,
      [
        { name: 'A', codes: A },
        { name: 'B', codes: B },
        { name: 'C', codes: C },
      ],
      cellInputs,
    );
    r.model.dispose();
    const meanZ = (t: number, m: number): number => {
      const cells = type.flatMap((x, c) => (x === t ? [c] : []));
      return cells.reduce((s, c) => s + (act.zscore[c * 3 + m] as number), 0) / cells.length;
    };
    const z1 = [0, 1, 2].map((m) => meanZ(1, m));
    const z0 = [0, 1, 2].map((m) => meanZ(0, m));
    console.log(`type 1 mean z A B C: ${z1.map((z) => z.toFixed(2)).join(' ')}`);
    console.log(`type 0 mean z A B C: ${z0.map((z) => z.toFixed(2)).join(' ')}`);
    const rawMean = (t: number, m: number): number => {
      const cells = type.flatMap((x, c) => (x === t ? [c] : []));
      return cells.reduce((s, c) => s + (act.deltaLogit[c * 3 + m] as number), 0) / cells.length;
    };
    const raw = (t: number): string => [0, 1, 2].map((m) => rawMean(t, m).toFixed(3)).join(' ');
    console.log(`mean Δlogit A B C: type 1 ${raw(1)}; type 0 ${raw(0)}`);
    // Each planted motif scores its own type's cells high (z near +1, the types separate fully).
    expect(z1[0]).toBeGreaterThan(0.8);
    expect(z0[1]).toBeGreaterThan(0.8);
    // Per-motif z-scores hide effect size (any motif whose effect differs by type reaches |z| ≈ 1,
    // the unplanted C included), so the ranking of drivers is asserted on the raw Δlogit.
    expect(rawMean(1, 0)).toBeGreaterThan(Math.max(rawMean(1, 1), rawMean(1, 2)));
    expect(rawMean(0, 1)).toBeGreaterThan(Math.max(rawMean(0, 0), rawMean(0, 2)));
    expect(rawMean(1, 0)).toBeGreaterThan(rawMean(0, 0));
  }, 300_000);
});

const EPOCHS = 15;
