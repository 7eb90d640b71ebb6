import { ChromflowError } from '@chromflow/core';
import { BarcodeRows, batchLength, type FragmentColumns } from './fragment-batch.js';
import { GrowableFloat64 } from './growable.js';
import {
  collectOverlaps,
  type ChromRegions,
  makeRegionIndex,
  maxOverlapDepth,
  regionColumnsFromRecords,
  type RegionColumns,
  type RegionIndex,
} from './region-index.js';

/**
 * ArchR's TSS-enrichment settings (ArchR defaults: window 101 bp, flanks of
 * 100 bp ending 2000 bp from the TSS, minimum flank norm 0.2).
 */
export interface TssEnrichmentOptions {
  /** Bases each side of the TSS in the window; window = 2·halfWindow+1 bases. Default 50. */
  halfWindow?: number;
  /** Distance from the TSS to the outer end of each flank. Default 2000. */
  flank?: number;
  /** Length of each flank. Default 100. */
  flankLength?: number;
  /** Lower bound of the flank norm (insertions per flank base). Default 0.2. */
  minNorm?: number;
}

/** TSS windows and flanks as two region sets (0-based half-open), from unique TSS bases. */
export interface TssRegions {
  windows: RegionColumns;
  flanks: RegionColumns;
}

/**
 * Windows and flanks around each unique (chrom, TSS) pair, strand ignored.
 * `tss` are 0-based TSS bases (1-based t = tss + 1). With the defaults, the
 * 1-based window is `[t-50, t+50]` and the flanks `[t-2000, t-1901]` and
 * `[t+1901, t+2000]` (ArchR `getTSSEnrichment`/`addTSSEnrichment`).
 */
export function makeTssRegions(
  chroms: readonly string[],
  tss: ArrayLike<number>,
  options: TssEnrichmentOptions = {},
): TssRegions {
  const half = options.halfWindow ?? 50;
  const flank = options.flank ?? 2000;
  const flankLen = options.flankLength ?? 100;
  const seen = new Set<string>();
  const windows: { chrom: string; start: number; end: number }[] = [];
  const flanks: { chrom: string; start: number; end: number }[] = [];
  const at = (chrom: string, start: number, end: number) => ({
    chrom,
    start: Math.max(0, start),
    end: Math.max(0, end),
  });
  for (let i = 0; i < chroms.length; i++) {
    const c = chroms[i]!;
    const t = tss[i]!;
    const key = `${c}\t${t}`;
    if (seen.has(key)) continue;
    seen.add(key);
    windows.push(at(c, t - half, t + half + 1));
    // 1-based flanks [t1-flank, t1-flank+flankLen-1] and [t1+flank-flankLen+1, t1+flank], t1 = t+1.
    flanks.push(
      at(c, t - flank, t - flank + flankLen),
      at(c, t + flank - flankLen + 1, t + flank + 1),
    );
  }
  return { windows: regionColumnsFromRecords(windows), flanks: regionColumnsFromRecords(flanks) };
}

/** ArchR's score: `2·(nWindow/windowLength) / max(nFlank/flankLength, minNorm)`. */
export function tssEnrichmentScore(
  windowInsertions: number,
  flankInsertions: number,
  options: TssEnrichmentOptions = {},
): number {
  const windowLength = 2 * (options.halfWindow ?? 50) + 1;
  const flankLength = options.flankLength ?? 100;
  return (
    (2 * (windowInsertions / windowLength)) /
    Math.max(flankInsertions / flankLength, options.minNorm ?? 0.2)
  );
}

