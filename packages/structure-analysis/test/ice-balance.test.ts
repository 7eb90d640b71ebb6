import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChromflowError, sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { fetchDense, iceBalance, iceBalancePixels, openCooler } from '../src/index.js';

const coolPath = sharedDataFile(
  'hic',
  'cooler_gm12878_mboi_2000kb_hg19',
  'hg19.GM12878-MboI.matrix.2000kb.cool',
);

/** Debian's python3 with cooler (python3-cooler), else undefined. */
function coolerPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    try {
      execFileSync(py, ['-c', 'import cooler'], { stdio: 'ignore' });
      return py;
    } catch {
      /* try the next */
    }
  }
  console.warn('skipping: no python3 with cooler (apt python3-cooler)');
  return undefined;
}

const py = coolPath ? coolerPython() : undefined;

/** Balances a temp copy with cooler.balance_cooler(store=True); returns its path. */
function balancedCopy(args: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ice-'));
  const copy = join(dir, 'm.cool');
  copyFileSync(coolPath!, copy);
  execFileSync(py!, [
    '-c',
    `import cooler; c = cooler.Cooler(${JSON.stringify(copy)}); cooler.balance_cooler(c, store=True, ${args})`,
  ]);
  return copy;
}

function expectSameUpToScale(ours: Float64Array, theirs: Float64Array): void {
  expect(ours.length).toBe(theirs.length);
  let ratio = NaN;
  let nanBoth = 0;
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i]!;
    const b = theirs[i]!;
    expect(Number.isNaN(a)).toBe(Number.isNaN(b));
    if (Number.isNaN(a)) {
      nanBoth++;
      continue;
    }
    if (Number.isNaN(ratio)) ratio = a / b;
    expect(Math.abs(a / b / ratio - 1)).toBeLessThan(1e-9);
  }
  expect(nanBoth).toBeGreaterThan(0); // the filters really dropped bins
  expect(nanBoth).toBeLessThan(ours.length);
}

describe.skipIf(!coolPath || !py)('ICE vs cooler.balance_cooler on the GM12878 2 Mb .cool', () => {
  it('genome-wide defaults: same NaN bins, same weights (ratio 1 ± 1e-9), same scale', async () => {
    const copy = balancedCopy('');
    const cool = await openCooler(copy);
    try {
      const theirs = cool.weights!;
      expect(theirs).toBeDefined();
      const r = iceBalance(cool);
      expect(r.converged).toBe(true);
      expectSameUpToScale(r.weights, theirs);
      // rescale_marginals: cooler's weights are the same scale, so compare directly too
      for (let i = 0; i < theirs.length; i++) {
        if (!Number.isNaN(theirs[i]!))
          expect(Math.abs(r.weights[i]! / theirs[i]! - 1)).toBeLessThan(1e-9);
      }
      const scale = JSON.parse(
        execFileSync(py!, [
          '-c',
          `import cooler, json; c = cooler.Cooler(${JSON.stringify(copy)}); print(json.dumps(c.open('r')['bins/weight'].attrs['scale'].item()))`,
        ]).toString(),
      ) as number;
      expect(Math.abs(r.scale[0]! / scale - 1)).toBeLessThan(1e-9);
    } finally {
      cool.close();
    }
  });

  it('cis-only, ignore_diags=3, min_nnz=20, mad_max=3: same weights', async () => {
    const copy = balancedCopy('cis_only=True, ignore_diags=3, min_nnz=20, mad_max=3');
    const cool = await openCooler(copy);
    try {
      const r = iceBalance(cool, {
        cisOnly: true,
        ignoreDiags: 3,
        minNnz: 20,
        madMax: 3,
        allowNoConvergence: true, // cooler warns and stores all the same
      });
      expectSameUpToScale(r.weights, cool.weights!);
      for (let i = 0; i < r.weights.length; i++) {
        if (!Number.isNaN(r.weights[i]!))
          expect(Math.abs(r.weights[i]! / cool.weights![i]! - 1)).toBeLessThan(1e-9);
      }
    } finally {
      cool.close();
    }
  });

  it('balanced rows sum to 1 over the bins kept (hand-derived property of rescaled ICE)', async () => {
    const cool = await openCooler(coolPath!);
    try {
      const r = iceBalance(cool, { ignoreDiags: 0, tol: 1e-10, maxIters: 5000 });
      const px = {
        bin1: new Float64Array(0),
        bin2: new Float64Array(0),
        count: new Float64Array(0),
      };
      expect(() => iceBalancePixels(px, [0, 0], [])).not.toThrow();
      const n = r.weights.length;
      const rows = new Float64Array(n);
      const all = cool.readPixelRange(0, cool.nPixels);
      for (let k = 0; k < all.count.length; k++) {
        const i = all.bin1[k]!;
        const j = all.bin2[k]!;
        const v = all.count[k]! * r.weights[i]! * r.weights[j]!;
        if (Number.isNaN(v)) continue;
        rows[i] = rows[i]! + v; // cooler's marginal counts a diagonal pixel twice (bincount of bin1 + bin2)
        rows[j] = rows[j]! + v;
      }
      // marginals are 1 for every kept bin
      let kept = 0;
      for (let b = 0; b < n; b++) {
        if (Number.isNaN(r.weights[b]!) || rows[b] === 0) continue;
        kept++;
        expect(rows[b]).toBeCloseTo(1, 4);
      }
      expect(kept).toBeGreaterThan(1000);
    } finally {
      cool.close();
    }
  });

  it('a .cool without weights asked for balanced values is a VALUE error naming bins/weight', async () => {
    const cool = await openCooler(coolPath!);
    try {
      expect(cool.weights).toBeUndefined();
      const region = { chrom: 'chr1', start: 0, end: 10_000_000 };
      expect(() => fetchDense(cool, region, undefined, { balance: true })).toThrow(ChromflowError);
      try {
        fetchDense(cool, region, undefined, { balance: true });
      } catch (e) {
        expect((e as ChromflowError).format()).toMatch(/bins\/weight/);
      }
    } finally {
      cool.close();
    }
  });

  it('maxIters too small is an error unless allowed', async () => {
    const cool = await openCooler(coolPath!);
    try {
      expect(() => iceBalance(cool, { maxIters: 2 })).toThrow(/did not converge/);
      expect(iceBalance(cool, { maxIters: 2, allowNoConvergence: true }).converged).toBe(false);
    } finally {
      cool.close();
    }
  });
});
