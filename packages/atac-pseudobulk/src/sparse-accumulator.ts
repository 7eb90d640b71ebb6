import type { SparseMatrix } from '@chromflow/core';

/**
 * An open-addressing hash table from (row, col) to a count, in typed arrays.
 * Memory grows with the number of distinct non-zero entries (the output), not
 * with the number of additions: 16 bytes per slot, load factor at most 1/2.
 */
export class SparseAccumulator {
  private rowKeys: Int32Array;
  private colKeys: Int32Array;
  private vals: Float64Array;
  private mask: number;
  private used = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 1024;
    while (cap < initialCapacity) cap <<= 1;
    this.rowKeys = new Int32Array(cap).fill(-1);
    this.colKeys = new Int32Array(cap);
    this.vals = new Float64Array(cap);
    this.mask = cap - 1;
  }

  /** Number of distinct (row, col) entries. */
  get size(): number {
    return this.used;
  }

  /** Adds `value` to entry (row, col); row and col are non-negative int32. */
  add(row: number, col: number, value: number): void {
    let h = (Math.imul(row, 0x9e3779b1) ^ Math.imul(col + 0x7f4a7c15, 0x85ebca77)) >>> 0;
    h ^= h >>> 15;
    let slot = h & this.mask;
    const rk = this.rowKeys;
    const ck = this.colKeys;
    for (;;) {
      const r = rk[slot]!;
      if (r === -1) {
        rk[slot] = row;
        ck[slot] = col;
        this.vals[slot] = value;
        if (++this.used * 2 > this.mask) this.grow();
        return;
      }
      if (r === row && ck[slot] === col) {
        this.vals[slot]! += value;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const oldR = this.rowKeys;
    const oldC = this.colKeys;
    const oldV = this.vals;
    const cap = oldR.length * 2;
    this.rowKeys = new Int32Array(cap).fill(-1);
    this.colKeys = new Int32Array(cap);
    this.vals = new Float64Array(cap);
    this.mask = cap - 1;
    this.used = 0;
    for (let s = 0; s < oldR.length; s++) {
      if (oldR[s]! !== -1) this.add(oldR[s]!, oldC[s]!, oldV[s]!);
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
    const cap = this.rowKeys.length;
    // Counting sort by column, then a stable counting sort by row.
    const colCounts = new Int32Array(nCols + 1);
    let n = 0;
    for (let s = 0; s < cap; s++) {
      const r = this.rowKeys[s]!;
      if (r === -1) continue;
      const outRow = rowMap ? (rowMap[r] ?? -1) : r;
      if (outRow < 0) continue;
      const v = transform ? transform(this.vals[s]!) : this.vals[s]!;
      if (v === 0) continue;
      colCounts[this.colKeys[s]! + 1]!++;
      n++;
    }
    for (let c = 0; c < nCols; c++) colCounts[c + 1]! += colCounts[c]!;
    const byColRow = new Int32Array(n);
    const byColCol = new Int32Array(n);
    const byColVal = new Float32Array(n);
    for (let s = 0; s < cap; s++) {
      const r = this.rowKeys[s]!;
      if (r === -1) continue;
      const outRow = rowMap ? (rowMap[r] ?? -1) : r;
      if (outRow < 0) continue;
      const v = transform ? transform(this.vals[s]!) : this.vals[s]!;
      if (v === 0) continue;
      const c = this.colKeys[s]!;
      const dst = colCounts[c]!++;
      byColRow[dst] = outRow;
      byColCol[dst] = c;
      byColVal[dst] = v;
    }
    const rowStarts = new Int32Array(nRows + 1);
    for (let k = 0; k < n; k++) rowStarts[byColRow[k]! + 1]!++;
    for (let r = 0; r < nRows; r++) rowStarts[r + 1]! += rowStarts[r]!;
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
