import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable, writeTable } from '@chromflow/core';
import { expect, it } from 'vitest';
import {
  bZscoresFromNGenes,
  computePca,
  makeCellEmbeddingTable,
  normaliseTotalLog1p,
  readTenxMtx,
  selectColumns,
  selectHvgSeuratV3,
  zscoreColumns,
} from '../src/index.js';

const rna = new URL('../../../test-data/rna', import.meta.url).pathname;

// The README example, verbatim but for the paths.
it.skipIf(!existsSync(rna))('README example runs and writes a cell-embedding table', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'ce-readme-')), 'cell-embedding.parquet');
  const ad = await readTenxMtx(rna);
  const hvg = selectHvgSeuratV3(ad.X, 2000);
  const norm = normaliseTotalLog1p(selectColumns(ad.X, hvg.selected), { targetSum: 1e4 });
  const pca = computePca(norm.X, { nComponents: 32, seed: 0 });
  const z = zscoreColumns(pca.scores, ad.X.nRows, pca.nComponents);
  await writeTable(
    out,
    makeCellEmbeddingTable(
      ad.obs.index,
      z,
      pca.nComponents,
      norm.nGenes,
      bZscoresFromNGenes(norm.nGenes),
    ),
  );
  const t = await readTable(out);
  expect(t.numRows).toBe(ad.X.nRows);
  expect(t.numCols).toBe(1 + 32 + 2);
});
