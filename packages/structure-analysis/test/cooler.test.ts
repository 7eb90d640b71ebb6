import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ChromflowError, sharedDataFile } from '@chromflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cooler,
  contactDecay,
  fetchDense,
  fetchSparse,
  fitPowerLaw,
  openCooler,
  parseRegion,
  readCoolerPixels,
} from '../src/index.js';

const hic = ['hic', 'cooler_gm12878_mboi_2000kb_hg19'];
const coolPath = sharedDataFile(...hic, 'hg19.GM12878-MboI.matrix.2000kb.cool');
const cooPath = sharedDataFile(...hic, 'hg19.GM12878-MboI.matrix.2000kb.coo.txt');
const bg2Path = sharedDataFile(...hic, 'hg19.GM12878-MboI.matrix.2000kb.bg2.gz');
const binsPath = sharedDataFile(...hic, 'hg19.bins.2000kb.bed.gz');
const arrowPath = sharedDataFile('atac', 'archr_pbsmall_hg19', 'PBSmall.arrow');

function hasScipy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import numpy, scipy.stats'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn('skipping: python3 with numpy and scipy is not available');
    return false;
  }
}

async function expectError(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  try {
    await p;
    expect.unreachable();
  } catch (e) {
    expect(e).toBeInstanceOf(ChromflowError);
    expect((e as ChromflowError).code).toBe(code);
    expect((e as ChromflowError).format()).toMatch(re);
  }
}

