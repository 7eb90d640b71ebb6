/**
 * The one seeded pseudo-random source of chromflow: xoshiro128** (Blackman &
 * Vigna) on 32-bit integers, seeded through splitmix32, so a seed fixes every
 * draw on every platform (only integer ops and `Math.log/cos/sin/sqrt`, which
 * V8 computes with its fdlibm port, identical across CPUs).
 *
 * `@chromflow/simulate`'s `Random` extends it with its distributions (its
 * stream is pinned by the committed test-data, so the seeding, `uniform` and
 * `normal` below must not change a bit); `@chromflow/models` saves `state()`
 * in training checkpoints and resumes with `fromState`.
 */

/**
 * The whole generator state: the four xoshiro128** words, plus the spare
 * Box–Muller normal when one is pending (so a restored generator continues
 * bit-exactly). Plain numbers, so it survives JSON.
 */
export type SeededRandomState =
  [number, number, number, number] | [number, number, number, number, number];

export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /**
   * A generator continuing from `state` (as returned by `state()`, or four
   * raw xoshiro128** words, e.g. from the reference test vectors). Called on
   * a subclass, it returns that subclass.
   */
  static fromState<T extends SeededRandom>(
    this: new (seed: number) => T,
    state: readonly number[],
  ): T {
    if (state.length !== 4 && state.length !== 5) {
      throw new RangeError(`a SeededRandom state has 4 or 5 numbers, not ${state.length}`);
    }
    const r = new this(0);
    r.s0 = state[0]! >>> 0;
    r.s1 = state[1]! >>> 0;
    r.s2 = state[2]! >>> 0;
    r.s3 = state[3]! >>> 0;
    if ((r.s0 | r.s1 | r.s2 | r.s3) === 0) r.s0 = 1;
    r.spareNormal = state[4];
    return r;
  }

  /** The state to save; `fromState(state)` continues the same stream. */
  state(): SeededRandomState {
    return this.spareNormal === undefined
      ? [this.s0, this.s1, this.s2, this.s3]
      : [this.s0, this.s1, this.s2, this.s3, this.spareNormal];
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [lo, hi) (hi exclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo));
  }

  /** A standard normal draw (Box–Muller, the spare kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place (arrays and typed arrays). */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * A seeded source for callers that only need `uniform` and `normal` (the
 * randomized SVD's Gaussian sketch): a `SeededRandom`.
 */
export function makeRandom(seed: number): SeededRandom {
  return new SeededRandom(seed);
}
