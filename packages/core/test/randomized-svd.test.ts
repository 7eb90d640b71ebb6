import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ChromflowError,
  type CsrMatrix,
  SPARSE_KERNEL_WASM_BASE64,
  SPARSE_KERNEL_WAT,
  csrTimesDense,
  gramUpper,
  luNormaliseColumns,
  makeRandom,
  makeSparseProducts,
  randomizedSvd,
  svdSmall,
  timesSmall,
  transposeCsr,
} from '../src/index.js';

/** A random sparse matrix (about `density` of the entries non-zero). */
function randomCsr(
  nRows: number,
  nCols: number,
  density: number,
  seed: number,
  groups = 0,
): CsrMatrix {
  const rng = makeRandom(seed);
  const indptr = new Int32Array(nRows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) {
      if (rng.uniform() < density) {
        indices.push(c);
        // With `groups`, rows and columns of the same group (index mod groups) are 6× higher:
        // a block structure with a clear gap after `groups` singular values.
        const boost = groups > 0 && r % groups === c % groups ? 6 : 1;
        values.push((boost * Math.round(rng.uniform() * 64)) / 16);
      }
    }
    indptr[r + 1] = indices.length;
  }
  return {
    nRows,
    nCols,
    indptr,
    indices: Int32Array.from(indices),
    values: Float32Array.from(values),
  };
}

function toDense(a: CsrMatrix): number[][] {
  const d = Array.from({ length: a.nRows }, () => new Array<number>(a.nCols).fill(0));
  for (let r = 0; r < a.nRows; r++) {
    for (let q = a.indptr[r]!; q < a.indptr[r + 1]!; q++) d[r]![a.indices[q]!]! += a.values[q]!;
  }
  return d;
}

const python = ['/usr/bin/python3', 'python3'].find(
  (py) => spawnSync(py, ['-c', 'import numpy, scipy'], { encoding: 'utf8' }).status === 0,
);
if (!python) console.warn('skipping the numpy/scipy oracle tests: no python3 with numpy and scipy');

