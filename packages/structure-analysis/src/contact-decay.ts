import type { Table } from 'apache-arrow';
import { ChromflowError, makeTable, throwIfAborted } from '@chromflow/core';
import type { Cooler } from './cooler.js';

export const CONTACT_DECAY_ENCODING = 'contact-decay';
export const CONTACT_DECAY_VERSION = '1';

/**
 * Defaults of ABC's power-law model (broadinstitute/ABC-Enhancer-Gene-Prediction):
 * `get_powerlaw_at_distance` clips distances below 5 kb; the fit
 * (`compute_powerlaw_fit_from_hic.py`) uses distances in [5 kb, 1 Mb]; the
 * gamma/scale pair is the one GET's analysis scripts use with that function.
 */
export const POWER_LAW_DEFAULTS = {
  gamma: 1.024238616787792,
  scale: 5.9594510043736655,
  minDistance: 5000,
  fitMinDistance: 5000,
  fitMaxDistance: 1_000_000,
} as const;

/**
 * ABC's power-law contact: exp(scale − gamma · ln(max(d, minDistance) + 1)).
 */
export function powerLawContact(
  distance: number,
  gamma: number,
  scale: number,
  minDistance: number = POWER_LAW_DEFAULTS.minDistance,
): number {
  const d = Math.max(distance, minDistance);
  return Math.exp(scale - gamma * Math.log(d + 1));
}

/** Contact frequency by diagonal for one chromosome (or `all`, summed over chromosomes). */
export interface DecayCurve {
  chrom: string;
  /** Distance of diagonal k in bp: k × bin size. */
  distances: Int32Array;
  /** Bin pairs on the diagonal (n_bins − k). */
  nPairs: Int32Array;
  /** Stored (non-zero) pixels on the diagonal. */
  nPixels: Int32Array;
  sums: Float64Array;
}

export interface PowerLawFit {
  gamma: number;
  scale: number;
  /** Pearson correlation of the log–log points. */
  r: number;
  points: number;
}

export interface DecayOptions {
  /** Chromosomes to use (default all of the map's). */
  chroms?: readonly string[];
  /** Use balanced values (needs bins/weight); NaN-weighted pixels are skipped. Default false. */
  balance?: boolean;
  signal?: AbortSignal;
}

/** Per-chromosome contact-vs-distance curves from a cooler's cis pixels (plus `all`). */
export function contactDecay(cool: Cooler, options: DecayOptions = {}): DecayCurve[] {
  if (cool.binSize === undefined) {
    throw new ChromflowError('VALUE', 'contact decay needs a fixed-bin cooler', {
      path: cool.path,
      field: 'bin-size',
    });
  }
  const binSize = cool.binSize;
  const balance = options.balance ?? false;
  if (balance && !cool.weights) {
    throw new ChromflowError('VALUE', 'the cooler has no balancing weights (bins/weight)', {
      path: cool.path,
      field: 'balance',
    });
  }
  const chroms = options.chroms ?? cool.chromNames;
  const curves: DecayCurve[] = [];
  let maxBins = 0;
  for (const chrom of chroms) {
    throwIfAborted(options.signal);
    const ci = cool.chromNames.indexOf(chrom);
    if (ci < 0) {
      throw new ChromflowError('VALUE', 'the chromosome is not in the contact map', {
        path: cool.path,
        field: 'chroms',
        found: chrom,
        expected: cool.chromNames.join(', '),
      });
    }
    const lo = cool.chromOffsets[ci]!;
    const hi = cool.chromOffsets[ci + 1]!;
    const n = hi - lo;
    maxBins = Math.max(maxBins, n);
    const sums = new Float64Array(n);
    const nPixels = new Int32Array(n);
    const px = cool.readPixelRange(cool.bin1Offsets[lo]!, cool.bin1Offsets[hi]!);
    for (let k = 0; k < px.bin1.length; k++) {
      const j = px.bin2[k]!;
      if (j >= hi) continue; // trans
      const i = px.bin1[k]!;
      const v = balance ? px.count[k]! * cool.weights![i]! * cool.weights![j]! : px.count[k]!;
      if (Number.isNaN(v)) continue;
      sums[j - i]! += v;
      nPixels[j - i]!++;
    }
    curves.push({
      chrom,
      distances: Int32Array.from({ length: n }, (_, k) => k * binSize),
      nPairs: Int32Array.from({ length: n }, (_, k) => n - k),
      nPixels,
      sums,
    });
  }
  const all: DecayCurve = {
    chrom: 'all',
    distances: Int32Array.from({ length: maxBins }, (_, k) => k * binSize),
    nPairs: new Int32Array(maxBins),
    nPixels: new Int32Array(maxBins),
    sums: new Float64Array(maxBins),
  };
  for (const c of curves) {
    for (let k = 0; k < c.sums.length; k++) {
      all.nPairs[k]! += c.nPairs[k]!;
      all.nPixels[k]! += c.nPixels[k]!;
      all.sums[k]! += c.sums[k]!;
    }
  }
  curves.push(all);
  return curves;
}

