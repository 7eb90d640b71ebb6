import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRandom } from '@chromflow/core';
import { afterAll, describe, expect, it } from 'vitest';
import { motifCorrelation, motifInteractionsToTable, topInteractions } from '../src/index.js';
import { findPython, runPythonJson } from './python.js';

const dir = mkdtempSync(join(tmpdir(), 'motif-interactions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('motifCorrelation', () => {
  it('is Pearson of the motif columns: a hand-computed 4 × 3 case, constant column NaN', () => {
    // Columns: a = [1,2,3,4], b = 2a (r = 1), c constant.
    const v = Float64Array.from([1, 2, 5, 2, 4, 5, 3, 6, 5, 4, 8, 5]);
    const r = motifCorrelation(v, 4, 3);
    expect(r[0 * 3 + 1]).toBeCloseTo(1, 12);
    expect(r[1 * 3 + 0]).toBeCloseTo(1, 12);
    for (let k = 0; k < 3; k++) {
      expect(r[2 * 3 + k]).toBeNaN();
      expect(r[k * 3 + 2]).toBeNaN();
    }
    // A negative correlation by hand: x = [1,2,3], y = [3,1,2]: r = -0.5.
    const r2 = motifCorrelation(Float32Array.from([1, 3, 2, 1, 3, 2]), 3, 2);
    expect(r2[1]).toBeCloseTo(-0.5, 12);
  });

  const py = findPython('numpy');
  it.skipIf(!py)('equals numpy corrcoef on 500 genes × 40 motifs (≤ 1e-12)', () => {
    const rng = makeRandom(3);
    const nG = 500;
    const nM = 40;
    const v = new Float64Array(nG * nM);
    for (let g = 0; g < nG; g++) {
      const shared = rng.normal();
      for (let m = 0; m < nM; m++)
        v[g * nM + m] = (m % 3 === 0 ? shared : 0) + rng.normal() * (1 + m / 10);
    }
    for (let g = 0; g < nG; g++) v[g * nM + 7] = 0.25; // a constant column
    const path = join(dir, 'x.f64');
    writeFileSync(path, Buffer.from(v.buffer));
    const want = runPythonJson<(number | null)[]>(py!, 'corrcoef.py', [
      path,
      String(nG),
      String(nM),
    ]);
    const got = motifCorrelation(v, nG, nM);
    for (let k = 0; k < nM * nM; k++) {
      if (want[k] === null) expect(got[k]).toBeNaN();
      else expect(Math.abs(got[k]! - want[k]!)).toBeLessThan(1e-12);
    }
  });

  it('refuses a values array of the wrong length', () => {
    expect(() => motifCorrelation(new Float64Array(5), 2, 3)).toThrow(/nGenes × nMotifs/);
  });
});

describe('topInteractions', () => {
  const names = ['A', 'B', 'C', 'D'];
  // Upper triangle: AB 0.9, AC -0.9 (tie in |r|), AD 0.1, BC NaN, BD -0.5, CD 0.3.
  const c = new Float64Array(16).fill(1);
  const set = (a: number, b: number, r: number) => {
    c[a * 4 + b] = r;
    c[b * 4 + a] = r;
  };
  set(0, 1, 0.9);
  set(0, 2, -0.9);
  set(0, 3, 0.1);
  set(1, 2, NaN);
  set(1, 3, -0.5);
  set(2, 3, 0.3);

  it('ranks the upper triangle by |r|, ties by (a, b), NaN pairs left out', () => {
    const all = topInteractions(c, names, 1);
    expect(all.map((p) => `${p.motifA}${p.motifB}`)).toEqual(['AB', 'AC', 'BD', 'CD', 'AD']);
    expect(all[1]!.r).toBe(-0.9);
  });

  it('keeps ceil(fraction × finite pairs)', () => {
    expect(topInteractions(c, names).length).toBe(1); // ceil(0.05 × 5)
    expect(topInteractions(c, names, 0.5).length).toBe(3);
    expect(() => topInteractions(c, names, 0)).toThrow(/fraction/);
    expect(() => topInteractions(c, names.slice(0, 3))).toThrow(/motif names/);
  });

  it('writes the motif-interactions table', () => {
    const t = motifInteractionsToTable([
      { group: 'B', interactions: topInteractions(c, names, 0.5) },
      { group: 'pooled', interactions: topInteractions(c, names, 0.4) },
    ]);
    expect(t.numRows).toBe(5);
    expect(t.schema.metadata.get('chromflow.encoding-type')).toBe('motif-interactions');
    expect(t.getChild('rank')!.toArray()).toEqual(Int32Array.from([1, 2, 3, 1, 2]));
    expect(t.getChild('abs_r')!.get(1)).toBe(0.9);
    expect(t.getChild('group')!.get(4)).toBe('pooled');
  });
});
