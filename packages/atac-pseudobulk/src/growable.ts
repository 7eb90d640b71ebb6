/** A Float64 column that grows by doubling; `view()` is the filled part. */
export class GrowableFloat64 {
  private data: Float64Array;
  private n = 0;

  constructor(capacity = 16) {
    this.data = new Float64Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.n;
  }

  /** Makes sure index `i` exists (new entries are 0). */
  ensure(i: number): void {
    if (i >= this.data.length) {
      let cap = this.data.length;
      while (cap <= i) cap *= 2;
      const next = new Float64Array(cap);
      next.set(this.data);
      this.data = next;
    }
    if (i >= this.n) this.n = i + 1;
  }

  add(i: number, v: number): void {
    this.ensure(i);
    this.data[i]! += v;
  }

  get(i: number): number {
    return i < this.n ? this.data[i]! : 0;
  }

  /** The first `length` entries (at least `minLength`, zero-padded). */
  view(minLength = 0): Float64Array {
    if (minLength > 0) this.ensure(minLength - 1);
    return this.data.subarray(0, this.n);
  }
}

/** An Int32 list that grows by doubling. */
export class GrowableInt32 {
  private data: Int32Array;
  private n = 0;

  constructor(capacity = 1024) {
    this.data = new Int32Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.n;
  }

  push(v: number): void {
    if (this.n === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = v;
  }

  /** The filled part (shares memory). */
  view(): Int32Array {
    return this.data.subarray(0, this.n);
  }
}
