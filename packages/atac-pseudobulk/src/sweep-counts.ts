import type { StreamingAccumulator } from './streaming-accumulator.js';

/**
 * Counts of the regions a sorted sweep is inside, as one dense count vector
 * per open region (a "slot", `rowCapacity` int32 each): an add is one array
 * increment, no hashing. A region opens at its first hit and closes when the
 * sweep's start passes its end (`advance`) or leaves its chromosome
 * (`closeAll`); its non-zero cells then go to the accumulator's finished
 * chunks. Slots are reused, so memory is (regions open at once) × rows.
 *
 * When the input turns out unsorted, `drain` hands the open counts to the
 * accumulator as ordinary adds and every later add goes there too.
 */
export class SweepCounts {
  private dense = new Int32Array(0);
  private rowCapacity = 0;
  private readonly slotOfCol: Int32Array;
  private colOfSlot = new Int32Array(0);
  private touched: Int32Array[] = [];
  private nTouched = new Int32Array(0);
  private readonly free: number[] = [];
  private nSlots = 0;
  /** Smallest end among open regions (no region closes before the sweep reaches it). */
  private minEnd = 0x7fffffff;
  private on = true;

  constructor(
    private readonly acc: StreamingAccumulator,
    /** Exclusive end of each column's region (0-based half-open). */
    private readonly colEnd: Int32Array,
  ) {
    this.slotOfCol = new Int32Array(colEnd.length).fill(-1);
  }

  /** Adds 1 to (row, col). */
  add(row: number, col: number): void {
    if (!this.on) {
      this.acc.add(row, col, 1);
      return;
    }
    let slot = this.slotOfCol[col]!;
    if (slot < 0) slot = this.open(col);
    if (row >= this.rowCapacity) this.growRows(row);
    const o = slot * this.rowCapacity + row;
    if (this.dense[o]!++ === 0) {
      let t = this.touched[slot]!;
      const k = this.nTouched[slot]!;
      if (k === t.length) {
        const grown = new Int32Array(2 * t.length);
        grown.set(t);
        this.touched[slot] = t = grown;
      }
      t[k] = row;
      this.nTouched[slot] = k + 1;
    }
  }

  /** The sweep's fragments now start at `start` or later: closes the regions ending at or before it. */
  advance(start: number): void {
    if (start < this.minEnd) return;
    let minEnd = 0x7fffffff;
    for (let slot = 0; slot < this.nSlots; slot++) {
      const col = this.colOfSlot[slot]!;
      if (col < 0) continue;
      const end = this.colEnd[col]!;
      if (end <= start) this.close(slot, true);
      else if (end < minEnd) minEnd = end;
    }
    this.minEnd = minEnd;
  }

  /** Closes every open region (the sweep left the chromosome, or counting ends). */
  closeAll(): void {
    for (let slot = 0; slot < this.nSlots; slot++) {
      if (this.colOfSlot[slot]! >= 0) this.close(slot, true);
    }
    this.minEnd = 0x7fffffff;
  }

  /** Input order broken: open counts become ordinary adds of the accumulator, as do all later ones. */
  drain(): void {
    if (!this.on) return;
    for (let slot = 0; slot < this.nSlots; slot++) {
      if (this.colOfSlot[slot]! >= 0) this.close(slot, false);
    }
    this.on = false;
  }

  private open(col: number): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.nSlots++;
      const dense = new Int32Array(this.nSlots * this.rowCapacity);
      dense.set(this.dense);
      this.dense = dense;
      const cols = new Int32Array(this.nSlots).fill(-1);
      cols.set(this.colOfSlot);
      this.colOfSlot = cols;
      const n = new Int32Array(this.nSlots);
      n.set(this.nTouched);
      this.nTouched = n;
      this.touched.push(new Int32Array(64));
    }
    this.slotOfCol[col] = slot;
    this.colOfSlot[slot] = col;
    const end = this.colEnd[col]!;
    if (end < this.minEnd) this.minEnd = end;
    return slot;
  }

  private close(slot: number, finished: boolean): void {
    const col = this.colOfSlot[slot]!;
    const rows = this.touched[slot]!;
    const base = slot * this.rowCapacity;
    for (let k = 0, m = this.nTouched[slot]!; k < m; k++) {
      const row = rows[k]!;
      const v = this.dense[base + row]!;
      this.dense[base + row] = 0;
      if (finished) this.acc.addFinished(row, col, v);
      else this.acc.add(row, col, v);
    }
    this.nTouched[slot] = 0;
    this.slotOfCol[col] = -1;
    this.colOfSlot[slot] = -1;
    this.free.push(slot);
  }

  private growRows(row: number): void {
    let cap = Math.max(16, this.rowCapacity);
    while (cap <= row) cap *= 2;
    const dense = new Int32Array(this.nSlots * cap);
    for (let slot = 0; slot < this.nSlots; slot++) {
      dense.set(
        this.dense.subarray(slot * this.rowCapacity, (slot + 1) * this.rowCapacity),
        slot * cap,
      );
    }
    this.dense = dense;
    this.rowCapacity = cap;
  }
}
