import { ChromflowError } from '@chromflow/core';
import type { SimDataset } from './dataset.js';
import { binarizedPeakCounts, type FragmentColumns } from './fragment-sampler.js';
import { Random } from './random.js';

/**
 * A planted batch effect on a simulated data set: cells are split into
 * batches (balanced within every cell type, so each type is in each batch)
 * and each batch keeps a fragment with its own probability: a batch-wide
 * depth factor times a per-peak capture efficiency (log-normal), as library
 * preparation and sequencing depth differ between batches. Background
 * fragments (no insertion in a peak) are kept with the depth factor alone.
 * Thinning only removes fragments, so every kept fragment is one the
 * biology produced: the batch changes which regions are seen, not the types.
 */
export interface BatchSpec {
  name: string;
  /** Fraction of fragments kept before capture (0, 1]: the batch's depth. */
  depth: number;
  /** σ of the per-peak log capture efficiency; keep = min(1, depth · e^{σ z}), z ~ N(0, 1) per peak. */
  captureSd: number;
}

export interface BatchEffectOptions {
  batches: BatchSpec[];
  /** Seed of the batch assignment, the capture efficiencies and the thinning. */
  seed: number;
}

export const DEFAULT_BATCH_EFFECT: BatchEffectOptions = {
  batches: [
    { name: 'batch1', depth: 0.9, captureSd: 1 },
    { name: 'batch2', depth: 0.5, captureSd: 1 },
  ],
  seed: 7,
};

/** What the batch effect did, for truth.json. */
export interface BatchTruth {
  batches: BatchSpec[];
  /** Batch index of every cell (cell order of the data set). */
  batchOf: Int32Array;
  /** Keep probability of a fragment in peak p for batch b, row-major batches × peaks. */
  keep: Float64Array;
  /** Fragments before and after thinning. */
  fragmentsBefore: number;
  fragmentsAfter: number;
}

/** The data set with thinned fragments (and `observed` recomputed from them), and the truth. */
export interface BatchedDataset {
  dataset: SimDataset;
  truth: BatchTruth;
}

function checkBatches(batches: readonly BatchSpec[]): void {
  if (batches.length < 2) {
    throw new ChromflowError('PARAM', 'a batch effect needs at least two batches', {
      field: 'batches',
      expected: '2 or more',
      found: String(batches.length),
    });
  }
  const names = new Set<string>();
  batches.forEach((b, i) => {
    if (!(b.depth > 0 && b.depth <= 1)) {
      throw new ChromflowError('PARAM', 'a batch depth must lie in (0, 1]', {
        field: `batches[${i}].depth`,
        expected: '0 < depth ≤ 1 (a fraction of fragments kept)',
        found: String(b.depth),
      });
    }
    if (!(b.captureSd >= 0)) {
      throw new ChromflowError('PARAM', 'a capture σ must be ≥ 0', {
        field: `batches[${i}].captureSd`,
        expected: '≥ 0',
        found: String(b.captureSd),
      });
    }
    if (names.has(b.name)) {
      throw new ChromflowError('PARAM', 'two batches have the same name', {
        field: `batches[${i}].name`,
        expected: 'distinct names',
        found: b.name,
      });
    }
    names.add(b.name);
  });
}

/**
 * Batch of every cell: within each cell type, cells in a seeded random order
 * are dealt to the batches in turn, so every type is split as evenly as it
 * can be.
 */
export function assignBatches(
  cellTypes: readonly string[],
  nBatches: number,
  rng: Random,
): Int32Array {
  const out = new Int32Array(cellTypes.length);
  const byType = new Map<string, number[]>();
  cellTypes.forEach((t, i) => {
    const list = byType.get(t) ?? [];
    list.push(i);
    byType.set(t, list);
  });
  for (const t of [...byType.keys()].sort()) {
    rng.shuffle(byType.get(t)!).forEach((cell, k) => (out[cell] = k % nBatches));
  }
  return out;
}

