import { ChromflowError, type SparseMatrix } from '@chromflow/core';
import { BarcodeRows, batchLength, type FragmentColumns } from './fragment-batch.js';
import {
  type ChromRegions,
  makeRegionIndex,
  type RegionColumns,
  type RegionIndex,
  upperBound,
} from './region-index.js';
import { StreamingAccumulator } from './streaming-accumulator.js';
import { SweepCounts } from './sweep-counts.js';

/**
 * How a fragment adds to a region's count:
 * - `archr-insertions`: ArchR's PeakMatrix. Two Tn5 insertions per fragment at
 *   1-based `start+1` and `end`, each counted in the 1-based inclusive peak
 *   `[start+1, end]` of the BED record; the cell × peak value is capped (ArchR: 4).
 * - `cellranger-cutsites`: cellranger(-arc)'s peak-barcode matrix. Cut sites at
 *   0-based `start` and `end-1`, each counted in `[peak_start, peak_end)`; no cap.
 * - `fragment-overlap`: one count per fragment whose `[start, end)` overlaps the
 *   region by at least one base (what `bedtools intersect -c` counts).
 * The first two count the same 0-based bases `start` and `end-1`; they differ
 * only in the default cap.
 */
export type CountMethod = 'archr-insertions' | 'cellranger-cutsites' | 'fragment-overlap';

export const COUNT_METHODS: readonly CountMethod[] = [
  'archr-insertions',
  'cellranger-cutsites',
  'fragment-overlap',
];

export interface CountOptions {
  method: CountMethod;
  /** Cap on each cell × region value; default 4 for `archr-insertions`, none otherwise. */
  cap?: number;
  /** Replace every non-zero value by 1 (after capping). */
  binarise?: boolean;
  /**
   * Slots of the accumulator's hash table before finished regions move out
   * (16 bytes each; default 65,536 = 1 MiB, cache-sized). Tests set it tiny to
   * exercise the streaming path.
   */
  accumulatorSlots?: number;
}

/** The default cap of a method: ArchR caps PeakMatrix values at 4. */
export function defaultCap(method: CountMethod): number {
  return method === 'archr-insertions' ? 4 : Number.POSITIVE_INFINITY;
}

/** Counts and what the sweep saw, returned by `RegionCounter.finish`. */
export interface RegionCounts {
  /** Cells × regions; rows follow `barcodes`, columns the input region order. */
  matrix: SparseMatrix;
  /** Row barcodes. */
  barcodes: string[];
  /** Fragments per row over all chromosomes (not only those with regions). */
  nFragments: Int32Array;
  /** Fragments read, including those of barcodes that are not rows. */
  fragmentsRead: number;
}

/**
 * Streaming cell × region counter: feed fragment batches with `addBatch`, get
 * the sparse matrix from `finish`. On sorted fragments (chromosomes
 * contiguous, starts non-decreasing: what `readFragments` checks) the regions
 * are swept with a cursor instead of a binary search per fragment, and the
 * counts of regions the sweep has passed leave the hash table for 12-byte
 * COO chunks, so memory follows the non-zeros of the output, not the number of
 * fragments. Unsorted fragments are counted the same (binary searches, and the
 * table keeps everything).
 */
export class RegionCounter {
  readonly index: RegionIndex;
  readonly rows: BarcodeRows;
  private readonly method: CountMethod;
  private readonly cap: number;
  private readonly binarise: boolean;
  private readonly acc: StreamingAccumulator;
  private readonly sweep: SweepCounts;
  private chromOf: (ChromRegions | undefined)[] = [];
  /** Region-index chromosome number (order of `index.chromNames`) of each reader chromosome id. */
  private chromRank: number[] = [];
  private readonly fragmentChroms = new Set<string>();
  private fragmentsRead = 0;
  private fragmentsOnIndexedChroms = 0;
  /** Sweep state: reader chromosome ids seen (1), the current one, and the last start on it. */
  private seenChroms = new Uint8Array(64);
  private sweepChrom = -1;
  private sweepStart = -1;
  private sorted = true;
  /** Per region-index chromosome: 1 when the sweep has left it (sorted input only). */
  private readonly leftChroms: Uint8Array;
  /** Region-index chromosome of each column, and each column's end. */
  private readonly colChrom: Int32Array;
  private readonly colEnd: Int32Array;

