import { BigWig } from '@gmod/bbi';
import { ChromflowError } from '@chromflow/core';

/**
 * Intervals of a signal track on one chromosome: 0-based half-open
 * `starts`/`ends` with one value each (bedGraph-like; gaps have no value).
 */
export interface SignalIntervals {
  starts: Int32Array;
  ends: Int32Array;
  values: Float32Array;
}

/** An open bigWig file (read through @gmod/bbi, GMOD/bbi-js). */
export interface BigWigReader {
  path: string;
  /** Chromosome name → length in bp, in the file's chromosome-tree order. */
  chroms: Map<string, number>;
  /** Base-level intervals overlapping [start, end) (0-based half-open) on `chrom`. */
  fetch(chrom: string, start: number, end: number, signal?: AbortSignal): Promise<SignalIntervals>;
}

/** Opens a bigWig and reads its header; a PARSE error when it is not one. */
export async function openBigWig(path: string): Promise<BigWigReader> {
  const bw = new BigWig({ path });
  let header;
  try {
    header = await bw.getHeader();
  } catch (e) {
    throw new ChromflowError('PARSE', 'the file is not a readable bigWig', {
      path,
      expected: 'bigWig (magic 0x888FFC26)',
      found: e instanceof Error ? e.message : String(e),
    });
  }
  if (header.fileType !== 'bigwig') {
    throw new ChromflowError('PARSE', 'the file is not a bigWig', {
      path,
      expected: 'bigwig',
      found: header.fileType,
    });
  }
  const chroms = new Map<string, number>();
  for (const r of Object.values(header.refsByNumber)) chroms.set(r.name, r.length);
  return {
    path,
    chroms,
    async fetch(chrom, start, end, signal) {
      if (!chroms.has(chrom)) {
        throw new ChromflowError('VALUE', 'the bigWig has no such chromosome', {
          path,
          field: 'chrom',
          expected: `one of ${[...chroms.keys()].slice(0, 8).join(', ')}${chroms.size > 8 ? '…' : ''}`,
          found: chrom,
        });
      }
      const a = await bw.getFeaturesAsArrays(chrom, start, end, { scale: 1, signal });
      if (a.isSummary) throw new ChromflowError('VALUE', 'got zoom data at base level', { path });
      // bbi-js also returns intervals that only touch the range (end == start); keep true overlaps.
      let lo = 0;
      let hi = a.starts.length;
      while (lo < hi && a.ends[lo]! <= start) lo++;
      while (hi > lo && a.starts[hi - 1]! >= end) hi--;
      return {
        starts: a.starts.subarray(lo, hi),
        ends: a.ends.subarray(lo, hi),
        values: a.scores.subarray(lo, hi),
      };
    },
  };
}
