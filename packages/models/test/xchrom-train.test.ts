import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadXChromModel } from '../src/checkpoint/xchrom-checkpoint.js';
import {
  gatherCellInputs,
  gatherCodes,
  gatherDepth,
  makeDenseTargets,
} from '../src/data/xchrom-data.js';
import { makeXChromSplit, readXChromSplit, xchromSplitToJson } from '../src/data/xchrom-split.js';
import { auroc } from '@chromflow/core';
import { evaluateXChromBlocks, xchromBlocks } from '../src/xchrom/evaluate.js';
import { predictXChrom } from '../src/xchrom/predict.js';
import {
  evaluateXChromLoss,
  trainXChrom,
  xchromTrainableModule,
} from '../src/xchrom/train-xchrom.js';
import { makePlantedData, TINY } from './xchrom-fixtures.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'xchrom-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const { data, truth } = makePlantedData(120, 40, 11);
const split = makeXChromSplit({
  nPeaks: 120,
  nCells: 40,
  testCellFraction: 0.2,
  testPeakFraction: 0.2,
  valFraction: 0.15,
  seed: 2,
});

/** The same split with 5 of the training cells kept out to select the weights for unseen cells. */
const splitWithValCells = makeXChromSplit({
  nPeaks: 120,
  nCells: 40,
  testCellFraction: 0.2,
  testPeakFraction: 0.2,
  valFraction: 0.15,
  valCellFraction: 0.15,
  seed: 2,
});

/** AUROC of the planted probabilities on a block: the achievable bound. */
function truthAuroc(peaks: Int32Array, cells: Int32Array, labels: Uint8Array): number {
  const s = new Float32Array(peaks.length * cells.length);
  peaks.forEach((p, i) => cells.forEach((c, j) => (s[i * cells.length + j] = truth[p * 40 + c]!)));
  return auroc(s, labels);
}