function runPython<T>(code: string, input: unknown): T {
  const dir = mkdtempSync(join(tmpdir(), 'chromflow-svd-'));
  writeFileSync(join(dir, 'in.json'), JSON.stringify(input));
  const r = spawnSync(python!, ['-c', code, join(dir, 'in.json')], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
}

describe('sparse products', () => {
  it.each([
    [130, 77],
    [40, 20000],
  ])(
    'X·M and Xᵀ·Y, plain and centred, equal the dense products for %i × %i (wasm and JavaScript, threads, float64 and float32: bit for bit)',
    (nRows, nCols) => {
      const a = randomCsr(nRows, nCols, 0.1, 3);
      const l = 13; // not a multiple of 8: exercises the zero-padded panel
      const m = Float64Array.from({ length: a.nCols * l }, (_, i) => Math.sin(i));
      const y = Float64Array.from({ length: a.nRows * l }, (_, i) => Math.cos(i));
      const d = toDense(a);
      const want = new Float64Array(a.nRows * l);
      for (let r = 0; r < a.nRows; r++)
        for (let j = 0; j < l; j++)
          for (let c = 0; c < a.nCols; c++) want[r * l + j]! += d[r]![c]! * m[c * l + j]!;
      const js = makeSparseProducts(a, l, { backend: 'js' });
      expect(js.backend).toBe('js');
      const got = js.times(m, l);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 10);
      const jsT = js.transposeTimes(y, l);
      expect(Array.from(jsT)).toEqual(Array.from(csrTimesDense(transposeCsr(a), y, l)));
      // Centred: (X − 1μᵀ)·m and (X − 1μᵀ)ᵀ·y against the dense centred products.
      const mu = Float64Array.from({ length: a.nCols }, (_, c) => (c % 3 === 0 ? 0 : 1 / (1 + c)));
      const jsC = js.times(m, l, mu);
      const jsTC = js.transposeTimes(y, l, mu);
      let worst = 0;
      for (let r = 0; r < a.nRows; r++)
        for (let j = 0; j < l; j++) {
          let want = 0;
          for (let c = 0; c < a.nCols; c++) want += (d[r]![c]! - mu[c]!) * m[c * l + j]!;
          worst = Math.max(worst, Math.abs(jsC[r * l + j]! - want));
        }
      for (let c = 0; c < a.nCols; c++)
        for (let j = 0; j < l; j++) {
          let want = 0;
          for (let r = 0; r < a.nRows; r++) want += (d[r]![c]! - mu[c]!) * y[r * l + j]!;
          worst = Math.max(worst, Math.abs(jsTC[c * l + j]! - want));
        }
      expect(worst).toBeLessThan(1e-9);
      for (const threads of [1, 3]) {
        const w = makeSparseProducts(a, l, { backend: 'wasm', threads });
        expect(w.backend).toMatch(/^wasm-simd/);
        expect(Array.from(w.times(m, l))).toEqual(Array.from(got));
        expect(Array.from(w.transposeTimes(y, l))).toEqual(Array.from(jsT));
        expect(Array.from(w.times(m, l, mu))).toEqual(Array.from(jsC));
        expect(Array.from(w.transposeTimes(y, l, mu))).toEqual(Array.from(jsTC));
        w.close();
      }
      // float32 arithmetic: near the float64 result, and the same bits from wasm and JavaScript.
      const js32 = makeSparseProducts(a, l, { backend: 'js', precision: 'float32' });
      const got32 = js32.times(m, l);
      for (let i = 0; i < want.length; i++)
        expect(Math.abs(got32[i]! - want[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(want[i]!)));
      expect(Array.from(got32)).not.toEqual(Array.from(got));
      for (const threads of [1, 2]) {
        const w = makeSparseProducts(a, l, { backend: 'wasm', threads, precision: 'float32' });
        expect(w.backend).toMatch(/float32/);
        expect(Array.from(w.times(m, l))).toEqual(Array.from(got32));
        expect(Array.from(w.transposeTimes(y, l))).toEqual(Array.from(js32.transposeTimes(y, l)));
        expect(Array.from(w.times(m, l, mu))).toEqual(Array.from(js32.times(m, l, mu)));
        expect(Array.from(w.transposeTimes(y, l, mu))).toEqual(
          Array.from(js32.transposeTimes(y, l, mu)),
        );
        w.close();
      }
    },
  );

  it.skipIf(!existsSync('../../node_modules/wabt/bin/wat2wasm'))(
    'the embedded wasm is SPARSE_KERNEL_WAT assembled by wabt',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'chromflow-wat-'));
      writeFileSync(join(dir, 'k.wat'), SPARSE_KERNEL_WAT);
      const r = spawnSync(
        '../../node_modules/wabt/bin/wat2wasm',
        ['--enable-threads', join(dir, 'k.wat'), '-o', join(dir, 'k.wasm')],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(dir, 'k.wasm')).toString('base64')).toBe(SPARSE_KERNEL_WASM_BASE64);
    },
  );
});

