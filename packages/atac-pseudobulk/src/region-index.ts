import { ChromflowError } from '@chromflow/core';

/**
 * A region set as plain columns. Coordinates are 0-based half-open
 * (`[starts[i], ends[i])`), as in BED; region i is column i of a count matrix.
 * Structurally the same as `@chromflow/genome-io`'s `Regions`, which can be passed as is.
 */
export interface RegionColumns {
  /** Chromosome dictionary. */
  chromNames: readonly string[];
  /** Chromosome of each region, an index into `chromNames`. */
  chromIds: ArrayLike<number>;
  /** 0-based first base of each region. */
  starts: Int32Array;
  /** 0-based exclusive end of each region. */
  ends: Int32Array;
  /** Optional region names (the `name` column of a `regions` table). */
  names?: readonly string[];
}

/** The regions of one chromosome sorted by start, with the running maximum of ends. */
export interface ChromRegions {
  /** 0-based starts, ascending. */
  starts: Int32Array;
  /** 0-based exclusive ends, in the same order as `starts`. */
  ends: Int32Array;
  /** `maxEnds[i]` = max(ends[0..i]); lets an overlap query stop walking left. */
  maxEnds: Int32Array;
  /** Column (input order) of each sorted region. */
  ids: Int32Array;
}

/** Regions indexed per chromosome for overlap queries; built by `makeRegionIndex`. */
export interface RegionIndex {
  nRegions: number;
  /** Chromosomes in order of first appearance in the input. */
  chromNames: string[];
  byChrom: Map<string, ChromRegions>;
}

/**
 * Sorts the regions of each chromosome by start and records the running
 * maximum end, so that `forEachOverlap` finds every region overlapping an
 * interval with one binary search plus a walk over the overlapping ones
 * (regions may overlap each other, e.g. TSS windows).
 */
export function makeRegionIndex(regions: RegionColumns): RegionIndex {
  const n = regions.starts.length;
  if (regions.chromIds.length !== n || regions.ends.length !== n) {
    throw new ChromflowError('VALUE', 'region columns have different lengths', {
      expected: `${n} chroms, starts and ends`,
      found: `${regions.chromIds.length} chroms, ${n} starts, ${regions.ends.length} ends`,
    });
  }
  const perChrom = new Map<string, number[]>();
  const chromNames: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = regions.chromNames[regions.chromIds[i]!]!;
    if (regions.ends[i]! < regions.starts[i]!) {
      throw new ChromflowError('VALUE', `region ${i} ends before it starts`, {
        field: 'end',
        expected: `end >= start (${regions.starts[i]})`,
        found: String(regions.ends[i]),
      });
    }
    let list = perChrom.get(c);
    if (!list) {
      list = [];
      perChrom.set(c, list);
      chromNames.push(c);
    }
    list.push(i);
  }
  const byChrom = new Map<string, ChromRegions>();
  for (const [c, list] of perChrom) {
    list.sort(
      (a, b) => regions.starts[a]! - regions.starts[b]! || regions.ends[a]! - regions.ends[b]!,
    );
    const m = list.length;
    const starts = new Int32Array(m);
    const ends = new Int32Array(m);
    const maxEnds = new Int32Array(m);
    const ids = Int32Array.from(list);
    let maxEnd = -1;
    for (let k = 0; k < m; k++) {
      const i = list[k]!;
      starts[k] = regions.starts[i]!;
      ends[k] = regions.ends[i]!;
      maxEnd = Math.max(maxEnd, ends[k]!);
      maxEnds[k] = maxEnd;
    }
    byChrom.set(c, { starts, ends, maxEnds, ids });
  }
  return { nRegions: n, chromNames, byChrom };
}

/** Index of the first element of the ascending `sorted` that is greater than `x`. */
export function upperBound(sorted: Int32Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Writes into `out` the columns of every region overlapping the 0-based
 * half-open interval `[start, end)` and returns how many it wrote (at most
 * `out.length`). For a single base (`end = start + 1`) an `out` of
 * `maxOverlapDepth` entries always suffices; a longer interval can overlap more.
 */
export function collectOverlaps(
  cr: ChromRegions,
  start: number,
  end: number,
  out: Int32Array,
): number {
  let k = upperBound(cr.starts, end - 1) - 1;
  let n = 0;
  const { ends, maxEnds, ids } = cr;
  while (k >= 0 && maxEnds[k]! > start) {
    if (ends[k]! > start && n < out.length) out[n++] = ids[k]!;
    k--;
  }
  return n;
}

/** The largest number of regions of the set that share one base (1 for disjoint regions). */
export function maxOverlapDepth(index: RegionIndex): number {
  let depth = 1;
  for (const cr of index.byChrom.values()) {
    // Sweep the sorted starts against a min-heap-free count: ends sorted separately.
    const ends = Int32Array.from(cr.ends).sort();
    let j = 0;
    for (let k = 0; k < cr.starts.length; k++) {
      while (j < ends.length && ends[j]! <= cr.starts[k]!) j++;
      depth = Math.max(depth, k - j + 1);
    }
  }
  return depth;
}

/** Region columns from plain records (0-based half-open), e.g. for tests and small inputs. */
export function regionColumnsFromRecords(
  records: readonly { chrom: string; start: number; end: number; name?: string }[],
): RegionColumns {
  const chromNames: string[] = [];
  const ids = new Map<string, number>();
  const chromIds = Int32Array.from(records, (r) => {
    let id = ids.get(r.chrom);
    if (id === undefined) {
      id = chromNames.length;
      ids.set(r.chrom, id);
      chromNames.push(r.chrom);
    }
    return id;
  });
  return {
    chromNames,
    chromIds,
    starts: Int32Array.from(records, (r) => r.start),
    ends: Int32Array.from(records, (r) => r.end),
    names: records.map((r) => r.name ?? `${r.chrom}:${r.start}-${r.end}`),
  };
}