/** Peak of each fragment (an insertion, `start` or `end − 1`, inside it), or −1. */
function fragmentPeaks(ds: SimDataset): Int32Array {
  const f = ds.fragments;
  const perChrom = ds.chroms.map((c) =>
    ds.peaks.flatMap((p, i) => (p.chrom === c.name ? [i] : [])),
  );
  const find = (chrom: number, pos: number): number => {
    const idx = perChrom[chrom]!;
    let lo = 0;
    let hi = idx.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = ds.peaks[idx[mid]!]!;
      if (pos < p.start) hi = mid - 1;
      else if (pos >= p.end) lo = mid + 1;
      else return idx[mid]!;
    }
    return -1;
  };
  return Int32Array.from({ length: f.starts.length }, (_, i) => {
    const a = find(f.chroms[i]!, f.starts[i]!);
    return a >= 0 ? a : find(f.chroms[i]!, f.ends[i]! - 1);
  });
}

/**
 * Plants the batch effect of `o` on `ds`: returns a new data set whose
 * fragments are the kept ones and whose `observed` matrix is recomputed from
 * them (everything else shared with `ds`), and the truth. Deterministic in
 * `o.seed`.
 */
export function plantBatchEffect(ds: SimDataset, o: BatchEffectOptions): BatchedDataset {
  checkBatches(o.batches);
  const root = new Random(o.seed);
  const batchOf = assignBatches(
    ds.cells.map((c) => c.cellType),
    o.batches.length,
    root.fork('assign'),
  );
  const rCapture = root.fork('capture');
  const nPeaks = ds.peaks.length;
  const keep = new Float64Array(o.batches.length * nPeaks);
  o.batches.forEach((b, bi) => {
    for (let p = 0; p < nPeaks; p++)
      keep[bi * nPeaks + p] = Math.min(1, b.depth * Math.exp(b.captureSd * rCapture.normal()));
  });
  const rThin = root.fork('thin');
  const f = ds.fragments;
  const peakOf = fragmentPeaks(ds);
  const kept: number[] = [];
  for (let i = 0; i < f.starts.length; i++) {
    const b = batchOf[f.cells[i]!]!;
    const p = peakOf[i]!;
    const q = p >= 0 ? keep[b * nPeaks + p]! : o.batches[b]!.depth;
    if (rThin.uniform() < q) kept.push(i);
  }
  const pick = <T extends Uint8Array | Int32Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(kept.length);
    kept.forEach((i, k) => (out[k] = a[i]!));
    return out;
  };
  const fragments: FragmentColumns = {
    chroms: pick(f.chroms),
    starts: pick(f.starts),
    ends: pick(f.ends),
    cells: pick(f.cells),
    counts: pick(f.counts),
  };
  const observed = binarizedPeakCounts(fragments, ds.chroms, ds.peaks, ds.cells.length);
  return {
    dataset: { ...ds, fragments, observed },
    truth: {
      batches: o.batches.map((b) => ({ ...b })),
      batchOf,
      keep,
      fragmentsBefore: f.starts.length,
      fragmentsAfter: kept.length,
    },
  };
}

/**
 * truth.json of a batched data set: the batches as specified, how many cells
 * of each type each holds, fragments before and after, and the mean keep
 * probability of peak fragments per batch (the per-peak values are in
 * `keep`, batches × peaks in peak-file order).
 */
export function formatBatchTruthJson(ds: SimDataset, t: BatchTruth): string {
  const nPeaks = ds.peaks.length;
  const types = [...new Set(ds.cells.map((c) => c.cellType))].sort();
  const cellsPerType = t.batches.map((_, b) =>
    Object.fromEntries(
      types.map((ty) => [
        ty,
        ds.cells.filter((c, i) => c.cellType === ty && t.batchOf[i] === b).length,
      ]),
    ),
  );
  const round = (x: number): number => Math.round(x * 1e6) / 1e6;
  const doc = {
    kind: 'chromflow-batch-truth',
    version: 1,
    model:
      'fragment kept with probability min(1, depth·exp(captureSd·z_peak)) inside a peak, depth elsewhere; cells dealt to batches evenly within each type',
    batches: t.batches.map((b, bi) => ({
      ...b,
      cells: t.batchOf.filter((x) => x === bi).length,
      cellsPerType: cellsPerType[bi],
      meanPeakKeep: round(
        t.keep.subarray(bi * nPeaks, bi * nPeaks + nPeaks).reduce((s, x) => s + x, 0) / nPeaks,
      ),
      keep: Array.from(t.keep.subarray(bi * nPeaks, bi * nPeaks + nPeaks), round),
    })),
    fragmentsBefore: t.fragmentsBefore,
    fragmentsAfter: t.fragmentsAfter,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
