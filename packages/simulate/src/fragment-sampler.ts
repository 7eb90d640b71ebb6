import type { Chromosome } from './genome-model.js';
import { overlapsAny } from './genome-model.js';
import type { PeakParams } from './accessibility-model.js';
import type { SimPeak } from './peak-layout.js';
import type { Random } from './random.js';

/** Depth and composition constants of the fragment model. */
export interface FragmentConstants {
  /** Median expected fragments per cell (log-normal depth D_c). */
  medianDepth: number;
  /** σ of log depth. */
  depthSd: number;
  /** Share of a cell's expected fragments coming from open peaks. */
  peakShare: number;
  /** Share spread uniformly over the genome (background). */
  backgroundShare: number;
  /** Closed-peak leak: a closed peak yields `leak`·λ fragments on average. */
  leak: number;
  /** Mean extra read pairs per fragment (count column = 1 + Poisson(this)). */
  duplicateRate: number;
}

export const DEFAULT_FRAGMENTS: FragmentConstants = {
  medianDepth: 750,
  depthSd: 0.5,
  peakShare: 0.8,
  backgroundShare: 0.15,
  leak: 0.03,
  duplicateRate: 0.3,
};

/** Sampled fragments, one entry per fragment, sorted by chromosome, start, end, cell. Coordinates 0-based half-open. */
export interface FragmentColumns {
  chroms: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  cells: Int32Array;
  counts: Int32Array;
}

/** Per-cell depth figures the bounds need. */
export interface CellDepth {
  /** D_c: expected fragments of the cell. */
  depth: number;
  /** κ_c: λ_{c,p} = κ_c h_p is the expected fragment count of an open peak. */
  kappa: number;
  /** ρ_c: background fragment starts per bp. */
  backgroundRate: number;
}

/**
 * Fragment length, a three-part mixture: nucleosome-free 55 % (35 + 30·Gamma(2),
 * mean ~95 bp, < 147), mono-nucleosome 35 % (N(200, 18)), di-nucleosome 10 % (N(380, 25)).
 */
export function drawFragmentLength(rng: Random): number {
  const u = rng.uniform();
  if (u < 0.55) return Math.min(146, 35 + Math.round(30 * rng.gamma(2)));
  if (u < 0.9) return Math.max(148, Math.min(260, Math.round(200 + 18 * rng.normal())));
  return Math.max(300, Math.min(480, Math.round(380 + 25 * rng.normal())));
}

/** D_c, κ_c and ρ_c for every cell: κ_c scales the expected open-peak yield to peakShare·D_c. */
export function makeCellDepths(
  prob: Float64Array,
  nCells: number,
  params: readonly PeakParams[],
  genomeBases: number,
  k: FragmentConstants,
  rng: Random,
): CellDepth[] {
  const out: CellDepth[] = [];
  const nPeaks = params.length;
  for (let c = 0; c < nCells; c++) {
    const depth = rng.logNormal(Math.log(k.medianDepth), k.depthSd);
    let expectedYield = 0;
    for (let p = 0; p < nPeaks; p++) {
      const pi = prob[c * nPeaks + p]!;
      expectedYield += (pi + (1 - pi) * k.leak) * params[p]!.strength;
    }
    out.push({
      depth,
      kappa: (k.peakShare * depth) / expectedYield,
      backgroundRate: (k.backgroundShare * depth) / genomeBases,
    });
  }
  return out;
}

/**
 * Samples every cell's fragments. Per cell c and peak p: open state
 * X ~ Bernoulli(π_{c,p}); n ~ Poisson(κ_c h_p (X + leak (1 − X))) fragments,
 * each with one Tn5 insertion inside the peak at summit + N(0, width/5)
 * (clamped into the peak) and its other end one fragment length away on a
 * random side. Background: Poisson(ρ_c · bases) fragments uniformly over
 * non-gap sequence. Identical (chrom, start, end, cell) are merged with their
 * counts summed, as cellranger does.
 */
