import type { Random } from './random.js';

/** A synthetic chromosome: ASCII bases (A C G T, lower case = soft-masked repeat, N = gap). */
export interface Chromosome {
  name: string;
  /** One byte per base, ASCII. Index = 0-based position. */
  seq: Uint8Array;
  /** Assembly gaps (runs of N), 0-based half-open. */
  gaps: Interval[];
}

/** 0-based half-open interval on one chromosome. */
export interface Interval {
  start: number;
  end: number;
}

const A = 65;
const C = 67;
const G = 71;
const T = 84;
const N = 78;
const CODES = [A, C, G, T];

const DEPLETED_AFTER_C = [0.3, 0.2, 0.2 * 0.25, 0.3];
const DEPLETED_SUM = DEPLETED_AFTER_C.reduce((a, b) => a + b, 0);

/**
 * The background Markov chain, P(base | previous base) over A C G T: base
 * frequencies A=T=0.30, C=G=0.20, and after a C the same with CpG depleted
 * (P(G | previous C) scaled by 0.25, as in mammalian genomes, where CpG is
 * ~1/4 of its expected frequency), renormalised.
 */
export const BACKGROUND_CHAIN: { base: readonly number[]; afterC: readonly number[] } = {
  base: [0.3, 0.2, 0.2, 0.3],
  afterC: DEPLETED_AFTER_C.map((p) => p / DEPLETED_SUM),
};

/**
 * Background DNA drawn from `BACKGROUND_CHAIN`. The result has ~41 % GC over
 * non-gap bases once CpG-island promoters and planted sites are added
 * (checked in the tests).
 */
export function makeBackgroundSequence(length: number, rng: Random): Uint8Array {
  const seq = new Uint8Array(length);
  const cdfBase = cumulative(BACKGROUND_CHAIN.base);
  const cdfAfterC = cumulative(BACKGROUND_CHAIN.afterC);
  let prev = -1;
  for (let i = 0; i < length; i++) {
    const cdf = prev === 1 ? cdfAfterC : cdfBase;
    const u = rng.uniform();
    let k = 0;
    while (k < 3 && u >= cdf[k]!) k++;
    seq[i] = CODES[k]!;
    prev = k;
  }
  return seq;
}

function cumulative(p: readonly number[]): number[] {
  const out: number[] = [];
  let s = 0;
  for (const x of p) out.push((s += x));
  return out;
}

/** Overwrites [start, end) with GC-rich, CpG-rich sequence (GC 0.65, no CpG depletion): a CpG-island promoter. */
export function paintGcRich(seq: Uint8Array, start: number, end: number, rng: Random): void {
  const cdf = cumulative([0.175, 0.325, 0.325, 0.175]);
  for (let i = Math.max(0, start); i < Math.min(seq.length, end); i++) {
    const u = rng.uniform();
    let k = 0;
    while (k < 3 && u >= cdf[k]!) k++;
    seq[i] = CODES[k]!;
  }
}

/** Writes N over each gap. */
export function paintGaps(chrom: Chromosome): void {
  for (const g of chrom.gaps) chrom.seq.fill(N, g.start, g.end);
}

/** Whether [start, end) overlaps any of `intervals` (widened by `pad` on both sides). */
export function overlapsAny(
  intervals: readonly Interval[],
  start: number,
  end: number,
  pad = 0,
): boolean {
  for (const iv of intervals) if (start < iv.end + pad && iv.start - pad < end) return true;
  return false;
}

/**
 * Soft-masked repeats: copies of a few repeat-family consensus sequences
 * (diverged by 12 % point substitutions) and (CA)n microsatellites, written in
 * lower case, avoiding `forbidden` (peaks, gaps). Returns the masked intervals.
 */
export function insertRepeats(
  chrom: Chromosome,
  families: readonly Uint8Array[],
  targetFraction: number,
  forbidden: readonly Interval[],
  rng: Random,
): Interval[] {
  const masked: Interval[] = [];
  let covered = 0;
  const target = targetFraction * chrom.seq.length;
  let attempts = 0;
  while (covered < target && attempts < 100_000) {
    attempts++;
    const micro = rng.bernoulli(0.3);
    const len = micro ? rng.int(30, 80) : families[rng.int(0, families.length)]!.length;
    const start = rng.int(0, chrom.seq.length - len);
    if (
      overlapsAny(forbidden, start, start + len, 50) ||
      overlapsAny(chrom.gaps, start, start + len, 0)
    ) {
      continue;
    }
    if (micro) {
      for (let i = 0; i < len; i++) chrom.seq[start + i] = i % 2 === 0 ? 99 : 97; // c a
    } else {
      const fam = families[rng.int(0, families.length)]!.subarray(0, len);
      for (let i = 0; i < fam.length; i++) {
        const b = rng.bernoulli(0.12) ? CODES[rng.int(0, 4)]! : fam[i]!;
        chrom.seq[start + i] = b | 0x20; // lower case
      }
    }
    masked.push({ start, end: start + len });
    covered += len;
  }
  return masked;
}

/** GC fraction over A/C/G/T bases of either case (N excluded). */
export function gcFraction(seq: Uint8Array): number {
  let gc = 0;
  let acgt = 0;
  for (const b of seq) {
    const u = b & 0xdf;
    if (u === C || u === G) gc++;
    if (u === A || u === C || u === G || u === T) acgt++;
  }
  return acgt === 0 ? 0 : gc / acgt;
}

/** A, C, G, T frequencies over non-gap bases (the MEME background). */
export function baseFrequencies(chroms: readonly Chromosome[]): number[] {
  const counts = [0, 0, 0, 0];
  for (const c of chroms) {
    for (const b of c.seq) {
      const k = CODES.indexOf(b & 0xdf);
      if (k >= 0) counts[k]!++;
    }
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const at = (counts[0]! + counts[3]!) / 2 / total;
  const gc = (counts[1]! + counts[2]!) / 2 / total;
  return [at, gc, gc, at];
}

/** Writes `site` (upper case ASCII) into `seq` at `start`. */
export function writeSite(seq: Uint8Array, start: number, site: string): void {
  for (let i = 0; i < site.length; i++) seq[start + i] = site.charCodeAt(i);
}

/** Decodes [start, end) of `seq` as text. */
export function sliceText(seq: Uint8Array, start: number, end: number): string {
  return Buffer.from(seq.subarray(start, end)).toString('latin1');
}
