import { ChromflowError, type SparseMatrix } from '@chromflow/core';
import { BarcodeRows, batchLength, type FragmentColumns } from './fragment-batch.js';
import {
  collectOverlaps,
  type ChromRegions,
  makeRegionIndex,
  maxOverlapDepth,
  type RegionColumns,
  type RegionIndex,
  upperBound,
} from './region-index.js';
import { SparseAccumulator } from './sparse-accumulator.js';

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
 * the sparse matrix from `finish`. Memory is the region index plus one hash
 * entry per non-zero output value; fragments need not be sorted.
 */
export class RegionCounter {
  readonly index: RegionIndex;
  readonly rows: BarcodeRows;
  private readonly method: CountMethod;
  private readonly cap: number;
  private readonly binarise: boolean;
  private readonly acc = new SparseAccumulator();
  private readonly hits: Int32Array;
  private chromOf: (ChromRegions | undefined)[] = [];
  private readonly fragmentChroms = new Set<string>();
  private fragmentsRead = 0;
  private fragmentsOnIndexedChroms = 0;

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
    this.hits = new Int32Array(maxOverlapDepth(this.index));
  }

  /** Counts one batch (its `chromNames`/`barcodes` are the reader's shared dictionaries). */
  addBatch(batch: FragmentColumns): void {
    const dicts = batch;
    for (let c = this.chromOf.length; c < dicts.chromNames.length; c++) {
      this.chromOf.push(this.index.byChrom.get(dicts.chromNames[c]!));
    }
    const idToRow = this.rows.resolve(dicts);
    const n = batchLength(batch);
    const { chromIds, starts, ends, barcodeIds } = batch;
    const hits = this.hits;
    const acc = this.acc;
    const overlap = this.method === 'fragment-overlap';
    let lastChrom = -1;
    let cr: ChromRegions | undefined;
    this.fragmentsRead += n;
    for (let i = 0; i < n; i++) {
      const chrom = chromIds[i]!;
      if (chrom !== lastChrom) {
        lastChrom = chrom;
        cr = this.chromOf[chrom];
        this.fragmentChroms.add(dicts.chromNames[chrom]!);
      }
      const row = idToRow[barcodeIds[i]!]!;
      if (row < 0) continue;
      this.rows.countFragment(row);
      if (!cr) continue;
      this.fragmentsOnIndexedChroms++;
      const s = starts[i]!;
      const e = ends[i]!;
      if (overlap) {
        // An interval can overlap more regions than share one base: walk without a buffer.
        const { starts: rs, ends: re, maxEnds, ids } = cr;
        for (let k = upperBound(rs, e - 1) - 1; k >= 0 && maxEnds[k]! > s; k--) {
          if (re[k]! > s) acc.add(row, ids[k]!, 1);
        }
      } else {
        let k = collectOverlaps(cr, s, s + 1, hits);
        for (let h = 0; h < k; h++) acc.add(row, hits[h]!, 1);
        k = collectOverlaps(cr, e - 1, e, hits);
        for (let h = 0; h < k; h++) acc.add(row, hits[h]!, 1);
      }
    }
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
    const matrix = this.acc.toSparse(this.rows.nRows, this.index.nRegions, undefined, transform);
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
