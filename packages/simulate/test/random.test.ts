import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';

describe('Random (xoshiro128**)', () => {
  it('matches the reference outputs of xoshiro128** from state (1, 2, 3, 4)', () => {
    // First outputs of Blackman & Vigna's xoshiro128starstar.c for s = {1, 2, 3, 4},
    // worked by hand from the algorithm: rotl(s1 * 5, 7) * 9.
    const r = Random.fromState([1, 2, 3, 4]);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('gives the same stream for the same seed and a different one for another seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
        const a = new Random(seed);
        const b = new Random(seed);
        const c = new Random((seed + 1) >>> 0);
        const xa = Array.from({ length: 8 }, () => a.nextUint32());
        const xb = Array.from({ length: 8 }, () => b.nextUint32());
        const xc = Array.from({ length: 8 }, () => c.nextUint32());
        expect(xa).toEqual(xb);
        expect(xa).not.toEqual(xc);
      }),
    );
  });

  it('draws with the textbook moments (uniform, normal, Poisson, Gamma, negative binomial)', () => {
    const r = new Random(7);
    const n = 40_000;
    const moments = (draw: () => number): [number, number] => {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const x = draw();
        s += x;
        s2 += x * x;
      }
      return [s / n, s2 / n - (s / n) ** 2];
    };
    const [um, uv] = moments(() => r.uniform());
    expect(um).toBeCloseTo(0.5, 2);
    expect(uv).toBeCloseTo(1 / 12, 2);
    const [nm, nv] = moments(() => r.normal());
    expect(Math.abs(nm)).toBeLessThan(0.02);
    expect(nv).toBeCloseTo(1, 1);
    for (const lambda of [0.3, 4, 60]) {
      const [pm, pv] = moments(() => r.poisson(lambda));
      expect(Math.abs(pm / lambda - 1)).toBeLessThan(0.03);
      expect(Math.abs(pv / lambda - 1)).toBeLessThan(0.06);
    }
    for (const shape of [0.5, 2, 6.7]) {
      const [gm, gv] = moments(() => r.gamma(shape));
      expect(Math.abs(gm / shape - 1)).toBeLessThan(0.03);
      expect(Math.abs(gv / shape - 1)).toBeLessThan(0.08);
    }
    const [bm, bv] = moments(() => r.negativeBinomial(5, 0.2));
    expect(Math.abs(bm / 5 - 1)).toBeLessThan(0.03);
    expect(Math.abs(bv / (5 + 0.2 * 25) - 1)).toBeLessThan(0.08);
  });

  it('keeps int() inside [lo, hi) and weighted() proportional to the weights', () => {
    const r = new Random(3);
    const hits = [0, 0, 0];
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < 30_000; i++) {
      const k = r.int(5, 8);
      lo = Math.min(lo, k);
      hi = Math.max(hi, k);
      hits[r.weighted([1, 2, 7])]!++;
    }
    expect([lo, hi]).toEqual([5, 7]);
    expect(hits[0]! / 30_000).toBeCloseTo(0.1, 1);
    expect(hits[2]! / 30_000).toBeCloseTo(0.7, 1);
  });
});
