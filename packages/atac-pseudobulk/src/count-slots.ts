/**
 * What `SparseAccumulator` and `StreamingAccumulator` share: the
 * open-addressing hash table, (row, col) → integer count in one interleaved
 * Int32Array, slot s = [row, col, count, unused] at 4s…4s+3 (one cache line
 * per probe), row -1 = empty, capacity a power of two, `mask` = capacity − 1;
 * and the last counting sort (by row) of their `toSparse`.
 */

/** An empty table of `cap` slots (16 bytes each). */
export function makeSlots(cap: number): Int32Array {
  const slots = new Int32Array(cap * 4);
  for (let o = 0; o < slots.length; o += 4) slots[o] = -1;
  return slots;
}

/**
 * Adds the integer `value` to entry (row, col) (non-negative int32); returns
 * true when the entry was new (it took an empty slot: the caller counts it
 * and grows the table before it is half full, so the probe always ends).
 */
export function addToSlots(
  slots: Int32Array,
  mask: number,
  row: number,
  col: number,
  value: number,
): boolean {
  // murmur3's fmix32 over row·φ + col: sorted fragments give runs of equal
  // columns, which a weaker mix clustered into long probe chains.
  let h = (Math.imul(row, 0x9e3779b1) + col) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  let slot = h & mask;
  for (;;) {
    const o = slot << 2;
    const r = slots[o]!;
    if (r === -1) {
      slots[o] = row;
      slots[o + 1] = col;
      slots[o + 2] = value;
      return true;
    }
    if (r === row && slots[o + 1] === col) {
      slots[o + 2]! += value;
      return false;
    }
    slot = (slot + 1) & mask;
  }
}

/**
 * The start of each row's entries for the final counting sort by row of both
 * accumulators' `toSparse`: `starts[r]` = number of entries k < n with
 * `rowOf[k] < r` (length nRows + 1; the caller advances `starts[r]` as it places
 * row r's entries).
 */
export function rowStartsOf(rowOf: Int32Array, n: number, nRows: number): Int32Array {
  const starts = new Int32Array(nRows + 1);
  for (let k = 0; k < n; k++) starts[rowOf[k]! + 1]!++;
  for (let r = 0; r < nRows; r++) starts[r + 1]! += starts[r]!;
  return starts;
}
