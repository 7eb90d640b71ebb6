import { dirname, join } from 'node:path';
import { sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { bZscoresFromNGenes, zscoreColumns } from '../src/index.js';
import { scanLines } from '../src/text-lines.js';

async function readMatrixTsv(path: string): Promise<{ names: string[]; rows: number[][] }> {
  const names: string[] = [];
  const rows: number[][] = [];
  await scanLines(path, (l, n) => {
    if (n === 1 || l === '') return;
    const f = l.split('\t');
    names.push(f[0]!);
    rows.push(f.slice(1).map(Number));
  });
  return { names, rows };
}

const pcaTsv = sharedDataFile('multiome', 'xchrom_e18_mouse_brain', 'rna_X_pca.tsv');
describe.skipIf(!pcaTsv)("XChrom's per-PC z-score and b_zscore (E18 mouse brain)", () => {
  const dir = dirname(pcaTsv ?? '');

  it('rna_cell_embedding_zscore32_perpc.tsv = per-PC z-score (ddof 0) of rna_X_pca.tsv, to 1e-4', async () => {
    const pca = await readMatrixTsv(pcaTsv!);
    const ref = await readMatrixTsv(join(dir, 'rna_cell_embedding_zscore32_perpc.tsv'));
    expect(ref.names).toEqual(pca.names);
    const z = zscoreColumns(pca.rows.flat(), 100, 32);
    let maxErr = 0;
    ref.rows.forEach((r, i) =>
      r.forEach((v, j) => (maxErr = Math.max(maxErr, Math.abs(z[i * 32 + j]! - v)))),
    );
    expect(maxErr).toBeLessThan(1e-4);
    // ddof = 1 would be off by a factor √(99/100): the test can tell them apart.
    expect(Math.abs(z[0]! * Math.sqrt(99 / 100) - ref.rows[0]![0]!)).toBeGreaterThan(1e-4);
  });

  it('cells.tsv b_zscore = (log10 n_genes − μ)/σ, μ, σ (ddof 0) over all cells before the split', async () => {
    const cells = await readMatrixTsv(join(dir, 'cells.tsv'));
    const nGenes = cells.rows.map((r) => r[0]!);
    const b = cells.rows.map((r) => r[1]!);
    // The 91 training cells are a subset of the cells XChrom z-scored over, so μ and σ
    // are those of the whole set: recover them from two cells and check all 91.
    const fit = (f: (x: number) => number): number => {
      const [i, j] = [nGenes.indexOf(Math.min(...nGenes)), nGenes.indexOf(Math.max(...nGenes))];
      const sigma = (f(nGenes[j]!) - f(nGenes[i]!)) / (b[j]! - b[i]!);
      const mu = f(nGenes[i]!) - b[i]! * sigma;
      const ours = nGenes.map((n) => (f(n) - mu) / sigma);
      return Math.max(...ours.map((v, k) => Math.abs(v - b[k]!)));
    };
    expect(fit(Math.log10)).toBeLessThan(1e-9);
    expect(fit(Math.log1p)).toBeGreaterThan(1e-3); // not log1p
    expect(fit(Math.sqrt)).toBeGreaterThan(1e-3);
    // The library function with those reference statistics reproduces the column.
    const i = nGenes.indexOf(Math.min(...nGenes));
    const j = nGenes.indexOf(Math.max(...nGenes));
    const std = (Math.log10(nGenes[j]!) - Math.log10(nGenes[i]!)) / (b[j]! - b[i]!);
    const mean = Math.log10(nGenes[i]!) - b[i]! * std;
    const ours = bZscoresFromNGenes(nGenes, { mean, std });
    ours.forEach((v, k) => expect(v).toBeCloseTo(b[k]!, 9));
    expect(mean).toBeCloseTo(3.80756, 4);
    expect(std).toBeCloseTo(0.44298, 4);
  });

  it('without reference statistics b_zscore has mean 0 and population std 1', () => {
    const b = bZscoresFromNGenes([100, 1000, 10000]);
    expect(Array.from(b).map((v) => Number(v.toFixed(12)))).toEqual([
      Number((-Math.sqrt(1.5)).toFixed(12)),
      0,
      Number(Math.sqrt(1.5).toFixed(12)),
    ]);
  });
});
