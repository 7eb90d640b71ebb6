import { ChromflowError, SeededRandom } from '@chromflow/core';
import type { HostBatch } from '@chromflow/compute';
import type { Table } from 'apache-arrow';
import type { GetConfig } from './config.js';
import { getWindowInput, type GetArrays } from './tables.js';
import { windowPositions } from './relative-position.js';

/**
 * GET's samples are (cell type, window) pairs. A split leaves out whole cell
 * types and/or chromosomes for the test; validation (best checkpoint) is
 * held-out chromosomes of the training types when given (genes training
 * never saw, what a chromosome test measures), else every k-th training
 * sample (windows that share genes with training).
 */
export interface GetSamples {
  /** Cell-type index of each sample. */
  types: Int32Array;
  /** Window index of each sample. */
  windows: Int32Array;
}

export interface GetSplit {
  train: GetSamples;
  val: GetSamples;
  test: GetSamples;
}

export interface GetSplitOptions {
  testCellTypes?: string[];
  testChroms?: string[];
  valChroms?: string[];
  /** Without `valChroms`: one training sample in this many goes to validation (default 5). */
  valEvery?: number;
}

/** The chromosome of each window (the windows table's `chrom` column). */
export function windowChroms(windows: Table): string[] {
  const col = windows.getChild('chrom');
  if (!col)
    throw new ChromflowError('SCHEMA', "windows table has no 'chrom' column", { field: 'chrom' });
  return Array.from({ length: col.length }, (_, i) => String(col.get(i)));
}

function samples(pairs: [number, number][]): GetSamples {
  return {
    types: Int32Array.from(pairs.map((p) => p[0])),
    windows: Int32Array.from(pairs.map((p) => p[1])),
  };
}

export function makeGetSplit(a: GetArrays, chroms: string[], o: GetSplitOptions = {}): GetSplit {
  for (const t of o.testCellTypes ?? []) {
    if (!a.cellTypes.includes(t))
      throw new ChromflowError('PARAM', 'test cell type not in the inputs', {
        field: 'testCellTypes',
        expected: a.cellTypes.join(', '),
        found: t,
      });
  }
  // A misspelt chromosome would silently leave nothing out (test) or fall back to nothing (val).
  const present = new Set(chroms);
  for (const field of ['testChroms', 'valChroms'] as const) {
    for (const c of o[field] ?? []) {
      if (!present.has(c))
        throw new ChromflowError('PARAM', `${field} names a chromosome with no window`, {
          field,
          expected: [...present].join(', '),
          found: c,
        });
    }
  }
  for (const c of o.valChroms ?? []) {
    // Test chromosomes never reach validation, so the overlap would validate on fewer than asked.
    if ((o.testChroms ?? []).includes(c))
      throw new ChromflowError('PARAM', 'a chromosome is both a test and a validation chromosome', {
        field: 'valChroms',
        expected: 'disjoint from testChroms',
        found: c,
      });
  }
  const testTypes = new Set(o.testCellTypes ?? []);
  const testChroms = new Set(o.testChroms ?? []);
  const valChroms = new Set(o.valChroms ?? []);
  const every = o.valEvery ?? 5;
  const train: [number, number][] = [];
  const val: [number, number][] = [];
  const test: [number, number][] = [];
  let k = 0;
  for (let t = 0; t < a.cellTypes.length; t++) {
    for (let w = 0; w < a.windowFirsts.length; w++) {
      const c = chroms[w]!;
      const leftType = testTypes.has(a.cellTypes[t]!);
      const leftChrom = testChroms.has(c);
      if (leftType || leftChrom) {
        // Test = left-out types × left-out chromosomes (either side "all" when not given).
        if ((testTypes.size === 0 || leftType) && (testChroms.size === 0 || leftChrom))
          test.push([t, w]);
        continue;
      }
      if (valChroms.size > 0 ? valChroms.has(c) : k++ % every === every - 1) val.push([t, w]);
      else train.push([t, w]);
    }
  }
  if (train.length === 0 || val.length === 0) {
    throw new ChromflowError('PARAM', 'the split leaves no training or no validation samples', {
      expected: 'both non-empty',
      found: `${train.length} training, ${val.length} validation of ${a.cellTypes.length} types × ${a.windowFirsts.length} windows`,
    });
  }
  return { train: samples(train), val: samples(val), test: samples(test) };
}