  constructor(
    regions: RegionColumns | RegionIndex,
    options: CountOptions,
    cells?: readonly string[],
  ) {
    this.index = 'byChrom' in regions ? regions : makeRegionIndex(regions);
    this.rows = new BarcodeRows(cells);
    this.method = options.method;
    this.cap = options.cap ?? defaultCap(options.method);
    this.binarise = options.binarise ?? false;
    this.leftChroms = new Uint8Array(this.index.chromNames.length);
    this.colChrom = new Int32Array(this.index.nRegions);
    this.colEnd = new Int32Array(this.index.nRegions);
    this.index.chromNames.forEach((name, rank) => {
      const cr = this.index.byChrom.get(name)!;
      for (let k = 0; k < cr.ids.length; k++) {
        this.colChrom[cr.ids[k]!] = rank;
        this.colEnd[cr.ids[k]!] = cr.ends[k]!;
      }
    });
    this.acc = new StreamingAccumulator(() => this.finishedColumns(), options.accumulatorSlots);
    this.sweep = new SweepCounts(this.acc, this.colEnd);
  }

  /** Columns no later fragment can reach: regions on chromosomes left behind, or ending at or before the sweep. */
  private finishedColumns(): Uint8Array | undefined {
    if (!this.sorted) return undefined;
    const rank = this.sweepChrom >= 0 ? (this.chromRank[this.sweepChrom] ?? -1) : -1;
    const start = this.sweepStart;
    const n = this.index.nRegions;
    const out = new Uint8Array(n);
    for (let col = 0; col < n; col++) {
      const c = this.colChrom[col]!;
      if (this.leftChroms[c] === 1 || (c === rank && this.colEnd[col]! <= start)) out[col] = 1;
    }
    return out;
  }

  /** Counts one batch (its `chromNames`/`barcodes` are the reader's shared dictionaries). */
  addBatch(batch: FragmentColumns): void {
    const dicts = batch;
    for (let c = this.chromOf.length; c < dicts.chromNames.length; c++) {
      const name = dicts.chromNames[c]!;
      this.chromOf.push(this.index.byChrom.get(name));
      this.chromRank.push(this.index.chromNames.indexOf(name));
    }
    if (this.seenChroms.length < dicts.chromNames.length) {
      const grown = new Uint8Array(2 * dicts.chromNames.length);
      grown.set(this.seenChroms);
      this.seenChroms = grown;
    }
    const idToRow = this.rows.resolve(dicts);
    const n = batchLength(batch);
    const { chromIds, starts, ends, barcodeIds } = batch;
    const sweep = this.sweep;
    const overlap = this.method === 'fragment-overlap';
    const counts = this.rows.nFragments;
    let lastChrom = -1;
    let cr: ChromRegions | undefined;
    let rs: Int32Array = new Int32Array(0);
    let re = rs;
    let maxEnds = rs;
    let ids = rs;
    let nr = 0;
    // The cursor: number of regions of the chromosome starting at or before `prev`.
    let cursor = 0;
    let prev = -1;
    let onIndexed = 0;
    this.fragmentsRead += n;
    for (let i = 0; i < n; i++) {
      const chrom = chromIds[i]!;
      const s = starts[i]!;
      if (chrom !== lastChrom) {
        this.enterChrom(chrom, s);
        lastChrom = chrom;
        cr = this.chromOf[chrom];
        this.fragmentChroms.add(dicts.chromNames[chrom]!);
        if (cr) ({ starts: rs, ends: re, maxEnds, ids } = cr);
        nr = cr ? rs.length : 0;
        cursor = cr ? upperBound(rs, s) : 0;
        prev = s;
      }
      const row = idToRow[barcodeIds[i]!]!;
      if (row < 0) continue;
      counts[row]!++;
      if (!cr) continue;
      onIndexed++;
      const e = ends[i]!;
      if (s >= prev) {
        while (cursor < nr && rs[cursor]! <= s) cursor++;
      } else {
        this.breakSweep();
        cursor = upperBound(rs, s);
      }
      prev = s;
      sweep.advance(s);
      if (overlap) {
        // [s, e) overlaps region k when rs[k] < e and re[k] > s: those starting after s ...
        for (let k = cursor; k < nr && rs[k]! < e; k++) sweep.add(row, ids[k]!);
        // ... and those starting at or before s, walking left while an end can still pass s.
        for (let k = cursor - 1; k >= 0 && maxEnds[k]! > s; k--) {
          if (re[k]! > s) sweep.add(row, ids[k]!);
        }
      } else {
        // Insertions at bases s and e - 1: regions with rs ≤ base < re.
        for (let k = cursor - 1; k >= 0 && maxEnds[k]! > s; k--) {
          if (re[k]! > s) sweep.add(row, ids[k]!);
        }
        const t = e - 1;
        let k2 = cursor;
        while (k2 < nr && rs[k2]! <= t) k2++;
        for (let k = k2 - 1; k >= 0 && maxEnds[k]! > t; k--) {
          if (re[k]! > t) sweep.add(row, ids[k]!);
        }
      }
    }
    this.fragmentsOnIndexedChroms += onIndexed;
    if (lastChrom === this.sweepChrom && this.sorted) this.sweepStart = prev;
  }

