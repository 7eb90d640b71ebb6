import type { SparseMatrix } from '@chromflow/core';
import { addToSlots, makeSlots, rowStartsOf } from './count-slots.js';

/**
 * An open-addressing hash table from (row, col) to an integer count, in one
 * interleaved Int32Array. Memory grows with the number of distinct non-zero
 * entries (the output), not with the number of additions: 16 bytes per slot,
 * load factor at most 1/2.
 */
export class SparseAccumulator {
  /** The table (see `count-slots.ts`). */
  private slots: Int32Array;
  private mask: number;
  private used = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 1024;
    while (cap < initialCapacity) cap <<= 1;
    this.slots = makeSlots(cap);
    this.mask = cap - 1;
  }

  /** Number of distinct (row, col) entries. */
  get size(): number {
    return this.used;
  }

  /** Adds the integer `value` to entry (row, col); row and col are non-negative int32. */
  add(row: number, col: number, value: number): void {
    if (addToSlots(this.slots, this.mask, row, col, value) && ++this.used * 2 > this.mask)
      this.grow();
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = makeSlots(cap);
    this.mask = cap - 1;
    this.used = 0;
    for (let o = 0; o < old.length; o += 4) {
      if (old[o]! !== -1) this.add(old[o]!, old[o + 1]!, old[o + 2]!);
    }
  }

  /**
   * The entries as a COO matrix sorted by row then column. `rowMap[r]` gives
   * the output row of accumulated row r (-1 drops it); `transform` maps each
   * value (cap, binarise) and entries that become 0 are dropped.
   */
  toSparse(
    nRows: number,
    nCols: number,
    rowMap?: Int32Array,
    transform?: (v: number) => number,
  ): SparseMatrix {
    const t = this.slots;
    // Counting sort by column, then a stable counting sort by row.
    const colCounts = new Int32Array(nCols + 1);
    let n = 0;
    for (let o = 0; o < t.length; o += 4) {
      const r = t[o]!;
      if (r === -1) continue;
      const outRow = rowMap ? (rowMap[r] ?? -1) : r;
      if (outRow < 0) continue;
      const v = transform ? transform(t[o + 2]!) : t[o + 2]!;
      if (v === 0) continue;
      colCounts[t[o + 1]! + 1]!++;
      n++;
    }
    for (let c = 0; c < nCols; c++) colCounts[c + 1]! += colCounts[c]!;
    const byColRow = new Int32Array(n);
    const byColCol = new Int32Array(n);
    const byColVal = new Float32Array(n);
    for (let o = 0; o < t.length; o += 4) {
      const r = t[o]!;
      if (r === -1) continue;
      const outRow = rowMap ? (rowMap[r] ?? -1) : r;
      if (outRow < 0) continue;
      const v = transform ? transform(t[o + 2]!) : t[o + 2]!;
      if (v === 0) continue;
      const c = t[o + 1]!;
      const dst = colCounts[c]!++;
      byColRow[dst] = outRow;
      byColCol[dst] = c;
      byColVal[dst] = v;
    }
    const rowStarts = rowStartsOf(byColRow, n, nRows);
    const rows = new Int32Array(n);
    const cols = new Int32Array(n);
    const values = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const dst = rowStarts[byColRow[k]!]!++;
      rows[dst] = byColRow[k]!;
      cols[dst] = byColCol[k]!;
      values[dst] = byColVal[k]!;
    }
    return { nRows, nCols, rows, cols, values };
  }
}
