import type { SparseMatrix } from '@chromflow/core';
import { addToSlots, makeSlots, rowStartsOf } from './count-slots.js';
import { GrowableInt32 } from './growable.js';
import { SparseAccumulator } from './sparse-accumulator.js';

/** Entries per finished chunk: [row, col, count] × CHUNK in one Int32Array. */
const CHUNK = 1 << 16;

/**
 * A sparse (row, col) → count accumulator for a sweep over sorted fragments,
 * whose memory follows the output: a bounded hash table holds the entries of
 * columns still in reach of the sweep; when it fills, entries of columns the
 * sweep has passed (`finishedColumns()` says which) move to append-only
 * chunks of 12 bytes per entry, and the table is rebuilt with the rest. The
 * table only grows when the live entries alone fill a quarter of it (unsorted
 * input: nothing is ever finished, and this is a plain hash accumulator).
 *
 * `toSparse` sorts the entries by row then column in two counting passes
 * (peak ≈ 20 bytes per entry). An entry added again after its column was
 * moved out (the caller said "finished" wrongly, e.g. input found unsorted
 * later) is merged there, so counts stay exact in every case.
 */
export class StreamingAccumulator {
  private slots: Int32Array;
  private mask: number;
  private used = 0;
  private readonly chunks: Int32Array[] = [];
  private last: Int32Array = new Int32Array(0);
  private lastUsed = CHUNK;
  private moved = 0;
  /**
   * Set by `markUnsorted`: "finished" can no longer be trusted, so nothing
   * more moves out, and entries moved before may be added again.
   */
  private unsorted = false;
  private readonly tableSlots: number;
  /** Runs of finished entries of one column: the column and the index of its first entry. */
  private groupCols = new GrowableInt32();
  private groupStarts = new GrowableInt32();
  private lastGroupCol = -1;
  private runsOff = false;

  /**
   * `finishedColumns`: called when the table is full; returns a flag per
   * column (1 = no later `add` will touch it) or undefined when nothing is
   * known. The table starts small and doubles up to `tableSlots` (16 bytes
   * each) before entries start to move out.
   */
  constructor(
    private readonly finishedColumns: () => Uint8Array | undefined,
    tableSlots = 1 << 16,
  ) {
    let slots = 16;
    while (slots < tableSlots) slots <<= 1;
    this.tableSlots = slots;
    const cap = Math.min(tableSlots, 1 << 12);
    this.slots = makeSlots(cap);
    this.mask = cap - 1;
  }

  /** Distinct entries (live + moved; an entry re-added after a wrong "finished" counts twice). */
  get size(): number {
    return this.used + this.moved;
  }

  /** Marks that columns reported finished may be added to again (input order broken). */
  markUnsorted(): void {
    this.unsorted = true;
  }

  /** Adds the integer `value` to entry (row, col); row and col are non-negative int32. */
  add(row: number, col: number, value: number): void {
    if (addToSlots(this.slots, this.mask, row, col, value) && ++this.used * 2 > this.mask)
      this.makeRoom();
  }

  /**
   * Appends a final (row, col) count straight to the finished chunks (a caller
   * that knows the column is complete, e.g. `SweepCounts`).
   */
  addFinished(row: number, col: number, value: number): void {
    if (col !== this.lastGroupCol && !this.runsOff) {
      this.groupCols.push(col);
      this.groupStarts.push(this.moved);
      this.lastGroupCol = col;
      // Runs of a few entries (hash-table flushes): stop tracking, they would cost 8 bytes an entry.
      if (this.groupCols.length > 1 << 16 && this.groupCols.length * 4 > this.moved) {
        this.runsOff = true;
        this.groupCols = new GrowableInt32();
        this.groupStarts = new GrowableInt32();
      }
    }
    if (this.lastUsed === CHUNK) {
      this.last = new Int32Array(3 * CHUNK);
      this.chunks.push(this.last);
      this.lastUsed = 0;
    }
    const o = 3 * this.lastUsed++;
    this.last[o] = row;
    this.last[o + 1] = col;
    this.last[o + 2] = value;
    this.moved++;
  }

