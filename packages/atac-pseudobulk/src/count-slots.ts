/**
 * The open-addressing hash table layout shared by `SparseAccumulator` and
 * `StreamingAccumulator`: (row, col) → integer count in one interleaved
 * Int32Array, slot s = [row, col, count, unused] at 4s…4s+3 (one cache line
 * per probe); row -1 = empty. Capacity is a power of two; `mask` = capacity − 1.
 *
 * The probe loop (murmur3 fmix32 over row·φ + col, then linear probing) is
 * written out in each class's `add` on purpose: moved into a shared function
 * (`addToSlots(slots, mask, row, col, value)`, or only the hash), 10 M
 * `SparseAccumulator.add` calls took 3.1–3.8 s instead of 2.3–3.0 s (old and
 * new class in one process, alternating, load ~4, Nov 2026), presumably as
 * V8 no longer inlined `add` into the callers' loops.
 */

/** An empty table of `cap` slots (16 bytes each). */
export function makeSlots(cap: number): Int32Array {
  const slots = new Int32Array(cap * 4);
  for (let o = 0; o < slots.length; o += 4) slots[o] = -1;
  return slots;
}
