import { ChromflowError, throwIfAborted } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';
import type { Motif } from './motif.js';
import {
  N_SCORE,
  intScoreThreshold,
  makeBackground,
  makePwms,
  pValueFromIntScore,
  scoreFromIntScore,
  symmetrizeBackground,
} from './pwm.js';
import type { Pwm, PwmOptions } from './pwm.js';
import { KMER_K, KMER_TABLE_SIZE, kmersFromCodes, scanKernel } from './scan-kernel.js';
import type { KernelHits } from './scan-kernel.js';

/**
 * Motif scanning over many regions at once. Sequences are one backing array
 * of codes (A0 C1 G2 T3 N4) plus offsets: region i is
 * `codes[offsets[i], offsets[i+1])`.
 */
export interface SequenceBatch {
  codes: Uint8Array;
  /** Length nRegions + 1, non-decreasing, last = codes.length. */
  offsets: Int32Array;
}

export interface ScanOptions extends PwmOptions {
  /** Keep hits with p-value ≤ this (FIMO's `--thresh`); default 1e-4. */
  pValue?: number;
  /** Scan the reverse strand too (default true), as FIMO does unless `--norc`. */
  bothStrands?: boolean;
}

/** PWMs of a motif set with everything the scan loop needs precomputed. */
export interface MotifScanner {
  motifs: Motif[];
  pValue: number;
  bothStrands: boolean;
  background: Float64Array;
  /** Per motif: forward PWM; `reverse[m]` the reverse-complement PWM when both strands are scanned. */
  forward: Pwm[];
  reverse: Pwm[];
  /** Integer-score thresholds per strand entry (Infinity: the motif can never reach the p-value). */
  thresholds: number[];
  plan: Int32Array;
  tables: Int32Array;
  orders: Int32Array;
  needs: Int32Array;
}

/** Hits as columns, ordered by region, motif, strand, start. */
export interface MotifHits {
  count: number;
  /** Region index (row of the sequences input). */
  regions: Int32Array;
  /** Motif index into `scanner.motifs`. */
  motifs: Int32Array;
  /** 0-based start of the window inside its region (half-open with `ends`). */
  starts: Int32Array;
  /** Exclusive end inside the region. */
  ends: Int32Array;
  /** 0 = '+', 1 = '-' (the reverse-complement matrix matched the window). */
  strands: Uint8Array;
  /** Log2-odds score as FIMO reports it. */
  scores: Float64Array;
  pValues: Float64Array;
}

/**
 * Score table of the 5 motif positions from `first` for every base-5 word
 * (most significant digit = first position; digit 4 = N): the sum of their
 * integer scores, `N_SCORE` when an N falls inside the motif, positions past
 * the motif's end ignored.
 */
function blockTable(pwm: Pwm, first: number): { table: Int32Array; max: number } {
  const table = new Int32Array(KMER_TABLE_SIZE);
  const len = Math.min(KMER_K, pwm.width - first);
  let max = -Infinity;
  for (let word = 0; word < KMER_TABLE_SIZE; word++) {
    let s = 0;
    let v = word;
    for (let i = KMER_K - 1; i >= 0; i--) {
      const d = v % 5;
      v = (v - d) / 5;
      if (i >= len) continue;
      if (d === 4) {
        s = N_SCORE;
        break;
      }
      s += pwm.intScores[(first + i) * 5 + d]!;
    }
    table[word] = s;
    if (s > max) max = s;
  }
  return { table, max };
}

/**
 * Builds the scanner: FIMO-style PWMs per motif and strand, p-value tables,
 * and integer thresholds. With both strands the background is averaged with
 * its complement first (MEME suite convention), so the two strands share one
 * score distribution.
 */
