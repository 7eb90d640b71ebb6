import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import {
  fetchDense,
  makeClasterWindow,
  openCooler,
  parseRegion,
  rotateContactMap45,
} from '../src/index.js';

const coolPath = sharedDataFile(
  'hic',
  'cooler_gm12878_mboi_2000kb_hg19',
  'hg19.GM12878-MboI.matrix.2000kb.cool',
);

function hasScipy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import scipy.ndimage'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn('skipping: python3 with scipy is not available');
    return false;
  }
}

/**
 * A 2-chromosome, 5-bin cooler with balancing weights (bin 2 masked as NaN),
 * written with h5wasm following the cooler v3 layout.
 */
async function writeWeightedCooler(path: string): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  f.create_attribute('format', 'HDF5::Cooler');
  f.create_attribute('format-version', 3);
  f.create_attribute('bin-size', 100);
  f.create_group('chroms');
  f.create_dataset({ name: 'chroms/name', data: ['c1', 'c2'] });
  f.create_dataset({ name: 'chroms/length', data: Int32Array.from([300, 200]) });
  f.create_group('bins');
  f.create_dataset({ name: 'bins/chrom', data: Int32Array.from([0, 0, 0, 1, 1]) });
  f.create_dataset({ name: 'bins/start', data: Int32Array.from([0, 100, 200, 0, 100]) });
  f.create_dataset({ name: 'bins/end', data: Int32Array.from([100, 200, 300, 100, 200]) });
  f.create_dataset({ name: 'bins/weight', data: Float64Array.from([0.5, 2, NaN, 1, 0.25]) });
  f.create_group('pixels');
  // upper triangle: (0,0)=4 (0,1)=6 (0,2)=8 (1,1)=10 (1,3)=3 (3,4)=12
  f.create_dataset({ name: 'pixels/bin1_id', data: BigInt64Array.from([0n, 0n, 0n, 1n, 1n, 3n]) });
  f.create_dataset({ name: 'pixels/bin2_id', data: BigInt64Array.from([0n, 1n, 2n, 1n, 3n, 4n]) });
  f.create_dataset({ name: 'pixels/count', data: Int32Array.from([4, 6, 8, 10, 3, 12]) });
  f.create_group('indexes');
  f.create_dataset({
    name: 'indexes/bin1_offset',
    data: BigInt64Array.from([0n, 3n, 5n, 5n, 6n, 6n]),
  });
  f.create_dataset({ name: 'indexes/chrom_offset', data: BigInt64Array.from([0n, 3n, 5n]) });
  f.close();
}

describe('balanced fetch (cooler definition: count × weight_i × weight_j)', () => {
  it('fills both triangles and NaNs masked bins', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'chromflow-wcool-')), 'w.cool');
    await writeWeightedCooler(p);
    const cool = await openCooler(p);
    try {
      const d = fetchDense(cool, parseRegion(cool, 'c1'), undefined, { balance: true });
      expect(Array.from(d.values)).toEqual([
        4 * 0.25,
        6 * 1,
        NaN,
        6 * 1,
        10 * 4,
        NaN,
        NaN,
        NaN,
        NaN,
      ]);
      const trans = fetchDense(cool, parseRegion(cool, 'c1'), parseRegion(cool, 'c2'), {
        balance: true,
      });
      expect(Array.from(trans.values)).toEqual([0, 0, 3 * 2 * 1, 0, NaN, NaN]);
      const w = makeClasterWindow(cool, 'c1', 150, { halfWindow: 150, rotate: false });
      // imputation = smallest weight (0.25), as CLASTER passes min(bins.weight)
      expect(Array.from(w.forward)).toEqual(
        [1, 6, 0.25, 6, 40, 0.25, 0.25, 0.25, 0.25].map((v) => Math.fround(Math.log10(v))),
      );
      expect(Array.from(w.reverse)).toEqual(Array.from(w.forward).reverse());
    } finally {
      cool.close();
    }
  });
});

describe.skipIf(!hasScipy())(
  '45° rotation equals scipy.ndimage.rotate(order=1) and CLASTER’s crop',
  () => {
    it('n = 7, 30, 61', () => {
      const sizes = [7, 30, 61];
      const inputs = sizes.map((n) =>
        Array.from({ length: n * n }, (_, k) => -1 - ((k * 7919) % 97) / 10),
      );
      const py = execFileSync('python3', [
        '-c',
        `import numpy as np, json, sys
from scipy.ndimage import rotate
out = []
for m in json.loads(sys.argv[1]):
    n = int(round(len(m) ** 0.5)); m = np.array(m).reshape(n, n)
    r = rotate(m, 45, reshape=False, order=1)
    crop = np.where(r != 0)[1][0]; f = r[crop:-crop, :]; f = f[:int(len(f) / 2)]
    out.append({'shape': list(f.shape), 'v': f.ravel().tolist()})
print(json.dumps(out))`,
        JSON.stringify(inputs),
      ]).toString();
      const expected = JSON.parse(py) as { shape: [number, number]; v: number[] }[];
      sizes.forEach((n, s) => {
        const ours = rotateContactMap45({
          nRows: n,
          nCols: n,
          values: Float64Array.from(inputs[s]!),
        });
        expect([ours.nRows, ours.nCols]).toEqual(expected[s]!.shape);
        expected[s]!.v.forEach((v, k) => expect(ours.values[k]).toBeCloseTo(v, 10));
      });
    });

    it('gives the published 129 × 626 layout for a 626-bin window', () => {
      const n = 626;
      const m = Float64Array.from(
        { length: n * n },
        (_, k) => -2 - Math.log10(1 + Math.abs(Math.floor(k / n) - (k % n))),
      );
      const r = rotateContactMap45({ nRows: n, nCols: n, values: m });
      expect([r.nRows, r.nCols]).toEqual([129, 626]);
    });
  },
);

describe.skipIf(!coolPath)('CLASTER window on the GM12878 2 Mb map', () => {
  it('is log10 of the raw window with zeros imputed, and rejects windows off the chromosome', async () => {
    const cool = await openCooler(coolPath!);
    try {
      const w = makeClasterWindow(cool, 'chr5', 60_000_001, {
        halfWindow: 20_000_000,
        balance: false,
        imputation: 1e-3,
      });
      const raw = fetchDense(cool, { chrom: 'chr5', start: 40_000_001, end: 80_000_001 });
      expect([w.nRows, w.nCols]).toEqual([21, 21]);
      expect(Array.from(w.forward)).toEqual(
        Array.from(raw.values, (v) => Math.fround(Math.log10(v === 0 ? 1e-3 : v))),
      );
      expect(w.rotated!.nCols).toBe(21);
      expect(() => makeClasterWindow(cool, 'chr5', 1_000, { balance: false })).toThrow(
        /outside the contact map/,
      );
    } finally {
      cool.close();
    }
  });
});
