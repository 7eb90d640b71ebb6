import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChromflowError, csrFromSparse, type SparseMatrix } from '@chromflow/core';
import {
  RegionCounter,
  SparseAccumulator,
  StreamingAccumulator,
  collectOverlaps,
  makeRegionIndex,
  maxOverlapDepth,
  randomizedSvd,
  regionColumnsFromRecords,
  runsFromPositions,
  scorePseudobulk,
  sumByGroup,
  tfIdf,
} from '../src/index.js';

const batchOf = (rows: [string, number, number, string][]) => {
  const chromNames = [...new Set(rows.map((r) => r[0]))];
  const barcodes = [...new Set(rows.map((r) => r[3]))];
  return {
    chromNames,
    barcodes,
    chromIds: Int32Array.from(rows, (r) => chromNames.indexOf(r[0])),
    starts: Int32Array.from(rows, (r) => r[1]),
    ends: Int32Array.from(rows, (r) => r[2]),
    barcodeIds: Int32Array.from(rows, (r) => barcodes.indexOf(r[3])),
  };
};

describe('region index', () => {
  it('finds exactly the regions a base overlaps (against a linear scan)', () => {
    const region = fc
      .tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 60 }))
      .map(([s, l]) => ({ chrom: 'chr1', start: s, end: s + l }));
    fc.assert(
      fc.property(
        fc.array(region, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 400 }),
        (rs, p) => {
          const index = makeRegionIndex(regionColumnsFromRecords(rs));
          const out = new Int32Array(maxOverlapDepth(index));
          const n = collectOverlaps(index.byChrom.get('chr1')!, p, p + 1, out);
          const want = rs.flatMap((r, i) => (r.start <= p && p < r.end ? [i] : []));
          expect([...out.subarray(0, n)].sort((a, b) => a - b)).toEqual(want);
        },
      ),
    );
  });
});