/**
 * ABC's fit (`do_powerlaw_fit`): per distance d in [minDistance, maxDistance]
 * with any pixel, y = (sum of contacts at d) / (pixels at one bin distance);
 * ordinary least squares of ln(y + 1e-6) on ln(d + 1e-6); gamma = −slope,
 * scale = intercept.
 */
export function fitPowerLaw(
  curve: DecayCurve,
  minDistance: number = POWER_LAW_DEFAULTS.fitMinDistance,
  maxDistance: number = POWER_LAW_DEFAULTS.fitMaxDistance,
): PowerLawFit {
  const norm = curve.nPixels[1] ?? 0;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let k = 0; k < curve.sums.length; k++) {
    const d = curve.distances[k]!;
    if (d < minDistance || d > maxDistance || curve.nPixels[k] === 0) continue;
    xs.push(Math.log(d + 1e-6));
    ys.push(Math.log(curve.sums[k]! / norm + 1e-6));
  }
  if (xs.length < 2 || norm === 0) {
    throw new ChromflowError('EMPTY', `too few distances to fit a power law on ${curve.chrom}`, {
      field: 'minDistance/maxDistance',
      expected:
        'at least 2 distances with contacts in the fit range, and pixels one bin off the diagonal',
      found: `${xs.length} distances in [${minDistance}, ${maxDistance}] bp`,
      hint: 'widen maxDistance: at coarse bins (e.g. 2 Mb) ABC’s 1 Mb limit holds no off-diagonal distance',
    });
  }
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    syy += (ys[i]! - my) ** 2;
  }
  const slope = sxy / sxx;
  return { gamma: -slope, scale: my - slope * mx, r: sxy / Math.sqrt(sxx * syy), points: n };
}

/**
 * Curves and fits → Arrow `contact-decay` table: one row per (chrom, diagonal),
 * the chromosome's fit repeated on its rows (NaN where it could not be fitted).
 */
export function contactDecayToTable(
  curves: readonly DecayCurve[],
  minDistance: number,
  maxDistance: number,
): Table {
  const c = {
    chrom: [] as string[],
    distance: [] as number[],
    n_pairs: [] as number[],
    n_pixels: [] as number[],
    contact_sum: [] as number[],
    contact_mean: [] as number[],
    in_fit: [] as boolean[],
    gamma: [] as number[],
    scale: [] as number[],
    r: [] as number[],
  };
  for (const curve of curves) {
    let fit: PowerLawFit | undefined;
    try {
      fit = fitPowerLaw(curve, minDistance, maxDistance);
    } catch {
      fit = undefined;
    }
    for (let k = 0; k < curve.sums.length; k++) {
      const d = curve.distances[k]!;
      c.chrom.push(curve.chrom);
      c.distance.push(d);
      c.n_pairs.push(curve.nPairs[k]!);
      c.n_pixels.push(curve.nPixels[k]!);
      c.contact_sum.push(curve.sums[k]!);
      c.contact_mean.push(curve.sums[k]! / curve.nPairs[k]!);
      c.in_fit.push(
        fit !== undefined && d >= minDistance && d <= maxDistance && curve.nPixels[k]! > 0,
      );
      c.gamma.push(fit?.gamma ?? NaN);
      c.scale.push(fit?.scale ?? NaN);
      c.r.push(fit?.r ?? NaN);
    }
  }
  return makeTable(
    {
      chrom: c.chrom,
      distance: Int32Array.from(c.distance),
      n_pairs: Int32Array.from(c.n_pairs),
      n_pixels: Int32Array.from(c.n_pixels),
      contact_sum: Float64Array.from(c.contact_sum),
      contact_mean: Float64Array.from(c.contact_mean),
      in_fit: c.in_fit,
      gamma: Float64Array.from(c.gamma),
      scale: Float64Array.from(c.scale),
      r: Float64Array.from(c.r),
    },
    CONTACT_DECAY_ENCODING,
    CONTACT_DECAY_VERSION,
  );
}

/** The (gamma, scale) of `chrom` in a `contact-decay` table, falling back to its `all` row; undefined if neither is fitted. */
export function powerLawFromDecayTable(
  table: Table,
  chrom = 'all',
): { gamma: number; scale: number } | undefined {
  const chroms = table.getChild('chrom');
  const gammas = table.getChild('gamma');
  const scales = table.getChild('scale');
  if (!chroms || !gammas || !scales) return undefined;
  let fallback: { gamma: number; scale: number } | undefined;
  for (let i = 0; i < table.numRows; i++) {
    const ch = String(chroms.get(i));
    const g = Number(gammas.get(i));
    const s = Number(scales.get(i));
    if (!Number.isFinite(g) || !Number.isFinite(s)) continue;
    if (ch === chrom) return { gamma: g, scale: s };
    if (ch === 'all') fallback ??= { gamma: g, scale: s };
  }
  return fallback;
}
