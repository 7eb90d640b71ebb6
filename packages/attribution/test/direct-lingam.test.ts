import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRandom } from '@chromflow/core';
import { afterAll, describe, expect, it } from 'vitest';
import { directLingam, lassoLarsBic } from '../src/index.js';
import { findPython, runPythonJson } from './python.js';

const dir = mkdtempSync(join(tmpdir(), 'direct-lingam-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Noise = 'laplace' | 'uniform' | 'gaussian';

/**
 * A random linear SEM: a random causal order, each earlier variable a parent
 * with probability `density`, coefficients ±U(0.5, 1.5), unit-scale noise.
 * Returns samples (n × p row-major), B (B[i·p + j] = effect of j on i) and the order.
 */
function sem(p: number, n: number, seed: number, noise: Noise, density = 0.3) {
  const rng = makeRandom(seed);
  const order = Array.from({ length: p }, (_, i) => i);
  for (let i = p - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const b = new Float64Array(p * p);
  for (let a = 1; a < p; a++)
    for (let c = 0; c < a; c++)
      if (rng.uniform() < density)
        b[order[a]! * p + order[c]!] = (0.5 + rng.uniform()) * (rng.uniform() < 0.5 ? -1 : 1);
  const x = new Float64Array(n * p);
  for (let s = 0; s < n; s++)
    for (const v of order) {
      const u = rng.uniform() - 0.5;
      let e: number;
      if (noise === 'laplace') e = -Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
      else if (noise === 'uniform') e = u * Math.sqrt(12);
      else e = rng.normal();
      for (let j = 0; j < p; j++) e += b[v * p + j]! * x[s * p + j]!;
      x[s * p + v] = e;
    }
  return { x, b, order };
}

/** Edges whose presence differs, the largest coefficient error on true edges, and order violations. */
function compare(b: Float64Array, r: { order: number[]; adjacency: Float64Array }, p: number) {
  let wrongEdges = 0;
  let maxError = 0;
  let orderViolations = 0;
  const position = new Map(r.order.map((v, i) => [v, i]));
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      const t = b[i * p + j]!;
      if ((t !== 0) !== (r.adjacency[i * p + j] !== 0)) wrongEdges++;
      if (t !== 0) {
        maxError = Math.max(maxError, Math.abs(t - r.adjacency[i * p + j]!));
        if (position.get(j)! > position.get(i)!) orderViolations++;
      }
    }
  return { wrongEdges, maxError, orderViolations };
}

describe('directLingam on linear non-Gaussian SEMs', () => {
  for (const [p, n, noise, seeds] of [
    [6, 2000, 'laplace', [1, 2, 3]],
    [6, 2000, 'uniform', [4, 5, 6]],
    [20, 5000, 'laplace', [7]],
    [20, 5000, 'uniform', [8]],
  ] as const) {
    it(`recovers the order and every edge: ${p} variables × ${n} samples, ${noise} noise, seeds ${seeds.join(', ')}`, () => {
      for (const seed of seeds) {
        const { x, b } = sem(p, n, seed, noise);
        const r = directLingam(x, n, p);
        const c = compare(b, r, p);
        expect(c.orderViolations, `seed ${seed}`).toBe(0);
        expect(c.wrongEdges, `seed ${seed}`).toBe(0);
        expect(c.maxError, `seed ${seed}`).toBeLessThan(0.1);
        expect(r.variables).toEqual(Array.from({ length: p }, (_, i) => i));
      }
    }, 120_000);
  }

  it('Gaussian noise is not identifiable: the same 6-variable SEM with normal noise misorders edges', () => {
    // Only the Markov equivalence class is identifiable; DirectLiNGAM's measure has nothing to go on.
    const { x, b } = sem(6, 2000, 1, 'gaussian');
    const c = compare(b, directLingam(x, 2000, 6), 6);
    expect(c.orderViolations).toBeGreaterThan(0);
  });

  it('maxVariables keeps the top-variance columns; constant columns are left out', () => {
    const { x, b } = sem(6, 2000, 2, 'laplace');
    const p = 7; // add a constant column 6
    const x7 = new Float64Array(2000 * p);
    for (let s = 0; s < 2000; s++) {
      for (let v = 0; v < 6; v++) x7[s * p + v] = x[s * 6 + v]!;
      x7[s * p + 6] = 3;
    }
    const all = directLingam(x7, 2000, p);
    expect(all.variables).toEqual([0, 1, 2, 3, 4, 5]);
    expect(all.order).not.toContain(6);
    const variance = Array.from({ length: 6 }, (_, v) => {
      let m = 0;
      let q = 0;
      for (let s = 0; s < 2000; s++) m += x[s * 6 + v]! / 2000;
      for (let s = 0; s < 2000; s++) q += (x[s * 6 + v]! - m) ** 2;
      return q;
    });
    const top = [0, 1, 2, 3, 4, 5]
      .sort((a, c) => variance[c]! - variance[a]!)
      .slice(0, 3)
      .sort((a, c) => a - c);
    const some = directLingam(x7, 2000, p, { maxVariables: 3 });
    expect(some.variables).toEqual(top);
    expect([...some.order].sort()).toEqual(top);
    for (let i = 0; i < p; i++)
      for (let j = 0; j < p; j++)
        if (!top.includes(i) || !top.includes(j)) expect(some.adjacency[i * p + j]).toBe(0);
    expect(b.length).toBe(36);
  });

  it("pruning 'none' gives every predecessor its OLS coefficient", () => {
    const { x } = sem(6, 2000, 3, 'uniform');
    const r = directLingam(x, 2000, 6, { pruning: 'none' });
    let nonZero = 0;
    for (const v of r.adjacency) if (v !== 0) nonZero++;
    expect(nonZero).toBe(15); // 6·5/2
  });

  it('bad input: wrong length, a non-finite value, too few samples, a bad maxVariables', () => {
    expect(() => directLingam(new Float64Array(5), 2, 3)).toThrow(/nSamples × nVars/);
    const x = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i * 7.3));
    x[4] = NaN;
    let error: unknown;
    try {
      directLingam(x, 4, 3);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'VALUE', found: 'NaN at sample 1, variable 1' });
    x[4] = 0.5;
    expect(() => directLingam(x, 3, 4)).toThrow(/too few samples/);
    expect(directLingam(x, 4, 3).order).toHaveLength(3); // n = p + 1 is enough for the last BIC
    expect(() => directLingam(x, 4, 3, { maxVariables: 0 })).toThrow(/maxVariables/);
  });
});