export function sampleFragments(
  chroms: readonly Chromosome[],
  peaks: readonly SimPeak[],
  params: readonly PeakParams[],
  prob: Float64Array,
  depths: readonly CellDepth[],
  k: FragmentConstants,
  rng: Random,
): { fragments: FragmentColumns; open: Uint8Array } {
  const nPeaks = peaks.length;
  const chromIndex = new Map(chroms.map((c, i) => [c.name, i]));
  const ch: number[] = [];
  const st: number[] = [];
  const en: number[] = [];
  const ce: number[] = [];
  const ct: number[] = [];
  const open = new Uint8Array(depths.length * nPeaks);
  const lengths = chroms.map((c) => c.seq.length);
  const genomeBases = lengths.reduce((a, b) => a + b, 0);
  const push = (chrom: number, start: number, end: number, cell: number): void => {
    ch.push(chrom);
    st.push(start);
    en.push(end);
    ce.push(cell);
    ct.push(1 + rng.poisson(k.duplicateRate));
  };
  depths.forEach((d, c) => {
    for (let p = 0; p < nPeaks; p++) {
      const peak = peaks[p]!;
      const isOpen = rng.uniform() < prob[c * nPeaks + p]!;
      open[c * nPeaks + p] = isOpen ? 1 : 0;
      const lambda = d.kappa * params[p]!.strength * (isOpen ? 1 : k.leak);
      const n = rng.poisson(lambda);
      const ci = chromIndex.get(peak.chrom)!;
      const sd = (peak.end - peak.start) / 5;
      for (let i = 0; i < n; i++) {
        const cut = Math.min(
          peak.end - 1,
          Math.max(peak.start, Math.round(peak.summit + sd * rng.normal())),
        );
        const len = drawFragmentLength(rng);
        if (rng.bernoulli(0.5)) push(ci, cut, Math.min(lengths[ci]!, cut + len), c);
        else push(ci, Math.max(0, cut + 1 - len), cut + 1, c);
      }
    }
    const nBg = rng.poisson(d.backgroundRate * genomeBases);
    for (let i = 0; i < nBg; i++) {
      for (;;) {
        const ci = rng.weighted(lengths);
        const len = drawFragmentLength(rng);
        const start = rng.int(0, lengths[ci]! - len);
        if (overlapsAny(chroms[ci]!.gaps, start, start + len)) continue;
        push(ci, start, start + len, c);
        break;
      }
    }
  });
  const order = Array.from({ length: st.length }, (_, i) => i);
  order.sort((a, b) => ch[a]! - ch[b]! || st[a]! - st[b]! || en[a]! - en[b]! || ce[a]! - ce[b]!);
  const out: FragmentColumns = {
    chroms: new Uint8Array(order.length),
    starts: new Int32Array(order.length),
    ends: new Int32Array(order.length),
    cells: new Int32Array(order.length),
    counts: new Int32Array(order.length),
  };
  let n = 0;
  for (const i of order) {
    const prev = n - 1;
    if (
      n > 0 &&
      out.chroms[prev] === ch[i] &&
      out.starts[prev] === st[i] &&
      out.ends[prev] === en[i] &&
      out.cells[prev] === ce[i]
    ) {
      out.counts[prev]! += ct[i]!;
      continue;
    }
    out.chroms[n] = ch[i]!;
    out.starts[n] = st[i]!;
    out.ends[n] = en[i]!;
    out.cells[n] = ce[i]!;
    out.counts[n] = ct[i]!;
    n++;
  }
  return {
    fragments: {
      chroms: out.chroms.slice(0, n),
      starts: out.starts.slice(0, n),
      ends: out.ends.slice(0, n),
      cells: out.cells.slice(0, n),
      counts: out.counts.slice(0, n),
    },
    open,
  };
}

/**
 * Binarised insertion counts: y[c, p] = 1 when any fragment of cell c has an
 * insertion (0-based `start` or `end - 1`, the cellranger-arc/ArchR convention)
 * inside peak p's [start, end). Peaks must be sorted and non-overlapping per chromosome.
 */
export function binarizedPeakCounts(
  fragments: FragmentColumns,
  chroms: readonly Chromosome[],
  peaks: readonly SimPeak[],
  nCells: number,
): Uint8Array {
  const y = new Uint8Array(nCells * peaks.length);
  const perChrom = chroms.map((c) => {
    const idx: number[] = [];
    peaks.forEach((p, i) => {
      if (p.chrom === c.name) idx.push(i);
    });
    return idx;
  });
  const find = (chrom: number, pos: number): number => {
    const idx = perChrom[chrom]!;
    let lo = 0;
    let hi = idx.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = peaks[idx[mid]!]!;
      if (pos < p.start) hi = mid - 1;
      else if (pos >= p.end) lo = mid + 1;
      else return idx[mid]!;
    }
    return -1;
  };
  for (let i = 0; i < fragments.starts.length; i++) {
    const c = fragments.cells[i]!;
    for (const pos of [fragments.starts[i]!, fragments.ends[i]! - 1]) {
      const p = find(fragments.chroms[i]!, pos);
      if (p >= 0) y[c * peaks.length + p] = 1;
    }
  }
  return y;
}