describe('XChrom training on planted truth', () => {
  it('points the workers at the factory module beside itself, with its own extension', () => {
    // From source here (.ts); the build resolves the .js (pipeline:full in CI trains on 2 workers).
    expect(xchromTrainableModule()).toMatch(/[/\\]xchrom[/\\]trainable-factory\.ts$/);
    expect(existsSync(xchromTrainableModule())).toBe(true);
  });

  it('recovers the planted motif × cell-type rule in held-out peaks and held-out cells', async () => {
    const r = await trainXChrom(data, split, {
      config: TINY,
      seed: 1,
      epochs: 25,
      patience: 6,
      batchPeaks: 24,
    });
    const m = await evaluateXChromBlocks(r.model, data, split);
    const blocks = xchromBlocks(split);
    const bound = (b: 'testPeaks' | 'testCells'): number =>
      truthAuroc(
        blocks[b]!.peaks,
        blocks[b]!.cells,
        makeDenseTargets(data, blocks[b]!.peaks, blocks[b]!.cells),
      );
    console.log(
      `planted: testPeaks AUROC ${m.testPeaks!.auroc.toFixed(3)} (bound ${bound('testPeaks').toFixed(3)}), testCells ${m.testCells!.auroc.toFixed(3)} (bound ${bound('testCells').toFixed(3)})`,
    );
    // An untrained model ranks near 0.5; the planted probabilities reach about 0.85.
    expect(m.testPeaks!.auroc).toBeGreaterThan(bound('testPeaks') - 0.1);
    expect(m.testCells!.auroc).toBeGreaterThan(bound('testCells') - 0.1);
    expect(r.history.length).toBeGreaterThan(1);
    r.model.dispose();
  }, 240_000);

  it('keeps the weights of the lowest validation-cell loss beside those of the lowest validation-peak loss', async () => {
    const s = splitWithValCells;
    expect(s.valCells).toHaveLength(5);
    expect(s.trainCells.some((c) => s.valCells!.includes(c) || s.testCells.includes(c))).toBe(
      false,
    );
    const r = await trainXChrom(data, s, {
      config: TINY,
      seed: 3,
      epochs: 8,
      patience: 3,
      batchPeaks: 24,
    });
    const cellLosses = r.history.map((h) => h.valCellsLoss!);
    const peakLosses = r.history.map((h) => h.valLoss);
    expect(r.cells!.bestEpoch).toBe(cellLosses.indexOf(Math.min(...cellLosses)));
    expect(r.bestEpoch).toBe(peakLosses.indexOf(Math.min(...peakLosses)));
    // Training stops only when both tracks have waited `patience` epochs.
    const last = r.history.length - 1;
    if (last < 7) expect(Math.min(last - r.bestEpoch, last - r.cells!.bestEpoch)).toBe(3);
    // Each kept model scores its own validation block at the recorded best loss.
    const cellLoss = await evaluateXChromLoss(r.cells!.model, data, s.trainPeaks, s.valCells!);
    expect(cellLoss).toBeCloseTo(r.cells!.bestValLoss, 5);
    const peakLoss = await evaluateXChromLoss(r.model, data, s.valPeaks, s.trainCells);
    expect(peakLoss).toBeCloseTo(r.bestValLoss, 5);
    r.model.dispose();
    r.cells!.model.dispose();
  }, 120_000);

  it('writes and reads a split with validation cells unchanged', async () => {
    const path = join(dir, 'split.json');
    await writeFile(path, JSON.stringify(xchromSplitToJson(splitWithValCells)));
    expect(await readXChromSplit(path)).toEqual(splitWithValCells);
    // A split without validation cells has no val_cell list and reads back with none.
    expect(xchromSplitToJson(split)).not.toHaveProperty('val_cell');
    await writeFile(path, JSON.stringify(xchromSplitToJson(split)));
    expect((await readXChromSplit(path)).valCells).toEqual(new Int32Array(0));
  });

  it('refuses to resume a checkpoint made with validation cells on a split without them', async () => {
    const ck = join(dir, 'resume-other-split');
    const opts = { config: TINY, seed: 5, epochs: 3, patience: 100, batchPeaks: 48 };
    const first = await trainXChrom(data, splitWithValCells, {
      ...opts,
      checkpointDir: ck,
      stopAfterEpochs: 1,
    });
    first.model.dispose();
    first.cells?.model.dispose();
    await expect(
      trainXChrom(data, split, { ...opts, checkpointDir: ck, resume: true }),
    ).rejects.toMatchObject({
      code: 'PARAM',
      path: ck,
      expected: 'no validation cells',
      found: 'validation cells',
    });
  });

  it('resumes after a stop: 2 + 2 epochs equal 4 uninterrupted epochs exactly (cpu backend)', async () => {
    const split = splitWithValCells;
    const opts = { config: TINY, seed: 5, epochs: 4, patience: 100, batchPeaks: 48 };
    const full = await trainXChrom(data, split, opts);
    const ck = join(dir, 'resume');
    const first = await trainXChrom(data, split, {
      ...opts,
      checkpointDir: ck,
      stopAfterEpochs: 2,
    });
    expect(first.interrupted).toBe(true);
    expect(existsSync(join(ck, 'state', 'model.json'))).toBe(true);
    first.model.dispose();
    const second = await trainXChrom(data, split, { ...opts, checkpointDir: ck, resume: true });
    expect(second.history.map((h) => [h.valLoss, h.valCellsLoss])).toEqual(
      full.history.map((h) => [h.valLoss, h.valCellsLoss]),
    );
    expect(second.cells!.bestEpoch).toBe(full.cells!.bestEpoch);
    for (const [x, y] of [
      [full.model, second.model],
      [full.cells!.model, second.cells!.model],
    ] as const) {
      const a = x.namedVariables();
      const b = y.namedVariables();
      for (let i = 0; i < a.length; i++) {
        expect(Array.from(await b[i]!.variable.data())).toEqual(
          Array.from(await a[i]!.variable.data()),
        );
      }
    }
    // The checkpoint's model.json holds the kept model: same predictions after a reload.
    const { model } = await loadXChromModel(ck);
    const peaks = split.testPeaks;
    const cells = split.testCells;
    const args = [
      gatherCodes(data, peaks),
      gatherCellInputs(data, cells),
      gatherDepth(data, cells),
    ] as const;
    expect(Array.from(await predictXChrom(model, ...args))).toEqual(
      Array.from(await predictXChrom(second.model, ...args)),
    );
    [full.model, second.model, model, full.cells!.model, second.cells!.model].forEach((m) =>
      m.dispose(),
    );
  }, 120_000);
});