describe("the lingam package's documented output", () => {
  const py = findPython('numpy');
  it.skipIf(!py)(
    'its tutorial data (numpy seed 100): order [3, 0, 2, 1, 4, 5] and the adjacency printed by lingam 1.12.1',
    () => {
      // cdt15/lingam docs/tutorial/lingam.rst (causal_order_) and docs/tutorial/evaluate_model_fit.rst
      // (adjacency_matrix_, lingam 1.12.1, numpy 1.26.4, printed with precision 3).
      const file = join(dir, 'tutorial.f64');
      runPythonJson(py!, 'lingam_tutorial_data.py', [file]);
      const bytes = readFileSync(file);
      const x = new Float64Array(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      );
      expect(x[3]).toBeCloseTo(0.543405, 6); // X.head() row 0, x3
      const r = directLingam(x, 1000, 6);
      expect(r.order).toEqual([3, 0, 2, 1, 4, 5]);
      const printed = [
        [0, 0, 0, 2.994, 0, 0],
        [2.995, 0, 1.993, 0, 0, 0],
        [0, 0, 0, 5.957, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [7.998, 0, -1.005, 0, 0, 0],
        [3.98, 0, 0, 0, 0, 0],
      ];
      const got = Array.from({ length: 6 }, (_, i) =>
        Array.from(r.adjacency.slice(i * 6, i * 6 + 6), (v) => Math.round(v * 1000) / 1000 + 0),
      );
      expect(got).toEqual(printed);
    },
  );
});

describe('lassoLarsBic', () => {
  it("sklearn's LassoLarsIC(criterion='bic') documentation example: coef [0, -1.111]", () => {
    const cols = [Float64Array.from([-2, -1, 0, 1, 2]), Float64Array.from([2, 1, 0, 1, 2])];
    const y = Float64Array.from([-2.2222, -1.1111, 0, -1.1111, -2.2222]);
    const fit = lassoLarsBic(cols, y);
    expect(fit.coef[0]).toBe(0);
    expect(fit.coef[1]).toBeCloseTo(-1.1111, 4);
  });
});

describe('numpy twin (written from the paper and the lingam defaults)', () => {
  const py = findPython('numpy');
  it.skipIf(!py)(
    'LARS-lasso path with a sign-change drop and its BIC knot equal the numpy twin (≤ 1e-9)',
    () => {
      // Correlated regressors (a shared factor); seed 26 gives a path on which a coefficient returns to 0.
      const rng = makeRandom(26);
      const n = 60;
      const p = 5;
      const z = Array.from({ length: n }, () => rng.normal());
      const cols = Array.from({ length: p }, () =>
        Float64Array.from(z, (v) => 0.8 * v + 0.6 * rng.normal()),
      );
      const beta = Array.from({ length: p }, () => rng.normal() * 2);
      const y = Float64Array.from(
        z,
        (_, i) => cols.reduce((s, c, j) => s + beta[j]! * c[i]!, 0) + rng.normal() * 2,
      );
      const fit = lassoLarsBic(cols, y);
      const path = fit.path.coefs;
      const drops = path
        .slice(1)
        .filter((b, k) => b.some((v, j) => v === 0 && Math.abs(path[k]![j]!) > 1e-12));
      expect(drops.length).toBeGreaterThan(0);
      const xy = new Float64Array(n * (p + 1));
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < p; j++) xy[i * (p + 1) + j] = cols[j]![i]!;
        xy[i * (p + 1) + p] = y[i]!;
      }
      const file = join(dir, 'lasso.f64');
      writeFileSync(file, Buffer.from(xy.buffer));
      const want = runPythonJson<{ path: number[][]; best: number }>(py!, 'direct_lingam.py', [
        'lasso',
        file,
        String(n),
        String(p),
      ]);
      expect(fit.best).toBe(want.best);
      expect(path.length).toBe(want.path.length);
      path.forEach((b, k) =>
        b.forEach((v, j) => expect(Math.abs(v - want.path[k]![j]!)).toBeLessThan(1e-9)),
      );
    },
  );

  for (const [p, n, noise, seed] of [
    [6, 2000, 'laplace', 11],
    [12, 3000, 'uniform', 12],
    [8, 1500, 'gaussian', 13],
  ] as const) {
    it.skipIf(!py)(
      `same order and adjacency (≤ 1e-6): ${p} × ${n}, ${noise}`,
      () => {
        const { x } = sem(p, n, seed, noise, 0.4);
        const path = join(dir, `x-${seed}.f64`);
        writeFileSync(path, Buffer.from(x.buffer));
        const want = runPythonJson<{ order: number[]; adjacency: number[]; pruning_by: string }>(
          py!,
          'direct_lingam.py',
          [path, String(n), String(p)],
        );
        const got = directLingam(x, n, p);
        expect(got.order).toEqual(want.order);
        let maxDiff = 0;
        for (let k = 0; k < p * p; k++)
          maxDiff = Math.max(maxDiff, Math.abs(got.adjacency[k]! - want.adjacency[k]!));
        console.info(
          `numpy twin (pruning by ${want.pruning_by}): max |Δ adjacency| ${maxDiff.toExponential(2)}`,
        );
        expect(maxDiff).toBeLessThanOrEqual(1e-6);
      },
      120_000,
    );
  }
});