describe('sparse accumulator', () => {
  it('sums like a Map and sorts by row then column', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 50 }),
            fc.integer({ min: 0, max: 3000 }),
            fc.integer({ min: 1, max: 5 }),
          ),
          { maxLength: 3000 },
        ),
        (adds) => {
          const acc = new SparseAccumulator(16);
          const want = new Map<string, number>();
          for (const [r, c, v] of adds) {
            acc.add(r, c, v);
            want.set(`${r},${c}`, (want.get(`${r},${c}`) ?? 0) + v);
          }
          const m = acc.toSparse(51, 3001);
          expect(m.rows.length).toBe(want.size);
          for (let k = 0; k < m.rows.length; k++) {
            expect(m.values[k]).toBe(want.get(`${m.rows[k]},${m.cols[k]}`));
            if (k > 0)
              expect(m.rows[k - 1]! * 4000 + m.cols[k - 1]!).toBeLessThan(
                m.rows[k]! * 4000 + m.cols[k]!,
              );
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('streaming accumulator', () => {
  // A sweep: the frontier only moves right; columns left of it are reported finished.
  const step = fc.tuple(
    fc.integer({ min: 0, max: 30 }),
    fc.integer({ min: 0, max: 12 }),
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 0, max: 3 }),
  );
  it('sums like a Map and sorts by row then column while finished columns move out (16-slot table)', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 3000, size: 'medium' }),
        fc.boolean(),
        (steps, breakOrder) => {
          let frontier = 0;
          const nCols = 3000 + 13;
          const acc = new StreamingAccumulator(() => {
            const done = new Uint8Array(nCols);
            done.fill(1, 0, frontier);
            return done;
          }, 16);
          const want = new Map<string, number>();
          steps.forEach(([r, dc, v, advance], i) => {
            // breakOrder: half way, add to columns already reported finished (input found unsorted).
            const c = breakOrder && i > steps.length / 2 ? dc : frontier + dc;
            if (breakOrder && i === Math.floor(steps.length / 2) + 1) acc.markUnsorted();
            acc.add(r, c, v);
            want.set(`${r},${c}`, (want.get(`${r},${c}`) ?? 0) + v);
            if (!breakOrder || i < steps.length / 2) frontier += advance;
          });
          const m = acc.toSparse(31, nCols);
          expect(m.rows.length).toBe(want.size);
          for (let k = 0; k < m.rows.length; k++) {
            expect(m.values[k]).toBe(want.get(`${m.rows[k]},${m.cols[k]}`));
            if (k > 0)
              expect(m.rows[k - 1]! * 1e5 + m.cols[k - 1]!).toBeLessThan(
                m.rows[k]! * 1e5 + m.cols[k]!,
              );
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('streaming accumulator, found unsorted before anything moved out', () => {
  // fast-check's counterexample (seed -660700129): markUnsorted came before the first flush, and
  // the flush then still moved "finished" column 0 out, so later adds to it made a second entry.
  it('never trusts "finished" after markUnsorted', () => {
    let frontier = 0;
    const acc = new StreamingAccumulator(() => {
      const done = new Uint8Array(8);
      done.fill(1, 0, frontier);
      return done;
    }, 16);
    for (const [r, c] of [
      [2, 0],
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 0],
      [1, 1],
    ] as const)
      acc.add(r, c, 1);
    frontier = 1;
    acc.add(2, 1, 1);
    acc.markUnsorted();
    for (let i = 0; i < 5; i++) acc.add(0, 0, 1);
    const m = acc.toSparse(3, 8);
    expect(Array.from(m.rows)).toEqual([0, 0, 0, 0, 1, 1, 2, 2]);
    expect(Array.from(m.cols)).toEqual([0, 1, 2, 3, 0, 1, 0, 1]);
    expect(Array.from(m.values)).toEqual([5, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('region counter against a brute-force count', () => {
  const region = fc
    .tuple(
      fc.constantFrom('chr1', 'chr2'),
      fc.integer({ min: 0, max: 2000 }),
      fc.integer({ min: 0, max: 300 }),
    )
    .map(([chrom, start, len]) => ({ chrom, start, end: start + len }));
  const fragment = fc.tuple(
    fc.constantFrom('chr1', 'chr2', 'chrX'),
    fc.integer({ min: 0, max: 2300 }),
    fc.integer({ min: 1, max: 400 }),
    fc.integer({ min: 0, max: 6 }),
  );
  const methods = ['fragment-overlap', 'cellranger-cutsites', 'archr-insertions'] as const;
  it('equals the definition entry by entry, sorted or not, with a 16-slot table', () => {
    fc.assert(
      fc.property(
        fc.array(region, { minLength: 1, maxLength: 60, size: 'medium' }),
        fc.array(fragment, { minLength: 100, maxLength: 800, size: 'max' }),
        fc.constantFrom(...methods),
        fc.boolean(),
        fc.integer({ min: 1, max: 300 }),
        (regions, raw, method, sort, batchSize) => {
          const frags = raw.map(
            ([c, s, l, b]) => [c, s, s + l, `BC${b}`] as [string, number, number, string],
          );
          if (sort) {
            const rank = (c: string) => ['chr2', 'chrX', 'chr1'].indexOf(c);
            frags.sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]);
          }
          const counter = new RegionCounter(regionColumnsFromRecords(regions), {
            method,
            accumulatorSlots: 16,
          });
          // Batches share growing dictionaries, as readFragments' do.
          const chromNames: string[] = [];
          const barcodes: string[] = [];
          const idOf = (xs: string[], x: string) =>
            xs.includes(x) ? xs.indexOf(x) : xs.push(x) - 1;
          for (let i = 0; i < frags.length; i += batchSize) {
            const part = frags.slice(i, i + batchSize);
            counter.addBatch({
              chromNames,
              barcodes,
              chromIds: Int32Array.from(part, (f) => idOf(chromNames, f[0])),
              starts: Int32Array.from(part, (f) => f[1]),
              ends: Int32Array.from(part, (f) => f[2]),
              barcodeIds: Int32Array.from(part, (f) => idOf(barcodes, f[3])),
            });
          }
          if (!frags.some((f) => regions.some((r) => r.chrom === f[0]))) {
            // Nothing on a region chromosome: the counter refuses (chr1 vs 1 naming guard).
            if (frags.length > 0) expect(() => counter.finish()).toThrow(ChromflowError);
            return;
          }
          const { matrix, barcodes: rows } = counter.finish();
          const want = new Map<string, number>();
          for (const [c, s, e, b] of frags) {
            regions.forEach((r, j) => {
              if (r.chrom !== c) return;
              const n =
                method === 'fragment-overlap'
                  ? Number(s < r.end && e > r.start)
                  : Number(r.start <= s && s < r.end) + Number(r.start <= e - 1 && e - 1 < r.end);
              if (n > 0) want.set(`${b},${j}`, (want.get(`${b},${j}`) ?? 0) + n);
            });
          }
          const cap = method === 'archr-insertions' ? 4 : Infinity;
          expect(matrix.values.length).toBe(want.size);
          for (let k = 0; k < matrix.values.length; k++) {
            const key = `${rows[matrix.rows[k]!]},${matrix.cols[k]}`;
            expect(matrix.values[k]).toBe(Math.min(cap, want.get(key)!));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('counting conventions on hand-made fragments', () => {
  // Peak chr1:[100,110) = 1-based [101,110]. Fragment [100,110): insertions at 0-based 100 and 109, both inside.
  // Fragment [90,100): insertions 90, 99 — both outside, but the fragment does not overlap either (end exclusive).
  // Fragment [109,200): insertion 109 inside; 199 outside. Fragment [95,101): 95 out, 100 in.
  const peaks = regionColumnsFromRecords([{ chrom: 'chr1', start: 100, end: 110 }]);
  const batch = batchOf([
    ['chr1', 90, 100, 'a'],
    ['chr1', 95, 101, 'a'],
    ['chr1', 100, 110, 'a'],
    ['chr1', 100, 110, 'a'],
    ['chr1', 100, 110, 'a'],
    ['chr1', 109, 200, 'b'],
  ]);
  const value = (
    method: 'archr-insertions' | 'cellranger-cutsites' | 'fragment-overlap',
    binarise = false,
  ) => {
    const c = new RegionCounter(peaks, { method, binarise });
    c.addBatch(batch);
    const m = c.finish().matrix;
    return [...m.values];
  };
  it('archr-insertions caps at 4', () => expect(value('archr-insertions')).toEqual([4, 1]));
  it('cellranger-cutsites does not cap', () =>
    expect(value('cellranger-cutsites')).toEqual([7, 1]));
  it('fragment-overlap counts fragments', () => expect(value('fragment-overlap')).toEqual([4, 1]));
  it('binarise', () => expect(value('fragment-overlap', true)).toEqual([1, 1]));

  it('throws a located error when no fragment chromosome matches the regions', () => {
    const c = new RegionCounter(regionColumnsFromRecords([{ chrom: '1', start: 0, end: 10 }]), {
      method: 'fragment-overlap',
    });
    c.addBatch(batch);
    expect(() => c.finish()).toThrow(ChromflowError);
    try {
      c.finish();
    } catch (e) {
      const text = (e as ChromflowError).format();
      expect(text).toContain('chr1');
      expect(text).toContain('"chr" prefix');
    }
  });
});

describe('coverage runs', () => {
  it('run-length encodes per-base counts (against a dense array)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }), (ps) => {
        const sorted = Int32Array.from(ps).sort();
        const runs = runsFromPositions('chr1', sorted, 250);
        const dense = new Array<number>(250).fill(0);
        for (const p of ps) dense[p]!++;
        const decoded: number[] = [];
        runs.lengths.forEach((l, i) => {
          for (let k = 0; k < l; k++) decoded.push(runs.values[i]!);
        });
        expect(decoded).toEqual(dense);
        for (let i = 1; i < runs.values.length; i++)
          expect(runs.values[i]).not.toBe(runs.values[i - 1]);
      }),
    );
  });
});

describe('pseudobulk scores', () => {
  it("GET's accessibility: log10(count / total × 1e5 + 1) over its group maximum", () => {
    const m: SparseMatrix = {
      nRows: 3,
      nCols: 2,
      rows: Int32Array.from([0, 1, 1, 2]),
      cols: Int32Array.from([0, 0, 1, 1]),
      values: Float32Array.from([1, 2, 1, 5]),
    };
    const p = sumByGroup(m, ['x', 'x', 'y']);
    expect(p.groups).toEqual(['x', 'y']);
    expect([...p.counts]).toEqual([3, 1, 0, 5]);
    const s = scorePseudobulk(p);
    const a0 = Math.log10((3 / 4) * 1e5 + 1);
    const a1 = Math.log10((1 / 4) * 1e5 + 1);
    expect(s.accessibility[0]).toBeCloseTo(1, 12);
    expect(s.accessibility[1]).toBeCloseTo(a1 / a0, 12);
    expect([...s.accessible]).toEqual([1, 1, 0, 1]);
    expect(s.cpm[1]).toBeCloseTo(250000, 6);
  });
});

describe('TF-IDF and randomized SVD', () => {
  it('TF-IDF is log(1 + x/cellTotal · nCells/regionTotal · 1e4)', () => {
    const m: SparseMatrix = {
      nRows: 2,
      nCols: 2,
      rows: Int32Array.from([0, 0, 1]),
      cols: Int32Array.from([0, 1, 1]),
      values: Float32Array.from([3, 1, 2]),
    };
    const t = tfIdf(m, { binarise: false });
    expect(t.values[0]).toBeCloseTo(Math.log1p((3 / 4) * (2 / 3) * 1e4), 4);
    expect(t.values[2]).toBeCloseTo(Math.log1p((2 / 2) * (2 / 3) * 1e4), 4);
  });

  it('recovers the singular values and vectors of a matrix built from known factors', () => {
    // A = Σ s_i u_i v_iᵀ with orthonormal u (Hadamard columns) and v (unit vectors on disjoint supports).
    const m = 64;
    const n = 40;
    const s = [9, 5, 2];
    const u = (i: number, c: number): number => {
      const bit = [1, 2, 4][c]!;
      return (popcount(i & bit) % 2 === 0 ? 1 : -1) / Math.sqrt(m);
    };
    const v = (j: number, c: number): number => (Math.floor(j / 10) === c ? 1 / Math.sqrt(10) : 0);
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let x = 0;
        for (let c = 0; c < 3; c++) x += s[c]! * u(i, c) * v(j, c);
        if (x !== 0) {
          rows.push(i);
          cols.push(j);
          vals.push(x);
        }
      }
    }
    const a = csrFromSparse({
      nRows: m,
      nCols: n,
      rows: Int32Array.from(rows),
      cols: Int32Array.from(cols),
      values: Float32Array.from(vals),
    });
    const svd = randomizedSvd(a, 3, { seed: 7 });
    for (let c = 0; c < 3; c++) {
      expect(svd.s[c]).toBeCloseTo(s[c]!, 4);
      let dot = 0;
      for (let i = 0; i < m; i++) dot += svd.u[i * 3 + c]! * u(i, c);
      expect(Math.abs(dot)).toBeCloseTo(1, 4);
    }
    expect(() => randomizedSvd(a, 0)).toThrow(ChromflowError);
  });
});

function popcount(x: number): number {
  let c = 0;
  for (let y = x; y; y &= y - 1) c++;
  return c;
}