/** Per-cell QC columns, one entry per row barcode. */
export interface CellQc {
  barcodes: string[];
  /** Fragments per cell (each line once, the duplicate count ignored). */
  nFragments: Int32Array;
  /** Fragments shorter than 147 bp (nucleosome-free; ArchR `nMonoFrags`). */
  nMonoFragments: Int32Array;
  /** Fragments of 147–293 bp (ArchR `nDiFrags`). */
  nDiFragments: Int32Array;
  /** Fragments of 294 bp or more (ArchR `nMultiFrags`). */
  nMultiFragments: Int32Array;
  /** Insertions in TSS windows (one per window overlapped). */
  tssWindowInsertions: Float64Array;
  /** Insertions in TSS flanks. */
  tssFlankInsertions: Float64Array;
  /** ArchR TSS enrichment; NaN without TSS regions. */
  tssEnrichment: Float64Array;
  /** Insertions in peaks (uncapped, one per peak overlapped); NaN without peaks. */
  peakInsertions: Float64Array;
  /** Insertions in peaks / (2 · fragments), ArchR's `FRIP`; NaN without peaks. */
  frip: Float64Array;
  /** (di + multi-nucleosome fragments) / mono, ArchR's `NucleosomeRatio`. */
  nucleosomeSignal: Float64Array;
}

export interface CellQcOptions {
  /** TSS windows and flanks (see `makeTssRegions`); without them TSS enrichment is NaN. */
  tss?: TssRegions;
  tssOptions?: TssEnrichmentOptions;
  /** Peaks for FRiP; without them FRiP is NaN. */
  peaks?: RegionColumns;
}

interface IndexedSet {
  index: RegionIndex;
  byFragmentChrom: (ChromRegions | undefined)[];
  hits: Int32Array;
  perRow: GrowableFloat64;
}

function indexedSet(regions: RegionColumns): IndexedSet {
  const index = makeRegionIndex(regions);
  return {
    index,
    byFragmentChrom: [],
    hits: new Int32Array(maxOverlapDepth(index)),
    perRow: new GrowableFloat64(),
  };
}

/** Streaming per-cell QC: fragment-size classes, TSS enrichment, FRiP. */
export class CellQcCounter {
  readonly rows: BarcodeRows;
  private readonly sets: IndexedSet[] = [];
  private readonly windows?: IndexedSet;
  private readonly flanks?: IndexedSet;
  private readonly peaks?: IndexedSet;
  private readonly mono = new GrowableFloat64();
  private readonly di = new GrowableFloat64();
  private readonly multi = new GrowableFloat64();
  private readonly options: CellQcOptions;

  constructor(options: CellQcOptions = {}, cells?: readonly string[]) {
    this.options = options;
    this.rows = new BarcodeRows(cells);
    if (options.tss) {
      this.windows = indexedSet(options.tss.windows);
      this.flanks = indexedSet(options.tss.flanks);
      this.sets.push(this.windows, this.flanks);
    }
    if (options.peaks) {
      this.peaks = indexedSet(options.peaks);
      this.sets.push(this.peaks);
    }
  }

  addBatch(batch: FragmentColumns): void {
    const dicts = batch;
    for (const set of this.sets) {
      for (let c = set.byFragmentChrom.length; c < dicts.chromNames.length; c++) {
        set.byFragmentChrom.push(set.index.byChrom.get(dicts.chromNames[c]!));
      }
    }
    const idToRow = this.rows.resolve(dicts);
    const n = batchLength(batch);
    const { chromIds, starts, ends, barcodeIds } = batch;
    for (let i = 0; i < n; i++) {
      const row = idToRow[barcodeIds[i]!]!;
      if (row < 0) continue;
      this.rows.countFragment(row);
      const s = starts[i]!;
      const e = ends[i]!;
      const w = e - s;
      if (w < 147) this.mono.add(row, 1);
      else if (w < 294) this.di.add(row, 1);
      else this.multi.add(row, 1);
      const chrom = chromIds[i]!;
      for (const set of this.sets) {
        const cr = set.byFragmentChrom[chrom];
        if (!cr) continue;
        const k = collectOverlaps(cr, s, s + 1, set.hits) + collectOverlaps(cr, e - 1, e, set.hits);
        if (k > 0) set.perRow.add(row, k);
      }
    }
  }