describe.skipIf(!coolPath || !cooPath || !bg2Path || !binsPath)(
  'GM12878 2 Mb cooler vs its text dumps',
  () => {
    let cool: Cooler;
    beforeAll(async () => {
      cool = await openCooler(coolPath!);
    });
    afterAll(() => cool?.close());

    it('pixels equal the .coo.txt triplets exactly, in order', () => {
      const px = readCoolerPixels(cool);
      const lines = readFileSync(cooPath!, 'utf8').trim().split('\n');
      expect(px.count.length).toBe(lines.length);
      lines.forEach((l, k) => {
        const [a, b, c] = l.split('\t').map(Number);
        if (px.bin1[k] !== a || px.bin2[k] !== b || px.count[k] !== c) {
          expect([px.bin1[k], px.bin2[k], px.count[k]]).toEqual([a, b, c]);
        }
      });
    });

    it('bins equal the .bed.gz bin table and pixels equal the .bg2.gz dump', () => {
      const bins = gunzipSync(readFileSync(binsPath!)).toString().trim().split('\n');
      expect(bins.length).toBe(cool.binStarts.length);
      bins.forEach((l, i) => {
        const [chrom, s, e] = l.split('\t');
        expect([cool.chromNames[cool.binChroms[i]!], cool.binStarts[i], cool.binEnds[i]]).toEqual([
          chrom,
          Number(s),
          Number(e),
        ]);
      });
      const px = readCoolerPixels(cool);
      const rows = gunzipSync(readFileSync(bg2Path!)).toString().trim().split('\n');
      expect(rows.length).toBe(px.count.length);
      rows.forEach((l, k) => {
        const f = l.split('\t');
        const i = px.bin1[k]!;
        const j = px.bin2[k]!;
        const ours = [
          cool.chromNames[cool.binChroms[i]!],
          cool.binStarts[i],
          cool.binEnds[i],
          cool.chromNames[cool.binChroms[j]!],
          cool.binStarts[j],
          cool.binEnds[j],
          px.count[k],
        ];
        const theirs = [
          f[0],
          Number(f[1]),
          Number(f[2]),
          f[3],
          Number(f[4]),
          Number(f[5]),
          Number(f[6]),
        ];
        if (ours.some((v, x) => v !== theirs[x])) expect(ours).toEqual(theirs);
      });
    });

    it('a two-range fetch is the symmetric matrix built from the .coo.txt dump', () => {
      const r1 = parseRegion(cool, 'chr2:10,000,000-30,000,000');
      const r2 = parseRegion(cool, 'chr2:20000000-50000000');
      const dense = fetchDense(cool, r1, r2);
      const b1 = 125 + 5; // chr2 starts at bin 125 (chrom_offset); 10 Mb / 2 Mb = 5
      const b2 = 125 + 10;
      const expected = new Float64Array(dense.nRows * dense.nCols);
      for (const l of readFileSync(cooPath!, 'utf8').trim().split('\n')) {
        const [a, b, c] = l.split('\t').map(Number) as [number, number, number];
        for (const [i, j] of a === b
          ? [[a, b]]
          : [
              [a, b],
              [b, a],
            ]) {
          if (i! >= b1 && i! < b1 + dense.nRows && j! >= b2 && j! < b2 + dense.nCols)
            expected[(i! - b1) * dense.nCols + (j! - b2)] = c;
        }
      }
      expect([dense.nRows, dense.nCols]).toEqual([10, 15]);
      expect(Array.from(dense.values)).toEqual(Array.from(expected));
      const sparse = fetchSparse(cool, r1, r2);
      const fromSparse = new Float64Array(dense.values.length);
      for (let k = 0; k < sparse.rows.length; k++)
        fromSparse[sparse.rows[k]! * sparse.nCols + sparse.cols[k]!] = sparse.values[k]!;
      expect(Array.from(fromSparse)).toEqual(Array.from(expected));
    });

    it('a region outside the map is a VALUE error', () => {
      expect(() => fetchDense(cool, { chrom: 'chr21', start: 0, end: 60_000_000 })).toThrow(
        /outside the contact map/,
      );
      expect(() => parseRegion(cool, 'chr99:1-2')).toThrow(ChromflowError);
    });

    it('balancing without weights is a VALUE error', () => {
      expect(() =>
        fetchDense(cool, parseRegion(cool, 'chr1'), undefined, { balance: true }),
      ).toThrow(/no balancing weights/);
    });

    it.skipIf(!hasScipy())(
      'per-chromosome power law equals scipy.stats.linregress on the .coo.txt dump',
      () => {
        const fits = contactDecay(cool, { chroms: ['chr1', 'chr2', 'chr17', 'chrX'] }).map(
          (c) => [c.chrom, fitPowerLaw(c, 2e6, 2e7)] as const,
        );
        const script = `
import numpy as np, gzip, json, sys
from scipy import stats
bins = [l.split('\\t') for l in gzip.open(sys.argv[2], 'rt').read().strip().split('\\n')]
chrom = np.array([b[0] for b in bins]); coo = np.loadtxt(sys.argv[1], dtype=np.int64)
out = {}
for name in ['chr1', 'chr2', 'chr17', 'chrX', 'all']:
    keep = (chrom[coo[:,0]] == chrom[coo[:,1]]) & (np.isin(chrom[coo[:,0]], ['chr1','chr2','chr17','chrX']) if name == 'all' else (chrom[coo[:,0]] == name))
    d = (coo[keep,1] - coo[keep,0]) * 2000000; c = coo[keep,2].astype(float)
    total = np.sum(d == 2000000)
    ds = np.unique(d[(d >= 2e6) & (d <= 2e7)])
    y = np.array([c[d == x].sum() for x in ds]) / total
    r = stats.linregress(np.log(ds + 1e-6), np.log(y + 1e-6))
    out[name] = [-r.slope, r.intercept]
print(json.dumps(out))`;
        const py = JSON.parse(
          execFileSync('python3', ['-c', script, cooPath!, binsPath!]).toString(),
        ) as Record<string, [number, number]>;
        for (const [chrom, fit] of fits) {
          expect(fit.gamma).toBeCloseTo(py[chrom]![0], 10);
          expect(fit.scale).toBeCloseTo(py[chrom]![1], 10);
        }
      },
    );
  },
);

describe('bad cooler input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chromflow-cool-'));
  it('a non-HDF5 file is a PARSE error', async () => {
    const p = join(dir, 'text.cool');
    writeFileSync(p, 'chr1\t0\t100\n');
    await expectError(openCooler(p), 'PARSE', /not HDF5/);
  });
  it('a missing file is an IO error', async () => {
    await expectError(openCooler(join(dir, 'absent.cool')), 'IO', /does not exist/);
  });
  it.skipIf(!coolPath)('a truncated cooler is an IO error', async () => {
    const p = join(dir, 'truncated.cool');
    writeFileSync(p, readFileSync(coolPath!).subarray(0, 50_000));
    await expectError(openCooler(p), 'IO', /truncated/);
  });
  it.skipIf(!arrowPath)(
    'an HDF5 file that is not a cooler (ArchR Arrow file) is a SCHEMA error',
    async () => {
      await expectError(openCooler(arrowPath!), 'SCHEMA', /not a cooler/);
    },
  );
});
