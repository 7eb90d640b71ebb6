import { writeFileAtomic } from '@chromflow/core';
import { BarcodeRows, batchLength, type FragmentColumns } from './fragment-batch.js';
import { GrowableInt32 } from './growable.js';

/**
 * Per-base insertion counts of one chromosome as runs: run i covers `lengths[i]`
 * bases with value `values[i]`; the first run starts at 0-based base 0 (ArchR's
 * `Coverage/<chr>/Lengths,Values`, whose index i is 1-based position i+1).
 */
export interface CoverageRuns {
  chrom: string;
  lengths: Int32Array;
  values: Int32Array;
}

/** Insertion coverage of each group, per chromosome. */
export interface GroupCoverage {
  group: string;
  nCells: number;
  chroms: CoverageRuns[];
}

/**
 * Run-length encodes sorted 0-based insertion positions. With `chromSize`, a
 * final zero run reaches it (as ArchR's tracks do); else the runs end after
 * the last insertion.
 */
export function runsFromPositions(
  chrom: string,
  sorted: Int32Array,
  chromSize?: number,
): CoverageRuns {
  const lengths = new GrowableInt32();
  const values = new GrowableInt32();
  let pos = 0;
  let k = 0;
  while (k < sorted.length) {
    const p = sorted[k]!;
    let c = 0;
    while (k < sorted.length && sorted[k] === p) {
      c++;
      k++;
    }
    if (p > pos) {
      lengths.push(p - pos);
      values.push(0);
    }
    const prevV = values.length > 0 ? values.view()[values.length - 1] : undefined;
    if (p === pos && prevV === c && lengths.length > 0) lengths.view()[lengths.length - 1]!++;
    else {
      lengths.push(1);
      values.push(c);
    }
    pos = p + 1;
  }
  if (chromSize !== undefined && chromSize > pos) {
    lengths.push(chromSize - pos);
    values.push(0);
  }
  return { chrom, lengths: lengths.view().slice(), values: values.view().slice() };
}

/**
 * Collects insertions (0-based `start` and `end-1` of each fragment) of the
 * cells of each group. A cell may belong to several groups (ArchR's
 * pseudo-replicates). Memory: 4 bytes per insertion of a grouped cell.
 */
export class CoverageCounter {
  private readonly rows: BarcodeRows;
  private readonly groupsOfRow: number[][];
  private readonly groups: string[];
  private readonly positions = new Map<string, GrowableInt32[]>();
  private readonly nCells: Int32Array;

  /** `membership`: (barcode, group) pairs. */
  constructor(membership: readonly { barcode: string; group: string }[]) {
    const barcodes = [...new Set(membership.map((m) => m.barcode))];
    this.groups = [...new Set(membership.map((m) => m.group))].sort();
    const gi = new Map(this.groups.map((g, i) => [g, i]));
    const bi = new Map(barcodes.map((b, i) => [b, i]));
    this.rows = new BarcodeRows(barcodes);
    this.groupsOfRow = barcodes.map(() => []);
    this.nCells = new Int32Array(this.groups.length);
    for (const m of membership) {
      const g = gi.get(m.group)!;
      const list = this.groupsOfRow[bi.get(m.barcode)!]!;
      if (!list.includes(g)) {
        list.push(g);
        this.nCells[g]!++;
      }
    }
  }

  addBatch(batch: FragmentColumns): void {
    const dicts = batch;
    const idToRow = this.rows.resolve(dicts);
    const n = batchLength(batch);
    for (let i = 0; i < n; i++) {
      const row = idToRow[batch.barcodeIds[i]!]!;
      if (row < 0) continue;
      const chrom = dicts.chromNames[batch.chromIds[i]!]!;
      let perGroup = this.positions.get(chrom);
      if (!perGroup) {
        perGroup = this.groups.map(() => new GrowableInt32());
        this.positions.set(chrom, perGroup);
      }
      for (const g of this.groupsOfRow[row]!) {
        perGroup[g]!.push(batch.starts[i]!);
        perGroup[g]!.push(batch.ends[i]! - 1);
      }
    }
  }

  /** Coverage runs per group; `chromSizes` pads each chromosome with a final zero run. */
  finish(chromSizes?: ReadonlyMap<string, number>): GroupCoverage[] {
    return this.groups.map((group, g) => ({
      group,
      nCells: this.nCells[g]!,
      chroms: [...this.positions.entries()].map(([chrom, perGroup]) =>
        runsFromPositions(chrom, perGroup[g]!.view().slice().sort(), chromSizes?.get(chrom)),
      ),
    }));
  }
}

/**
 * bedGraph text of the non-zero runs (0-based half-open, as bedGraph is), one
 * line per run, adjacent equal runs already merged by the encoding.
 */
export function bedGraphFromCoverage(
  coverage: GroupCoverage,
  trackName?: string,
  scale = 1,
): string {
  const out: string[] = [];
  if (trackName !== undefined) out.push(`track type=bedGraph name="${trackName}"`);
  for (const c of coverage.chroms) {
    let pos = 0;
    for (let i = 0; i < c.lengths.length; i++) {
      const len = c.lengths[i]!;
      const v = c.values[i]!;
      // 6 significant digits for scaled values; counts stay integers.
      const text = scale === 1 ? String(v) : String(Number((v * scale).toPrecision(6)));
      if (v !== 0) out.push(`${c.chrom}\t${pos}\t${pos + len}\t${text}`);
      pos += len;
    }
  }
  return out.join('\n') + (out.length > 0 ? '\n' : '');
}

/** Writes `coverage` as a bedGraph file atomically. */
export async function writeBedGraph(path: string, coverage: GroupCoverage): Promise<void> {
  await writeFileAtomic(path, bedGraphFromCoverage(coverage, coverage.group));
}

/**
 * The factor that turns a group's insertion counts into counts per million of
 * its insertions (CPM), so groups of different sizes and depths compare on one
 * axis: 1e6 / (sum over bases of the coverage). 0 for an empty group.
 */
export function cpmScale(coverage: GroupCoverage): number {
  let total = 0;
  for (const c of coverage.chroms)
    for (let i = 0; i < c.lengths.length; i++) total += c.lengths[i]! * c.values[i]!;
  return total > 0 ? 1e6 / total : 0;
}

/** Writes `coverage` as a CPM-normalised bedGraph (`cpmScale`) atomically. */
export async function writeCpmBedGraph(path: string, coverage: GroupCoverage): Promise<void> {
  await writeFileAtomic(
    path,
    bedGraphFromCoverage(coverage, `${coverage.group} CPM`, cpmScale(coverage)),
  );
}
