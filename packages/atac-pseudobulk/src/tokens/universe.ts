import { ChromflowError } from '@chromflow/core';
import type { RegionColumns } from '../region-index.js';

/**
 * What to do with universe regions that overlap each other by at least one
 * base (0-based half-open, so touching regions `[a, b)` and `[b, c)` do not
 * overlap): `error` (default; the published universes are disjoint), or
 * `allow` (each region stays its own token, and a fragment over both yields both).
 * Two identical regions are always an error: they would be two ids for one token.
 */
export type UniverseOverlaps = 'error' | 'allow';

/**
 * Checks a universe (0-based half-open regions; row i becomes token
 * `SPECIAL_TOKENS.length + i`): no region empty, no two identical, and with
 * `overlaps: 'error'` no two sharing a base. Errors name the file and both
 * records (1-based record numbers, in file order).
 */
export function checkUniverse(
  regions: RegionColumns,
  path: string,
  overlaps: UniverseOverlaps = 'error',
): void {
  const n = regions.starts.length;
  if (n === 0) throw new ChromflowError('EMPTY', 'the universe has no regions', { path });
  const order = Array.from({ length: n }, (_, i) => i);
  const chrom = (i: number): number => regions.chromIds[i]!;
  order.sort(
    (a, b) =>
      chrom(a) - chrom(b) ||
      regions.starts[a]! - regions.starts[b]! ||
      regions.ends[a]! - regions.ends[b]!,
  );
  const label = (i: number): string =>
    `record ${i + 1} (${regions.chromNames[chrom(i)]}:${regions.starts[i]}-${regions.ends[i]})`;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if (regions.ends[i]! <= regions.starts[i]!) {
      throw new ChromflowError('VALUE', `universe ${label(i)} is empty`, {
        path,
        field: 'end',
        expected: 'end > start',
        found: `start ${regions.starts[i]}, end ${regions.ends[i]}`,
      });
    }
    if (k === 0) continue;
    const j = order[k - 1]!;
    if (chrom(i) !== chrom(j)) continue;
    const same = regions.starts[i] === regions.starts[j] && regions.ends[i] === regions.ends[j];
    if (same) {
      throw new ChromflowError('VALUE', 'the universe holds the same region twice', {
        path,
        expected: 'each region once (it is one token)',
        found: `${label(Math.min(i, j))} and ${label(Math.max(i, j))}`,
        hint: 'remove the duplicate line (e.g. sort -u)',
      });
    }
  }
  if (overlaps === 'allow') return;
  // Sorted by start: a region overlaps an earlier one iff it starts before the running max end.
  let maxEnd = -1;
  let maxAt = -1;
  let lastChrom = -1;
  for (const i of order) {
    if (chrom(i) !== lastChrom) {
      lastChrom = chrom(i);
      maxEnd = -1;
    }
    if (regions.starts[i]! < maxEnd) {
      throw new ChromflowError('VALUE', 'universe regions overlap', {
        path,
        expected: 'disjoint regions (half-open: touching is fine)',
        found: `${label(Math.min(i, maxAt))} and ${label(Math.max(i, maxAt))}`,
        hint: 'merge them (bedtools merge), or set overlaps: allow to keep each as its own token',
      });
    }
    if (regions.ends[i]! > maxEnd) {
      maxEnd = regions.ends[i]!;
      maxAt = i;
    }
  }
}

/**
 * A universe built from peak sets (e.g. per-cluster peaks): every region of
 * every set, merged where they overlap or touch (`bedtools merge` with its
 * default `-d 0`, half-open). Chromosomes in order of first appearance over
 * the sets, regions by start.
 */
export function universeFromPeakSets(sets: readonly RegionColumns[]): RegionColumns {
  const chromNames: string[] = [];
  const perChrom = new Map<string, [number, number][]>();
  for (const set of sets) {
    for (let i = 0; i < set.starts.length; i++) {
      const c = set.chromNames[set.chromIds[i]!]!;
      let list = perChrom.get(c);
      if (!list) {
        list = [];
        perChrom.set(c, list);
        chromNames.push(c);
      }
      list.push([set.starts[i]!, set.ends[i]!]);
    }
  }
  const chromIds: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  chromNames.forEach((c, ci) => {
    const list = perChrom.get(c)!.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let [s, e] = list[0]!;
    for (let k = 1; k <= list.length; k++) {
      const next = list[k];
      if (next && next[0] <= e) {
        e = Math.max(e, next[1]);
        continue;
      }
      chromIds.push(ci);
      starts.push(s);
      ends.push(e);
      if (next) [s, e] = next;
    }
  });
  return {
    chromNames,
    chromIds: Int32Array.from(chromIds),
    starts: Int32Array.from(starts),
    ends: Int32Array.from(ends),
  };
}