/** Every (type, window) pair of the given types (for prediction). */
export function allSamples(a: GetArrays, types?: number[]): GetSamples {
  const pairs: [number, number][] = [];
  for (const t of types ?? a.cellTypes.map((_, i) => i))
    for (let w = 0; w < a.windowFirsts.length; w++) pairs.push([t, w]);
  return samples(pairs);
}

/**
 * A batch of samples `idx` (of `s`): inputs, labels, and — when `rng` is
 * given (training) — the pretraining mask (exactly ⌊ratio·T⌉ positions per
 * window) and drop-path masks, drawn in that order.
 */
export function makeGetBatch(
  a: GetArrays,
  c: GetConfig,
  s: GetSamples,
  idx: ArrayLike<number>,
  rng?: SeededRandom,
  evalSeed = 0,
): HostBatch {
  const b = idx.length;
  const t = a.windowSize;
  const f = c.features;
  if (a.clusters.length + 1 !== f) {
    throw new ChromflowError('SCHEMA', 'the inputs have a different feature count than the model', {
      field: 'features',
      expected: `${f - 1} motif clusters + accessibility (the checkpoint's)`,
      found: `${a.clusters.length} clusters + accessibility`,
    });
  }
  const x = new Float32Array(b * t * f);
  const y = new Float32Array(b * t * 2);
  for (let i = 0; i < b; i++) {
    const type = s.types[idx[i]!]!;
    const w = s.windows[idx[i]!]!;
    x.set(getWindowInput(a, type, w), i * t * f);
    const first = a.windowFirsts[w]!;
    y.set(
      a.labels.subarray((type * a.nRegions + first) * 2, (type * a.nRegions + first + t) * 2),
      i * t * 2,
    );
  }
  const batch: HostBatch = { x, y, n: b, t };
  if (c.positional === 'relative') {
    const pos = new Float32Array(b * t);
    for (let i = 0; i < b; i++) pos.set(windowPositions(a, s.windows[idx[i]!]!), i * t);
    batch.pos = pos;
  }
  if (c.task === 'expression' && c.expressionLoss === 'tss') {
    // The loss counts only labelled (region, strand) pairs: the TSS mask of each window.
    const tss = new Float32Array(b * t * 2);
    for (let i = 0; i < b; i++) {
      const first = a.windowFirsts[s.windows[idx[i]!]!]!;
      for (let k = 0; k < t * 2; k++) tss[i * t * 2 + k] = a.tssMask[first * 2 + k]!;
    }
    batch.tss = tss;
  }
  if (c.task === 'pretrain') {
    // Evaluation masks come from a fixed generator so validation losses are comparable across epochs.
    const r = rng ?? new SeededRandom(evalSeed);
    const mask = new Float32Array(b * t);
    const k = Math.round(c.maskRatio * t);
    for (let i = 0; i < b; i++) {
      const order = r.shuffle(Int32Array.from({ length: t }, (_, j) => j));
      for (let j = 0; j < k; j++) mask[i * t + order[j]!] = 1;
    }
    batch.mask = mask;
  }
  if (rng && c.dropPath > 0) {
    const dp = new Float32Array(b * c.layers);
    const keep = 1 / (1 - c.dropPath);
    for (let i = 0; i < dp.length; i++) dp[i] = rng.uniform() < c.dropPath ? 0 : keep;
    batch.dropPath = dp;
  }
  return batch;
}