describe('randomized SVD', () => {
  it('svdSmall gives the singular values of a known 2×3 matrix', () => {
    // B = [[3, 0, 0], [0, 4, 0]] → singular values 4, 3; given as Bt (3 × 2).
    const { s } = svdSmall(Float64Array.from([3, 0, 0, 4, 0, 0]), 3, 2);
    expect(Array.from(s)).toEqual([4, 3]);
  });

  it('rejects a component count outside 1 … min(rows, cols)', () => {
    const a = randomCsr(10, 6, 0.5, 1);
    expect(() => randomizedSvd(a, 0)).toThrow(ChromflowError);
    expect(() => randomizedSvd(a, 7)).toThrow(ChromflowError);
  });

  it.skipIf(!python)(
    'matches numpy.linalg.svd of the centred, scaled dense matrix (values, vectors); backends agree exactly',
    () => {
      const a = randomCsr(300, 120, 0.3, 11, 9);
      const rng = makeRandom(5);
      const means = Float64Array.from({ length: a.nCols }, () => rng.uniform());
      const scales = Float64Array.from({ length: a.nCols }, () => 0.5 + rng.uniform());
      const k = 6;
      const ours = randomizedSvd(a, k, {
        seed: 3,
        columnMeans: means,
        columnScales: scales,
        powerIterations: 12,
      });
      const viaJs = randomizedSvd(a, k, {
        seed: 3,
        columnMeans: means,
        columnScales: scales,
        powerIterations: 12,
        backend: 'js',
      });
      expect(Array.from(viaJs.u)).toEqual(Array.from(ours.u));
      const o = runPython<{ s: number[]; vt: number[][] }>(
        `import json, sys, numpy as np
d = json.load(open(sys.argv[1]))
X = (np.array(d["x"]) - np.array(d["mu"])) * np.array(d["d"])
u, s, vt = np.linalg.svd(X, full_matrices=False)
json.dump({"s": s.tolist(), "vt": vt.tolist()}, sys.stdout)`,
        { x: toDense(a), mu: Array.from(means), d: Array.from(scales) },
      );
      for (let c = 0; c < k; c++) {
        expect(Math.abs(ours.s[c]! / o.s[c]! - 1)).toBeLessThan(1e-6);
        let cos = 0;
        for (let j = 0; j < a.nCols; j++) cos += ours.vt[c * a.nCols + j]! * o.vt[c]![j]!;
        expect(Math.abs(cos)).toBeGreaterThan(1 - 1e-6);
      }
      // svd_flip: the largest-|·| entry of each column of U is positive.
      for (let c = 0; c < k; c++) {
        let best = 0;
        for (let i = 0; i < a.nRows; i++) {
          const v = ours.u[i * k + c]!;
          if (Math.abs(v) > Math.abs(best)) best = v;
        }
        expect(best).toBeGreaterThan(0);
      }
    },
  );

  it('LU renormalisation in the wasm memory gives the JavaScript bits (float64 and float32 layouts, fewer rows than columns, zero and repeated columns, ties)', () => {
    const a = randomCsr(301, 77, 0.1, 4);
    const rng = makeRandom(2);
    for (const precision of ['float64', 'float32'] as const) {
      for (const [rows, l] of [
        [301, 60],
        [77, 60],
        [301, 7],
        [301, 1],
        [40, 60],
        [40, 13],
      ] as const) {
        const y = Float64Array.from({ length: rows * l }, () => rng.normal());
        if (rows === 40) {
          // Rank deficiency: column 3 zero, column 5 a copy of column 1, column 8 integral
          // (ties in the pivot search).
          for (let i = 0; i < rows; i++) {
            y[i * l + 3] = 0;
            y[i * l + 5] = y[i * l + 1]!;
            y[i * l + 8] = Math.round(2 * y[i * l + 8]!);
          }
        }
        const want = y.slice();
        luNormaliseColumns(want, rows, l);
        const w = makeSparseProducts(a, 60, { backend: 'wasm', precision });
        w.luNormalise(y, rows, l);
        w.close();
        expect(Array.from(y)).toEqual(Array.from(want));
      }
    }
  });

  it('power iterations in the wasm memory give the numbers of the JavaScript loop over times, luNormalise and transposeTimes', () => {
    const a = randomCsr(301, 77, 0.1, 4);
    const l = 13;
    const rng = makeRandom(3);
    const z = Float64Array.from({ length: a.nCols * l }, () => rng.normal());
    const mu = Float64Array.from({ length: a.nCols }, (_, c) => (c % 4 === 0 ? 0 : rng.uniform()));
    for (const precision of ['float64', 'float32'] as const) {
      const js = makeSparseProducts(a, l, { backend: 'js', precision });
      for (const [centre, normalise] of [
        [mu, true],
        [undefined, true],
        [mu, false],
      ] as const) {
        let want: Float64Array = z;
        for (let it = 0; it < 3; it++) {
          const y = js.times(want, l, centre);
          if (normalise) luNormaliseColumns(y, a.nRows, l);
          want = js.transposeTimes(y, l, centre);
          if (normalise) luNormaliseColumns(want, a.nCols, l);
        }
        expect(Array.from(js.powerIterations(z, l, 3, centre, normalise))).toEqual(
          Array.from(want),
        );
        for (const threads of [1, 2]) {
          const w = makeSparseProducts(a, l, { backend: 'wasm', threads, precision });
          let products = 0;
          const got = w.powerIterations(z, l, 3, centre, normalise, () => products++);
          w.close();
          expect(products).toBe(6);
          expect(Array.from(got)).toEqual(Array.from(want));
        }
      }
    }
  });

  it('small dense products, Gram matrices and SVDs: the wasm kernels give the JavaScript bits, and both the naive sums (the SVD: B back)', () => {
    const rng = makeRandom(7);
    const w = makeSparseProducts(randomCsr(50, 40, 0.2, 1), 17, { backend: 'wasm' });
    for (const [rows, l, k, ldb] of [
      [37, 13, 13, 13],
      [37, 13, 7, 13],
      [50, 17, 10, 10],
      [5, 17, 1, 3],
      [16, 16, 16, 16],
      [1, 1, 1, 1],
    ] as const) {
      const a = Float64Array.from({ length: rows * l }, () => rng.normal());
      const b = Float64Array.from({ length: l * ldb }, () => rng.normal());
      const js = timesSmall(a, rows, l, b, ldb, k);
      expect(Array.from(w.timesSmall(a, rows, l, b, ldb, k))).toEqual(Array.from(js));
      for (let i = 0; i < rows; i++)
        for (let c = 0; c < k; c++) {
          let want = 0;
          for (let j = 0; j < l; j++) want += a[i * l + j]! * b[j * ldb + c]!;
          expect(js[i * k + c]).toBeCloseTo(want, 12);
        }
      if (rows <= 17) {
        // The small SVD of B (l × rows, given as a): the wasm Jacobi gives the JavaScript
        // bits, and U·diag(s)·Vt rebuilds B.
        const js = svdSmall(a, rows, l);
        const ws = w.svdSmall(a, rows, l);
        expect(Array.from(ws.s)).toEqual(Array.from(js.s));
        expect(Array.from(ws.U)).toEqual(Array.from(js.U));
        expect(Array.from(ws.Vt)).toEqual(Array.from(js.Vt));
        for (let p = 0; p < l; p++)
          for (let i = 0; i < rows; i++) {
            let b = 0;
            for (let c = 0; c < l; c++) b += js.U[p * l + c]! * js.s[c]! * js.Vt[c * rows + i]!;
            expect(b).toBeCloseTo(a[i * l + p]!, 12);
          }
      }
      const g = gramUpper(a, rows, l);
      expect(Array.from(w.gramUpper(a, rows, l))).toEqual(Array.from(g));
      for (let p = 0; p < l; p++)
        for (let q = 0; q < l; q++) {
          let want = 0;
          for (let i = 0; i < rows; i++) want += a[i * l + p]! * a[i * l + q]!;
          expect(g[p * l + q]).toBeCloseTo(q >= p ? want : 0, 12);
        }
    }
    w.close();
  });

  it.skipIf(!python)('LU renormalisation equals scipy.linalg.lu(permute_l=True)', () => {
    const rows = 60;
    const l = 21; // more than one panel of 8 columns
    const rng = makeRandom(9);
    const y = Float64Array.from({ length: rows * l }, () => rng.normal());
    const want = runPython<number[][]>(
      `import json, sys, numpy as np, scipy.linalg as la
d = json.load(open(sys.argv[1]))
pl, _ = la.lu(np.array(d).reshape(${rows}, ${l}), permute_l=True)
json.dump(pl.tolist(), sys.stdout)`,
      Array.from(y),
    );
    luNormaliseColumns(y, rows, l);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < l; j++) expect(y[r * l + j]).toBeCloseTo(want[r]![j]!, 12);
  });
});