export function makeMotifScanner(motifs: Motif[], options: ScanOptions = {}): MotifScanner {
  const pValue = options.pValue ?? 1e-4;
  if (!(pValue > 0 && pValue <= 1)) {
    throw new ChromflowError('PARAM', 'the p-value threshold must be in (0, 1]', {
      field: 'pValue',
      found: String(pValue),
    });
  }
  const bothStrands = options.bothStrands ?? true;
  const background = bothStrands
    ? symmetrizeBackground(makeBackground(options.background))
    : makeBackground(options.background);
  const forward: Pwm[] = [];
  const reverse: Pwm[] = [];
  const entries: { pwm: Pwm; motif: number; strand: number }[] = [];
  motifs.forEach((m, i) => {
    const pwms = makePwms(m, { ...options, background });
    forward.push(pwms.forward);
    reverse.push(pwms.reverse);
    entries.push({ pwm: pwms.forward, motif: i, strand: 0 });
    if (bothStrands) entries.push({ pwm: pwms.reverse, motif: i, strand: 1 });
  });
  const blocksOf = (w: number): number => Math.ceil(w / KMER_K);
  const totalBlocks = entries.reduce((a, e) => a + blocksOf(e.pwm.width), 0);
  const plan = new Int32Array(entries.length * 8);
  // Shared memory: worker threads read the tables without a copy (about 40 MB for JASPAR's 579 motifs).
  const tables = new Int32Array(new SharedArrayBuffer(totalBlocks * KMER_TABLE_SIZE * 4));
  const orders = new Int32Array(totalBlocks);
  const needs = new Int32Array(totalBlocks);
  const thresholds: number[] = [];
  let at = 0;
  entries.forEach((e, x) => {
    const { pwm } = e;
    const w = pwm.width;
    const nb = blocksOf(w);
    const t = intScoreThreshold(pwm, pValue);
    thresholds.push(t);
    const blockTables = Array.from({ length: nb }, (_, j) => blockTable(pwm, j * KMER_K));
    // Visit blocks most informative first: the largest gap between the best word and
    // the background mean rejects most windows after one or two lookups.
    const spread = blockTables.map((bt, j) => {
      let mean = 0;
      for (let i = j * KMER_K; i < Math.min(w, j * KMER_K + KMER_K); i++) {
        for (let b = 0; b < 4; b++) mean += pwm.intScores[i * 5 + b]! * background[b]!;
      }
      return bt.max - mean;
    });
    const order = Array.from({ length: nb }, (_, j) => j).sort(
      (a, b) => spread[b]! - spread[a]! || a - b,
    );
    let suffix = 0;
    for (let k = nb - 1; k >= 0; k--) {
      needs[at + k] = Number.isFinite(t) ? t - suffix : 0;
      suffix += blockTables[order[k]!]!.max;
    }
    order.forEach((j, k) => {
      orders[at + k] = j * KMER_K;
      tables.set(blockTables[j]!.table, (at + k) * KMER_TABLE_SIZE);
    });
    plan.set(
      [w, at * KMER_TABLE_SIZE, at, e.motif, e.strand, at, Number.isFinite(t) ? 1 : 0, nb],
      x * 8,
    );
    at += nb;
  });
  return {
    motifs,
    pValue,
    bothStrands,
    background,
    forward,
    reverse,
    thresholds,
    plan,
    tables,
    orders,
    needs,
  };
}

/** Bases per kernel block: a motif's tables are reused over this many bases before the next motif's are loaded. */
export const KERNEL_BLOCK_BASES = 1 << 16;

/** Checks a sequence batch's offsets; throws VALUE naming the bad region. */
export function checkSequenceBatch(batch: SequenceBatch): void {
  const { offsets, codes } = batch;
  if (offsets.length < 1 || offsets[0] !== 0 || offsets[offsets.length - 1] !== codes.length) {
    throw new ChromflowError(
      'VALUE',
      'sequence offsets must start at 0 and end at the number of codes',
      {
        expected: `0 … ${codes.length}`,
        found: `${offsets[0]} … ${offsets[offsets.length - 1]}`,
      },
    );
  }
  for (let i = 1; i < offsets.length; i++) {
    if (offsets[i]! < offsets[i - 1]!) {
      throw new ChromflowError('VALUE', `region ${i - 1} has a negative length`, {
        field: 'offsets',
      });
    }
  }
}