  /** Moves finished entries out; rebuilds the table (twice as big when the live entries still crowd it). */
  private makeRoom(): void {
    const finished =
      this.unsorted || this.mask + 1 < this.tableSlots ? undefined : this.finishedColumns();
    const old = this.slots;
    // Live entries (few on sorted input) set aside as [row, col, count] triples.
    const live = new Int32Array(3 * this.used);
    let nLive = 0;
    for (let o = 0; o < old.length; o += 4) {
      const r = old[o]!;
      if (r === -1) continue;
      if (finished && finished[old[o + 1]!] === 1) this.addFinished(r, old[o + 1]!, old[o + 2]!);
      else {
        live[3 * nLive] = r;
        live[3 * nLive + 1] = old[o + 1]!;
        live[3 * nLive + 2] = old[o + 2]!;
        nLive++;
      }
    }
    let cap = this.mask + 1;
    if (nLive * 4 > cap) {
      cap *= 2;
      this.slots = makeSlots(cap);
      this.mask = cap - 1;
    } else {
      // Same size: clear in place (no new 1 MiB table per flush).
      for (let o = 0; o < old.length; o += 4) old[o] = -1;
    }
    this.used = 0;
    for (let k = 0; k < nLive; k++) this.add(live[3 * k]!, live[3 * k + 1]!, live[3 * k + 2]!);
  }

