import { ChromflowError } from '@chromflow/core';

/**
 * GET's pLDDT segmentation (fuxialexander/proscope `Protein.get_smooth_plddt`,
 * `low_plddt_region`, `low_or_high_plddt_region`); see docs/adr/0001.
 * All ranges here are 0-based half-open residue indices into the chain arrays.
 */
export interface SegmentOptions {
  /** Moving-average window in residues. Default 10 (GET). */
  window?: number;
  /** Smoothed, max-normalised pLDDT below this is low confidence. Default 0.6 (GET). */
  threshold?: number;
  /** Low regions closer than this many residues are merged. Default 30 (GET). */
  mergeGap?: number;
  /** Pieces shorter than this are dropped. Default 30 (GET). */
  minLength?: number;
  /**
   * `get` reproduces GET's code including its quirks (a low region's end is
   * its last low residue; removing short regions while iterating skips the
   * next one; breakpoints closer than `minLength` are merged); `strict` applies
   * the rules as stated: merge low runs with gaps < mergeGap, drop low runs and
   * high pieces shorter than minLength. Default `get`.
   */
  convention?: 'get' | 'strict';
}

export interface PlddtSegment {
  /** 0-based index of the first residue. */
  start: number;
  /** 0-based exclusive end. */
  end: number;
  confidence: 'high' | 'low';
  /** Mean of the smoothed, max-normalised pLDDT over the segment. */
  meanSmoothed: number;
}

export const SEGMENT_DEFAULTS = {
  window: 10,
  threshold: 0.6,
  mergeGap: 30,
  minLength: 30,
  convention: 'get',
} as const;

/**
 * Moving average as numpy `convolve(x, ones(w)/w, mode='same')`: value i is
 * the sum of x[i - ceil(w/2) … i + floor((w-1)/2)] (zeros outside) divided by
 * w, then divided by its maximum (GET normalises by the max, not by 100).
 */
export function smoothPlddt(plddt: ArrayLike<number>, window = 10): Float64Array {
  const n = plddt.length;
  if (!(Number.isInteger(window) && window >= 1)) {
    throw new ChromflowError('PARAM', 'the smoothing window must be a positive integer', {
      field: 'window',
      found: String(window),
    });
  }
  const back = window - 1 - Math.floor((window - 1) / 2); // 5 for w=10
  const ahead = Math.floor((window - 1) / 2); // 4 for w=10
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + plddt[i]!;
  const out = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i - back);
    const hi = Math.min(n, i + ahead + 1);
    const v = (prefix[hi]! - prefix[lo]!) / window;
    out[i] = v;
    if (v > max) max = v;
  }
  if (!(max > 0)) {
    throw new ChromflowError('VALUE', 'pLDDT is zero everywhere, so it cannot be normalised', {
      field: 'plddt',
    });
  }
  for (let i = 0; i < n; i++) out[i]! /= max;
  return out;
}

function lowRegionsGet(
  smoothed: Float64Array,
  threshold: number,
  gap: number,
  minLen: number,
): [number, number][] {
  const regions: [number, number][] = [];
  for (let i = 0; i < smoothed.length; i++) {
    if (!(smoothed[i]! < threshold)) continue;
    const last = regions[regions.length - 1];
    if (last && i - last[1] < gap) last[1] = i;
    else regions.push([i, i + 1]);
  }
  // GET removes short regions from the list while iterating over it, which skips
  // the element after each removal; reproduced on purpose (ADR 0001).
  for (let j = 0; j < regions.length; j++) {
    const r = regions[j]!;
    if (r[1] - r[0] < minLen) regions.splice(j, 1);
  }
  return regions;
}

function breakpointsGet(low: [number, number][], length: number, minLen: number): number[] {
  let bp = low.flat();
  if (bp.length === 0) return [0, length];
  if (bp[0] !== 0) bp = [0, ...bp];
  if (bp[bp.length - 1] !== length) bp.push(length);
  const out = bp.slice();
  const removeValue = (v: number): void => {
    const k = out.indexOf(v);
    if (k >= 0) out.splice(k, 1);
  };
  for (let i = 0; i < bp.length - 1; i++) {
    if (bp[i + 1]! - bp[i]! < minLen) removeValue(i === bp.length - 2 ? bp[i]! : bp[i + 1]!);
  }
  return out;
}

function meanOf(x: Float64Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += x[i]!;
  return end > start ? s / (end - start) : NaN;
}

function segmentsStrict(smoothed: Float64Array, o: Required<SegmentOptions>): PlddtSegment[] {
  const n = smoothed.length;
  const runs: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (!(smoothed[i]! < o.threshold)) continue;
    const last = runs[runs.length - 1];
    if (last && i - last[1] < o.mergeGap) last[1] = i + 1;
    else runs.push([i, i + 1]);
  }
  const low = runs.filter(([s, e]) => e - s >= o.minLength);
  const out: PlddtSegment[] = [];
  let prev = 0;
  const pushHigh = (s: number, e: number): void => {
    if (e - s >= o.minLength)
      out.push({ start: s, end: e, confidence: 'high', meanSmoothed: meanOf(smoothed, s, e) });
  };
  for (const [s, e] of low) {
    pushHigh(prev, s);
    out.push({ start: s, end: e, confidence: 'low', meanSmoothed: meanOf(smoothed, s, e) });
    prev = e;
  }
  pushHigh(prev, n);
  return out;
}

/**
 * Segments a chain by pLDDT into high- and low-confidence pieces (0-based
 * half-open). In `get` convention the pieces are GET's `low_or_high_plddt_region`
 * and a piece is high when its mean smoothed pLDDT is at least `threshold`.
 */
export function segmentPlddt(
  plddt: ArrayLike<number>,
  options: SegmentOptions = {},
): PlddtSegment[] {
  const o: Required<SegmentOptions> = { ...SEGMENT_DEFAULTS, ...options };
  const smoothed = smoothPlddt(plddt, o.window);
  if (o.convention === 'strict') return segmentsStrict(smoothed, o);
  const low = lowRegionsGet(smoothed, o.threshold, o.mergeGap, o.minLength);
  const bp = breakpointsGet(low, smoothed.length, o.minLength);
  const out: PlddtSegment[] = [];
  for (let i = 0; i + 1 < bp.length; i++) {
    const s = bp[i]!;
    const e = bp[i + 1]!;
    const m = meanOf(smoothed, s, e);
    out.push({ start: s, end: e, confidence: m >= o.threshold ? 'high' : 'low', meanSmoothed: m });
  }
  return out;
}