/** Hits with scores and p-values from the kernel's integer results. */
export function hitsFromKernel(scanner: MotifScanner, k: KernelHits): MotifHits {
  const n = k.count;
  const ends = new Int32Array(n);
  const strands = new Uint8Array(n);
  const scores = new Float64Array(n);
  const pValues = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = k.motifs[i]!;
    const pwm = k.strands[i] === 1 ? scanner.reverse[m]! : scanner.forward[m]!;
    ends[i] = k.starts[i]! + pwm.width;
    strands[i] = k.strands[i]!;
    scores[i] = scoreFromIntScore(pwm, k.intScores[i]!);
    pValues[i] = pValueFromIntScore(pwm, k.intScores[i]!);
  }
  return {
    count: n,
    regions: k.regions,
    motifs: k.motifs,
    starts: k.starts,
    ends,
    strands,
    scores,
    pValues,
  };
}

/** Concatenates kernel results of consecutive region blocks (offsets already shifted per block). */
export function concatKernelHits(parts: KernelHits[]): KernelHits {
  const count = parts.reduce((a, p) => a + p.count, 0);
  const out: KernelHits = {
    count,
    regions: new Int32Array(count),
    motifs: new Int32Array(count),
    starts: new Int32Array(count),
    strands: new Int32Array(count),
    intScores: new Int32Array(count),
  };
  let at = 0;
  for (const p of parts) {
    out.regions.set(p.regions, at);
    out.motifs.set(p.motifs, at);
    out.starts.set(p.starts, at);
    out.strands.set(p.strands, at);
    out.intScores.set(p.intScores, at);
    at += p.count;
  }
  return out;
}

/**
 * Region blocks of about `blockBases` bases each (at least one region per
 * block), as `[firstRegion, endRegion)` pairs; blocks bound the work between
 * progress reports and split it between threads.
 */
export function regionBlocks(offsets: Int32Array, blockBases: number): [number, number][] {
  const blocks: [number, number][] = [];
  const n = offsets.length - 1;
  let first = 0;
  for (let r = 0; r < n; r++) {
    if (offsets[r + 1]! - offsets[first]! >= blockBases || r === n - 1) {
      blocks.push([first, r + 1]);
      first = r + 1;
    }
  }
  return blocks;
}

/** Runs the kernel on regions `[first, end)` of a batch; region indices in the result are global. */
export function scanRegionBlock(
  scanner: MotifScanner,
  batch: SequenceBatch,
  first: number,
  end: number,
): KernelHits {
  const base = batch.offsets[first]!;
  const offsets = batch.offsets.slice(first, end + 1).map((o) => o - base);
  const codes = batch.codes.subarray(base, batch.offsets[end]);
  const kmers = kmersFromCodes(codes, offsets);
  const k = scanKernel(
    kmers,
    offsets,
    scanner.plan,
    0,
    scanner.plan.length / 8,
    scanner.tables,
    scanner.orders,
    scanner.needs,
    KERNEL_BLOCK_BASES,
  );
  for (let i = 0; i < k.count; i++) k.regions[i]! += first;
  return k;
}

/**
 * Scans every region with every motif in this thread. Progress is in bases
 * scanned; the signal is checked between blocks of about 1 Mb.
 */
export function scanMotifsInThread(
  scanner: MotifScanner,
  batch: SequenceBatch,
  options: LongRunOptions = {},
): MotifHits {
  checkSequenceBatch(batch);
  const total = batch.codes.length;
  const parts: KernelHits[] = [];
  options.onProgress?.(0, total);
  for (const [first, end] of regionBlocks(batch.offsets, 1 << 20)) {
    throwIfAborted(options.signal);
    parts.push(scanRegionBlock(scanner, batch, first, end));
    options.onProgress?.(batch.offsets[end]!, total);
  }
  return hitsFromKernel(scanner, concatKernelHits(parts));
}