  /**
   * The entries as a COO matrix sorted by row then column. `transform` maps
   * each value (cap, binarise); entries that become 0 are dropped. The
   * accumulator is emptied.
   */
  toSparse(nRows: number, nCols: number, transform?: (v: number) => number): SparseMatrix {
    // Entries moved out (or appended as finished) may have been added again since.
    if (this.unsorted && this.moved > 0)
      return this.merged().toSparse(nRows, nCols, undefined, transform);
    const t = this.slots;
    for (let o = 0; o < t.length; o += 4)
      if (t[o]! !== -1) this.addFinished(t[o]!, t[o + 1]!, t[o + 2]!);
    this.slots = makeSlots(1024);
    this.mask = 1023;
    this.used = 0;
    const grouped = this.columnRuns(nCols);
    if (grouped) return this.sparseFromRuns(nRows, nCols, grouped, transform);
    this.groupCols = new GrowableInt32();
    this.groupStarts = new GrowableInt32();
    this.lastGroupCol = -1;
    const chunks = this.chunks.splice(0, this.chunks.length);
    const lastUsed = this.lastUsed;
    const fill = (i: number): number => (i === chunks.length - 1 ? lastUsed : CHUNK);
    // Pass 1: entries per column.
    const colStarts = new Int32Array(nCols + 1);
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      for (let e = 0, m = fill(i); e < m; e++) {
        const v = transform ? transform(c[3 * e + 2]!) : c[3 * e + 2]!;
        if (v !== 0) colStarts[c[3 * e + 1]! + 1]!++;
      }
    }
    for (let c = 0; c < nCols; c++) colStarts[c + 1]! += colStarts[c]!;
    const n = colStarts[nCols]!;
    // Pass 2: rows and values by column (chunks released as they are read).
    const byColRow = new Int32Array(n);
    const byColVal = new Float32Array(n);
    const next = colStarts.slice(0, nCols);
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      for (let e = 0, m = fill(i); e < m; e++) {
        const v = transform ? transform(c[3 * e + 2]!) : c[3 * e + 2]!;
        if (v === 0) continue;
        const dst = next[c[3 * e + 1]!]!++;
        byColRow[dst] = c[3 * e]!;
        byColVal[dst] = v;
      }
      chunks[i] = new Int32Array(0);
    }
    this.last = new Int32Array(0);
    this.lastUsed = CHUNK;
    this.moved = 0;
    // Pass 3: stable by row (columns stay ascending inside a row).
    const rowStarts = rowStartsOf(byColRow, n, nRows);
    const rows = new Int32Array(n);
    const cols = new Int32Array(n);
    const values = new Float32Array(n);
    for (let col = 0; col < nCols; col++) {
      for (let k = colStarts[col]!, end = colStarts[col + 1]!; k < end; k++) {
        const r = byColRow[k]!;
        const dst = rowStarts[r]!++;
        rows[dst] = r;
        cols[dst] = col;
        values[dst] = byColVal[k]!;
      }
    }
    return { nRows, nCols, rows, cols, values };
  }

  /**
   * The run of each column (-1: none) when every column's finished entries
   * form one run (what `SweepCounts` produces: a closed region's cells at
   * once); undefined otherwise.
   */
  private columnRuns(nCols: number): Int32Array | undefined {
    if (this.runsOff) return undefined;
    const cols = this.groupCols.view();
    const runOfCol = new Int32Array(nCols).fill(-1);
    for (let g = 0; g < cols.length; g++) {
      if (runOfCol[cols[g]!]! >= 0) return undefined;
      runOfCol[cols[g]!] = g;
    }
    return runOfCol;
  }

  /**
   * `toSparse` when each column is one run: a counting sort by row that reads
   * the runs in column order, so no by-column copy is made (peak: the chunks
   * and the result, 24 bytes per entry).
   */
  private sparseFromRuns(
    nRows: number,
    nCols: number,
    runOfCol: Int32Array,
    transform?: (v: number) => number,
  ): SparseMatrix {
    const chunks = this.chunks.splice(0, this.chunks.length);
    const total = this.moved;
    const starts = this.groupStarts.view();
    const nRuns = starts.length;
    const rowStarts = new Int32Array(nRows + 1);
    for (let e = 0; e < total; e++) {
      const c = chunks[e >>> 16]!;
      const o = 3 * (e & (CHUNK - 1));
      const v = transform ? transform(c[o + 2]!) : c[o + 2]!;
      if (v !== 0) rowStarts[c[o]! + 1]!++;
    }
    for (let r = 0; r < nRows; r++) rowStarts[r + 1]! += rowStarts[r]!;
    const n = rowStarts[nRows]!;
    const rows = new Int32Array(n);
    const cols = new Int32Array(n);
    const values = new Float32Array(n);
    for (let col = 0; col < nCols; col++) {
      const g = runOfCol[col]!;
      if (g < 0) continue;
      const end = g + 1 < nRuns ? starts[g + 1]! : total;
      for (let e = starts[g]!; e < end; e++) {
        const c = chunks[e >>> 16]!;
        const o = 3 * (e & (CHUNK - 1));
        const v = transform ? transform(c[o + 2]!) : c[o + 2]!;
        if (v === 0) continue;
        const row = c[o]!;
        const dst = rowStarts[row]!++;
        rows[dst] = row;
        cols[dst] = col;
        values[dst] = v;
      }
    }
    this.last = new Int32Array(0);
    this.lastUsed = CHUNK;
    this.moved = 0;
    this.groupCols = new GrowableInt32();
    this.groupStarts = new GrowableInt32();
    this.lastGroupCol = -1;
    return { nRows, nCols, rows, cols, values };
  }

  /** All entries summed in one plain hash accumulator (the rare repeated-entry case). */
  private merged(): SparseAccumulator {
    const acc = new SparseAccumulator(Math.max(1024, this.size));
    const t = this.slots;
    for (let o = 0; o < t.length; o += 4) if (t[o]! !== -1) acc.add(t[o]!, t[o + 1]!, t[o + 2]!);
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      const m = i === this.chunks.length - 1 ? this.lastUsed : CHUNK;
      for (let e = 0; e < m; e++) acc.add(c[3 * e]!, c[3 * e + 1]!, c[3 * e + 2]!);
    }
    return acc;
  }
}
