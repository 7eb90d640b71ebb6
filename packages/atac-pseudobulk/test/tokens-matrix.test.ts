import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedDataFile } from '@chromflow/core';
import {
  FIRST_REGION_TOKEN,
  regionColumnsFromRecords,
  tokenizePeakMatrix,
  universeFromPeakSets,
} from '../src/index.js';

const py = '/usr/bin/python3';
const hasAnndata = spawnSync(py, ['-c', 'import anndata']).status === 0;
if (!hasAnndata)
  console.warn('skipping: /usr/bin/python3 has no anndata (apt-get install python3-anndata)');
const hasBedtools = spawnSync('bedtools', ['--version']).status === 0;
if (!hasBedtools) console.warn('skipping: bedtools is not installed (apt-get install bedtools)');
const h5ad = sharedDataFile('atac', 'geniml_pbmc10k_hg38', 'pbmc_hg38.h5ad');
if (!h5ad) console.warn('skipping: geniml_pbmc10k_hg38/pbmc_hg38.h5ad absent');

const dir = mkdtempSync(join(tmpdir(), 'atac-tokens-matrix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// anndata reads the h5ad (the outside reader): barcodes, var regions, and X's non-zeros.
const DUMP = `
import sys, anndata as ad, scipy.sparse as sp
a = ad.read_h5ad(sys.argv[1])
X = sp.coo_matrix(a.X)
print('\\t'.join(map(str, a.obs['barcode'])))
print('\\t'.join(f"{c}:{s}:{e}" for c, s, e in zip(a.var['chr'], a.var['start'], a.var['end'])))
print('\\t'.join(f"{r}:{c}" for r, c, v in zip(X.row, X.col, X.data) if v != 0))
`;

describe.skipIf(!hasAnndata || !hasBedtools || !h5ad)('cells × peaks matrix → token sets', () => {
  it('geniml PBMC h5ad (20 cells × 1,000 hg38 peaks) on a 2 kb-padded merged universe equals bedtools -u per cell', () => {
    const [obsLine, varLine, nzLine] = execFileSync(py, ['-c', DUMP, h5ad!], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    }).split('\n');
    const barcodes = obsLine!.split('\t');
    const peaks = regionColumnsFromRecords(
      varLine!.split('\t').map((x) => {
        const [chrom, s, e] = x.split(':');
        return { chrom: chrom!, start: Number(s), end: Number(e) };
      }),
    );
    const nz = nzLine!.split('\t').map((x) => x.split(':').map(Number) as [number, number]);
    const matrix = {
      nRows: barcodes.length,
      nCols: peaks.starts.length,
      rows: Int32Array.from(nz, (x) => x[0]),
      cols: Int32Array.from(nz, (x) => x[1]),
      values: new Float32Array(nz.length).fill(1),
    };
    // A universe that is not the peaks themselves: each peak ±2 kb, merged.
    const padded = {
      ...peaks,
      starts: peaks.starts.map((s) => Math.max(0, s - 2000)),
      ends: peaks.ends.map((e) => e + 2000),
    };
    const universe = universeFromPeakSets([padded]);
    const out = tokenizePeakMatrix(
      matrix,
      barcodes,
      peaks,
      { regions: universe },
      {
        contextLength: 8192,
        seed: 0,
        path: h5ad!,
      },
    );
    const uBed = join(dir, 'universe.bed');
    const uLines = Array.from(
      { length: universe.starts.length },
      (_, i) =>
        `${universe.chromNames[universe.chromIds[i]!]}\t${universe.starts[i]}\t${universe.ends[i]}`,
    );
    writeFileSync(uBed, uLines.join('\n') + '\n');
    const idOf = new Map(uLines.map((l, i) => [l, FIRST_REGION_TOKEN + i]));
    expect(universe.starts.length).toBeLessThan(1000);
    let total = 0;
    for (let r = 0; r < barcodes.length; r++) {
      const cellBed = join(dir, 'cell.bed');
      const lines = nz
        .filter((x) => x[0] === r)
        .map(
          ([, c]) =>
            `${peaks.chromNames[peaks.chromIds[c]!]}\t${peaks.starts[c]}\t${peaks.ends[c]}`,
        );
      writeFileSync(cellBed, lines.join('\n') + '\n');
      const want = execFileSync('bedtools', ['intersect', '-u', '-a', uBed, '-b', cellBed], {
        encoding: 'utf8',
      })
        .split('\n')
        .filter((l) => l)
        .map((l) => idOf.get(l)!)
        .sort((a, b) => a - b);
      expect([...out.tokens.subarray(out.offsets[r], out.offsets[r + 1])], barcodes[r]).toEqual(
        want,
      );
      total += want.length;
    }
    expect(total).toBeGreaterThan(0);
  });
});
