import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  computePca,
  logCpmFromCounts,
  normaliseTotalLog1p,
  readCellLabels,
  readTenxMtx,
  selectColumns,
  selectHvgSeuratV3,
  sumCountsByGroup,
  zscoreColumns,
} from '../src/index.js';

// The simulator's planted truth (test-data/truth.json) is the oracle here.
const root = new URL('../../../test-data/', import.meta.url).pathname;
const present = existsSync(`${root}rna/matrix.mtx.gz`) && existsSync(`${root}truth.json`);
if (!present)
  console.warn('skipping: test-data/rna or truth.json is not there (run the simulator)');

interface Truth {
  markerGenes: Record<string, string[]>;
}

describe.skipIf(!present)('simulated multiome test-data (planted cell types)', () => {
  it('z-scored PCs separate the planted cell types (nearest centroid ≥ 90 %)', async () => {
    const ad = await readTenxMtx(`${root}rna`);
    const labels = await readCellLabels(`${root}cells.tsv`, 'cell_type');
    const hvg = selectHvgSeuratV3(ad.X, Math.min(2000, ad.X.nCols));
    const norm = normaliseTotalLog1p(selectColumns(ad.X, hvg.selected));
    const k = 10;
    const pca = computePca(norm.X, { nComponents: k, seed: 0 });
    const z = zscoreColumns(pca.scores, ad.X.nRows, k);
    const types = ad.obs.index.map((b) => labels.get(b) ?? '');
    const groups = [...new Set(types)];
    const centroids = groups.map((g) => {
      const c = new Float64Array(k);
      let n = 0;
      types.forEach((t, r) => {
        if (t !== g) return;
        n++;
        for (let j = 0; j < k; j++) c[j]! += z[r * k + j]!;
      });
      return c.map((v) => v / n);
    });
    let correct = 0;
    types.forEach((t, r) => {
      let best = -1;
      let bestD = Infinity;
      centroids.forEach((c, gi) => {
        let d = 0;
        for (let j = 0; j < k; j++) d += (z[r * k + j]! - c[j]!) ** 2;
        if (d < bestD) [bestD, best] = [d, gi];
      });
      if (groups[best] === t) correct++;
    });
    expect(correct / types.length).toBeGreaterThanOrEqual(0.9);
  });

  it('pseudobulk log CPM of each planted marker gene is highest in its cell type for most markers', async () => {
    const ad = await readTenxMtx(`${root}rna`);
    const labels = await readCellLabels(`${root}cells.tsv`, 'cell_type');
    const truth = JSON.parse(readFileSync(`${root}truth.json`, 'utf8')) as Truth;
    const pb = sumCountsByGroup(
      ad.X,
      ad.obs.index.map((b) => labels.get(b)),
    );
    const lc = logCpmFromCounts(pb);
    const names = ad.var.columns['gene_name'] as string[];
    let hits = 0;
    let total = 0;
    for (const [type, markers] of Object.entries(truth.markerGenes)) {
      const gi = pb.groups.indexOf(type);
      for (const m of markers) {
        const c = names.indexOf(m);
        if (c < 0 || gi < 0) continue;
        total++;
        const own = lc[gi * pb.nGenes + c]!;
        if (pb.groups.every((_, o) => o === gi || lc[o * pb.nGenes + c]! < own)) hits++;
      }
    }
    expect(total).toBeGreaterThan(10);
    expect(hits / total).toBeGreaterThanOrEqual(0.8);
  });
});
