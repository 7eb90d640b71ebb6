import { ChromflowError } from '@chromflow/core';
import type { Regions } from '@chromflow/genome-io';

/**
 * GET's samples: windows of `size` consecutive regions on one chromosome
 * (200 in fine-tuning, 900 in pretraining; stride 100 in the tutorial).
 */

export interface GetWindows {
  /** Region rows in genomic order (chromosome order of first appearance, then start, then end). */
  order: Int32Array;
  /** Chromosome of each window. */
  chroms: string[];
  /** Offset of each window's first region in `order`; a window covers `order[first … first + size)`. */
  firsts: Int32Array;
  size: number;
}

export interface WindowOptions {
  /** Regions per window (GET: 200). */
  size?: number;
  /** Regions between window starts (GET tutorial: 100). */
  stride?: number;
  /** A chromosome with fewer regions than `size`: an error (default) or left out. */
  shortChromosomes?: 'error' | 'skip';
  /** Named in errors: the regions file. */
  path?: string;
}

/**
 * Windows over each chromosome's regions in genomic order, starting every
 * `stride` regions; when the last stride does not land on the chromosome's
 * end, one more window ends exactly there, so every region is in a window.
 */
export function makeGetWindows(regions: Regions, options: WindowOptions = {}): GetWindows {
  const size = options.size ?? 200;
  const stride = options.stride ?? 100;
  if (!(Number.isInteger(size) && size >= 1 && Number.isInteger(stride) && stride >= 1)) {
    throw new ChromflowError('PARAM', 'window size and stride must be positive integers', {
      field: 'windowSize',
      found: `${size}, ${stride}`,
    });
  }
  const rows = Array.from({ length: regions.length }, (_, i) => i);
  rows.sort(
    (a, b) =>
      regions.chromIds[a]! - regions.chromIds[b]! ||
      regions.starts[a]! - regions.starts[b]! ||
      regions.ends[a]! - regions.ends[b]!,
  );
  const order = Int32Array.from(rows);
  const chroms: string[] = [];
  const firsts: number[] = [];
  let at = 0;
  while (at < order.length) {
    const id = regions.chromIds[order[at]!]!;
    let end = at;
    while (end < order.length && regions.chromIds[order[end]!] === id) end++;
    const n = end - at;
    const name = regions.chromNames[id]!;
    if (n < size) {
      if (options.shortChromosomes !== 'skip') {
        throw new ChromflowError(
          'VALUE',
          `chromosome ${name} has ${n} regions, fewer than the window of ${size}`,
          {
            path: options.path,
            field: 'windowSize',
            expected: `≤ ${n} regions per window, or shortChromosomes: skip`,
            found: String(size),
          },
        );
      }
    } else {
      let f = 0;
      for (; f + size <= n; f += stride) {
        chroms.push(name);
        firsts.push(at + f);
      }
      if (f - stride + size < n) {
        chroms.push(name);
        firsts.push(end - size);
      }
    }
    at = end;
  }
  if (firsts.length === 0) {
    throw new ChromflowError('EMPTY', `no chromosome has ${size} regions for one window`, {
      path: options.path,
      field: 'windowSize',
      expected: `at most ${Math.max(0, ...countPerChrom(regions))}`,
      found: String(size),
    });
  }
  return { order, chroms, firsts: Int32Array.from(firsts), size };
}

function countPerChrom(regions: Regions): number[] {
  const n = new Array<number>(regions.chromNames.length).fill(0);
  for (let i = 0; i < regions.length; i++) n[regions.chromIds[i]!]!++;
  return n;
}
