import { ChromflowError } from '@chromflow/core';

/**
 * CLASTER's per-gene track windows: a signal binned around a TSS in gene
 * orientation. Bins are centred on the TSS: bin k (0-based) covers
 * [tss + (k − c)·binSize − binSize/2, + binSize) with c = (nBins − 1)/2, so
 * the middle bin holds the TSS base; a − strand window is the + window
 * reversed (bin 0 is the most downstream base in genome terms). Coordinates
 * are 0-based; `tss` is the 0-based position of the first transcribed base
 * (for a − strand gene, its end − 1).
 */
export interface TssBinning {
  binSize: number;
  nBins: number;
}

/** Landscape input: 10,001 bins of 100 bp (±500 kbp). */
export const CLASTER_LANDSCAPE: TssBinning = { binSize: 100, nBins: 10_001 };
/** Target: 401 bins of 1 kbp (−200 … +200 kbp). */
export const CLASTER_TARGET: TssBinning = { binSize: 1000, nBins: 401 };

/** Signal intervals on one chromosome, 0-based half-open, sorted, non-overlapping. */
export interface TrackIntervals {
  starts: ArrayLike<number>;
  ends: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** One binned window: values in gene orientation and a mask (1 = bin wholly on the chromosome). */
export interface TssWindow {
  values: Float32Array;
  mask: Uint8Array;
  /** Bins not wholly on the chromosome (padded with the covered part's sum / binSize, else 0). */
  maskedBins: number;
}

/** Genomic [start, end) the window spans before clipping to the chromosome. */
export function tssWindowRange(tss: number, b: TssBinning): [number, number] {
  if (b.nBins % 2 !== 1 || b.binSize % 2 !== 0) {
    throw new ChromflowError('VALUE', 'a TSS window needs an odd bin count and an even bin size', {
      field: 'binning',
      expected: 'odd nBins, even binSize (the TSS bin is centred)',
      found: `nBins ${b.nBins}, binSize ${b.binSize}`,
    });
  }
  const start = tss - ((b.nBins - 1) / 2) * b.binSize - b.binSize / 2;
  return [start, start + b.nBins * b.binSize];
}

/**
 * Bins intervals into a TSS window: each bin is the mean over its binSize
 * bases, bases without an interval counting 0 (a coverage track's gaps are
 * zeros). Bins running off the chromosome are padded and masked.
 */
export function binAroundTss(
  iv: TrackIntervals,
  chromLength: number,
  tss: number,
  strand: '+' | '-',
  b: TssBinning,
): TssWindow {
  const [ws, we] = tssWindowRange(tss, b);
  const sums = new Float64Array(b.nBins);
  const n = iv.starts.length;
  for (let k = 0; k < n; k++) {
    const s = Math.max(iv.starts[k]!, ws, 0);
    const e = Math.min(iv.ends[k]!, we, chromLength);
    if (e <= s) continue;
    const v = iv.values[k]!;
    // spread the interval's bases over the bins it covers
    let p = s;
    while (p < e) {
      const bin = Math.floor((p - ws) / b.binSize);
      const binEnd = ws + (bin + 1) * b.binSize;
      const q = Math.min(e, binEnd);
      sums[bin] = sums[bin]! + v * (q - p);
      p = q;
    }
  }
  const values = new Float32Array(b.nBins);
  const mask = new Uint8Array(b.nBins);
  let maskedBins = 0;
  for (let k = 0; k < b.nBins; k++) {
    const bs = ws + k * b.binSize;
    const inside = bs >= 0 && bs + b.binSize <= chromLength;
    const out = strand === '+' ? k : b.nBins - 1 - k;
    values[out] = sums[k]! / b.binSize;
    mask[out] = inside ? 1 : 0;
    if (!inside) maskedBins++;
  }
  return { values, mask, maskedBins };
}