  /** The sweep moves to reader chromosome `chrom` at `start`; a chromosome seen before breaks sortedness. */
  private enterChrom(chrom: number, start: number): void {
    if (chrom === this.sweepChrom) {
      if (start < this.sweepStart) this.breakSweep();
      return;
    }
    if (this.seenChroms[chrom] === 1) this.breakSweep();
    this.seenChroms[chrom] = 1;
    // Sorted so far: no later fragment lies on the chromosome left behind.
    if (this.sorted) this.sweep.closeAll();
    if (this.sweepChrom >= 0) {
      const left = this.chromRank[this.sweepChrom] ?? -1;
      if (left >= 0) this.leftChroms[left] = 1;
    }
    this.sweepChrom = chrom;
    this.sweepStart = start;
  }

  /** Input order broken: nothing is "finished" any more. */
  private breakSweep(): void {
    if (!this.sorted) return;
    this.sorted = false;
    this.sweep.drain();
    this.acc.markUnsorted();
  }

  /**
   * The matrix, after the cap and binarisation. Throws `VALUE` when fragments
   * were read but none lies on a chromosome of the region set (naming both sets
   * of names, e.g. `chr1` against `1`).
   */
  finish(): RegionCounts {
    if (this.fragmentsRead > 0 && this.fragmentsOnIndexedChroms === 0 && this.rows.nRows > 0) {
      const counted = [...this.rows.nFragments].some((v) => v > 0);
      if (counted) throw chromMismatchError([...this.fragmentChroms], this.index.chromNames);
    }
    const cap = this.cap;
    const binarise = this.binarise;
    const transform = (v: number): number => (binarise ? (v > 0 ? 1 : 0) : Math.min(v, cap));
    this.sweep.closeAll();
    const matrix = this.acc.toSparse(this.rows.nRows, this.index.nRegions, transform);
    return {
      matrix,
      barcodes: this.rows.barcodes,
      nFragments: this.rows.nFragments.slice(),
      fragmentsRead: this.fragmentsRead,
    };
  }
}

/** The error for fragments whose chromosome names match none of the regions'. */
export function chromMismatchError(
  fragmentChroms: readonly string[],
  regionChroms: readonly string[],
): ChromflowError {
  const few = (xs: readonly string[]): string =>
    xs.slice(0, 5).join(', ') + (xs.length > 5 ? `, … (${xs.length} in all)` : '');
  const prefixHint =
    fragmentChroms.some((c) => c.startsWith('chr')) !==
    regionChroms.some((c) => c.startsWith('chr'))
      ? ' One set uses the "chr" prefix and the other does not.'
      : '';
  return new ChromflowError(
    'VALUE',
    'no fragment lies on a chromosome of the region set, so every count would be 0',
    {
      field: 'chrom',
      expected: `chromosomes of the regions (${few(regionChroms)})`,
      found: `fragment chromosomes ${few(fragmentChroms)}`,
      hint: `Use regions and fragments from the same genome build and naming.${prefixHint}`,
    },
  );
}

/** The rows of `m` where `keep[r]`, renumbered in order (entry order kept). */
export function selectRows(m: SparseMatrix, keep: readonly boolean[]): SparseMatrix {
  const newRow = new Int32Array(m.nRows).fill(-1);
  let n = 0;
  for (let r = 0; r < m.nRows; r++) if (keep[r]) newRow[r] = n++;
  let nnz = 0;
  for (let k = 0; k < m.rows.length; k++) if (newRow[m.rows[k]!]! >= 0) nnz++;
  const rows = new Int32Array(nnz);
  const cols = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let o = 0;
  for (let k = 0; k < m.rows.length; k++) {
    const r = newRow[m.rows[k]!]!;
    if (r < 0) continue;
    rows[o] = r;
    cols[o] = m.cols[k]!;
    values[o++] = m.values[k]!;
  }
  return { nRows: n, nCols: m.nCols, rows, cols, values };
}