  finish(): CellQc {
    const n = this.rows.nRows;
    const nFragments = this.rows.nFragments.slice();
    const col = (g: GrowableFloat64 | undefined): Float64Array => {
      const out = new Float64Array(n);
      if (g) for (let r = 0; r < n; r++) out[r] = g.get(r);
      return out;
    };
    const mono = col(this.mono);
    const di = col(this.di);
    const multi = col(this.multi);
    const win = col(this.windows?.perRow);
    const fl = col(this.flanks?.perRow);
    const pk = col(this.peaks?.perRow);
    const tss = new Float64Array(n);
    const frip = new Float64Array(n);
    const nuc = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      tss[r] = this.windows ? tssEnrichmentScore(win[r]!, fl[r]!, this.options.tssOptions) : NaN;
      frip[r] = this.peaks ? (nFragments[r]! > 0 ? pk[r]! / (2 * nFragments[r]!) : 0) : NaN;
      nuc[r] = mono[r]! > 0 ? (di[r]! + multi[r]!) / mono[r]! : NaN;
      if (!this.peaks) pk[r] = NaN;
    }
    return {
      barcodes: this.rows.barcodes,
      nFragments,
      nMonoFragments: Int32Array.from(mono),
      nDiFragments: Int32Array.from(di),
      nMultiFragments: Int32Array.from(multi),
      tssWindowInsertions: win,
      tssFlankInsertions: fl,
      tssEnrichment: tss,
      peakInsertions: pk,
      frip,
      nucleosomeSignal: nuc,
    };
  }
}

/** Thresholds for `passQc`; an absent threshold does not filter. */
export interface CellFilter {
  minFragments?: number;
  maxFragments?: number;
  minTssEnrichment?: number;
  minFrip?: number;
  maxNucleosomeSignal?: number;
  /** Only these barcodes can pass. */
  whitelist?: ReadonlySet<string>;
}

/** Which cells pass every threshold of `filter` (NaN values fail a threshold on them). */
export function passQc(qc: CellQc, filter: CellFilter): boolean[] {
  return qcFailures(qc, filter).map((r) => r.length === 0);
}

/** The names `qcFailures` gives each threshold, as written to `qc_fail` and the stage metrics. */
export const QC_FAILURE_REASONS = [
  'not_listed',
  'min_fragments',
  'max_fragments',
  'min_tss_enrichment',
  'min_frip',
  'max_nucleosome_signal',
] as const;
export type QcFailureReason = (typeof QC_FAILURE_REASONS)[number];

/**
 * For each cell, every threshold of `filter` it fails (empty = passes), in
 * `QC_FAILURE_REASONS` order; NaN values fail a threshold on them.
 */
export function qcFailures(qc: CellQc, filter: CellFilter): QcFailureReason[][] {
  return qc.barcodes.map((b, r) => {
    const out: QcFailureReason[] = [];
    const f = qc.nFragments[r]!;
    if (filter.whitelist && !filter.whitelist.has(b)) out.push('not_listed');
    if (filter.minFragments !== undefined && f < filter.minFragments) out.push('min_fragments');
    if (filter.maxFragments !== undefined && f > filter.maxFragments) out.push('max_fragments');
    if (filter.minTssEnrichment !== undefined && !(qc.tssEnrichment[r]! >= filter.minTssEnrichment))
      out.push('min_tss_enrichment');
    if (filter.minFrip !== undefined && !(qc.frip[r]! >= filter.minFrip)) out.push('min_frip');
    if (
      filter.maxNucleosomeSignal !== undefined &&
      !(qc.nucleosomeSignal[r]! <= filter.maxNucleosomeSignal)
    )
      out.push('max_nucleosome_signal');
    return out;
  });
}

/**
 * Throws `VALUE` listing a few barcodes when cells of a cell table have no
 * fragment at all (usually a barcode suffix such as `-1` or a sample prefix differs).
 */
export function requireCellsInFragments(
  barcodes: readonly string[],
  nFragments: ArrayLike<number>,
  path?: string,
): void {
  const missing = barcodes.filter((_, r) => nFragments[r] === 0);
  if (missing.length === 0) return;
  throw new ChromflowError(
    'VALUE',
    `${missing.length} of ${barcodes.length} barcodes of the cell table have no fragment`,
    {
      path,
      field: 'barcode',
      expected: 'barcodes that appear in the fragments file',
      found: missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', …' : ''),
      hint: 'Check that the cell table and the fragments file use the same barcode form (suffix "-1", sample prefix "Sample#").',
    },
  );
}
