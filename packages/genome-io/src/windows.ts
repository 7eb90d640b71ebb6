import { ChromflowError, throwIfAborted } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';
import type { Regions } from './bed.js';
import type { FastaReader } from './fasta.js';
import { CODE_N, codesFromSequence } from './sequence-codes.js';
import type { SoftMaskPolicy } from './sequence-codes.js';

/**
 * Peak-centred fixed-width windows (XChrom / scBasset input).
 *
 * Rule: `mid = floor((start + end) / 2)`, window `[mid - floor(width/2),
 * mid - floor(width/2) + width)`, 0-based half-open. For even widths this is
 * XChrom's `[mid - width/2, mid + width/2)` (1344 → [mid-672, mid+672)); for
 * odd widths the window has one more base right of `mid` than left of it
 * (`mid` is the window's base at index floor(width/2)).
 *
 * Windows reaching past a chromosome end follow a named policy:
 * - `pad` (default): keep the window; bases outside the chromosome are N.
 * - `shift`: move the window inside the chromosome, keeping its width (the
 *   peak is then off-centre); a chromosome shorter than `width` is padded.
 * - `clip`: cut the window at the chromosome end (it is then shorter than width).
 * - `error`: throw VALUE naming the region.
 */
export type EdgePolicy = 'pad' | 'shift' | 'clip' | 'error';

export interface WindowOptions {
  /** Window width in bases (default 1344). */
  width?: number;
  /** What to do at chromosome ends (default `pad`). */
  edge?: EdgePolicy;
}

/**
 * Windows, one per input region, in input order. [starts[i], ends[i]) is the
 * window (0-based half-open; with `pad` it may start below 0 or end past the
 * chromosome); the sequence read from the genome is [max(0,start), min(size,end)).
 */
export interface Windows {
  names: string[];
  chromNames: string[];
  chromIds: Int32Array;
  /** 0-based window starts (may be negative under the `pad` policy). */
  starts: Int32Array;
  /** Exclusive window ends (may exceed the chromosome size under `pad`). */
  ends: Int32Array;
  length: number;
}

/** Windows around the midpoints of `regions` (see the module comment for the rule). */
export function makeWindows(
  regions: Regions,
  chromSizes: ReadonlyMap<string, number>,
  options: WindowOptions = {},
): Windows {
  const width = options.width ?? 1344;
  const edge = options.edge ?? 'pad';
  if (!Number.isInteger(width) || width < 1) {
    throw new ChromflowError('PARAM', 'window width must be a positive integer', {
      field: 'width',
      found: String(width),
    });
  }
  const half = Math.floor(width / 2);
  const n = regions.length;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const chrom = regions.chromNames[regions.chromIds[i]!]!;
    const size = chromSizes.get(chrom);
    if (size === undefined) {
      throw new ChromflowError(
        'VALUE',
        `region ${regions.names[i]} is on ${chrom}, which the genome does not have`,
        {
          field: 'chrom',
          expected: `one of ${[...chromSizes.keys()].slice(0, 5).join(', ')}${chromSizes.size > 5 ? ', …' : ''}`,
          hint: 'check that peaks and genome use the same assembly and naming (chr1 vs 1)',
        },
      );
    }
    const mid = Math.floor((regions.starts[i]! + regions.ends[i]!) / 2);
    let s = mid - half;
    let e = s + width;
    if (s < 0 || e > size) {
      if (edge === 'error') {
        throw new ChromflowError(
          'VALUE',
          `the ${width}-bp window of region ${regions.names[i]} (${chrom}:${s}-${e}) reaches past ${chrom} (0-${size})`,
          {
            field: 'edge',
            hint: "choose edge policy 'pad', 'shift' or 'clip'",
          },
        );
      } else if (edge === 'shift') {
        if (width >= size) s = 0;
        else if (s < 0) s = 0;
        else s = size - width;
        e = s + width;
      } else if (edge === 'clip') {
        s = Math.max(0, s);
        e = Math.min(size, e);
      }
    }
    starts[i] = s;
    ends[i] = e;
  }
  return {
    names: regions.names.slice(),
    chromNames: regions.chromNames.slice(),
    chromIds: regions.chromIds.slice(),
    starts,
    ends,
    length: n,
  };
}

/** Sequences of windows as codes: row i is `codes[offsets[i], offsets[i+1])`. */
export interface WindowCodes {
  codes: Uint8Array;
  /** n + 1 offsets into `codes`. */
  offsets: Int32Array;
}

/**
 * Reads each window's bases from the genome and encodes them (A0 C1 G2 T3 N4);
 * bases outside the chromosome (the `pad` policy) are N.
 */
export async function readWindowCodes(
  fasta: FastaReader,
  windows: Windows,
  options: LongRunOptions & { softMasked?: SoftMaskPolicy } = {},
): Promise<WindowCodes> {
  const offsets = new Int32Array(windows.length + 1);
  for (let i = 0; i < windows.length; i++)
    offsets[i + 1] = offsets[i]! + (windows.ends[i]! - windows.starts[i]!);
  const codes = new Uint8Array(offsets[windows.length]!).fill(CODE_N);
  for (let i = 0; i < windows.length; i++) {
    throwIfAborted(options.signal);
    const chrom = windows.chromNames[windows.chromIds[i]!]!;
    const size = fasta.chromSizes.get(chrom) ?? 0;
    const s = windows.starts[i]!;
    const e = windows.ends[i]!;
    const from = Math.max(0, s);
    const to = Math.min(size, e);
    if (to > from) {
      const seq = await fasta.fetch(chrom, from, to, { signal: options.signal });
      codesFromSequence(seq, {
        softMasked: options.softMasked,
        into: codes,
        at: offsets[i]! + (from - s),
      });
    }
    options.onProgress?.(i + 1, windows.length);
  }
  return { codes, offsets };
}

/** What letter case window text keeps: as stored (`keep`, soft-masked repeats lower case) or `upper`. */
export type CasePolicy = 'keep' | 'upper';

/** Each window's bases as text (N outside the chromosome), with the chosen case. */
export async function readWindowSequences(
  fasta: FastaReader,
  windows: Windows,
  options: LongRunOptions & { case?: CasePolicy } = {},
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < windows.length; i++) {
    throwIfAborted(options.signal);
    const chrom = windows.chromNames[windows.chromIds[i]!]!;
    const size = fasta.chromSizes.get(chrom) ?? 0;
    const s = windows.starts[i]!;
    const e = windows.ends[i]!;
    const from = Math.max(0, s);
    const to = Math.min(size, e);
    let seq = to > from ? await fasta.fetch(chrom, from, to, { signal: options.signal }) : '';
    if (options.case === 'upper') seq = seq.toUpperCase();
    out.push(
      'N'.repeat(Math.max(0, Math.min(e, from) - s)) +
        seq +
        'N'.repeat(Math.max(0, e - Math.max(to, s))),
    );
    options.onProgress?.(i + 1, windows.length);
  }
  return out;
}
