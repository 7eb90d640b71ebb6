import { dirname, join } from 'node:path';
import { sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import {
  type GeneAnnotation,
  logCpmFromCounts,
  makeGeneExpressionTable,
  readCellLabels,
  readMatrixMarketTransposed,
  sumCountsByGroup,
} from '../src/index.js';
import { scanLines } from '../src/text-lines.js';
import { findPython, runPythonJson } from './python.js';

const counts = sharedDataFile('scrna', 'archr_seRNA_pbmc_hg19', 'seRNA_counts.mtx.gz');
const py = findPython('scipy', 'numpy');

describe.skipIf(!counts)('pseudobulk expression on ArchR seRNA PBMC (B/M/T)', () => {
  const dir = dirname(counts ?? '');
  const load = async () => {
    const X = await readMatrixMarketTransposed(counts!);
    const labels = await readCellLabels(join(dir, 'seRNA_cells.tsv'), 'CellType');
    const cellIds: string[] = [];
    await scanLines(
      join(dir, 'seRNA_cells.tsv'),
      (l, n) => n > 1 && l !== '' && cellIds.push(l.split('\t')[0]!),
    );
    const genes: string[][] = [];
    await scanLines(
      join(dir, 'seRNA_genes.tsv'),
      (l, n) => n > 1 && l !== '' && genes.push(l.split('\t')),
    );
    return { X, perCell: cellIds.map((c) => labels.get(c)), genes };
  };

  it.skipIf(!py)('log10(1 + CPM) per cell type equals scipy’s sums', async () => {
    const { X, perCell } = await load();
    const pb = sumCountsByGroup(X, perCell);
    expect(pb.groups).toEqual(['B', 'M', 'T']);
    expect(Array.from(pb.nCells)).toEqual([50, 50, 50]);
    const lc = logCpmFromCounts(pb);
    const o = runPythonJson<Record<string, number[]>>(py!, 'pseudobulk_logcpm.py', [
      counts!,
      join(dir, 'seRNA_cells.tsv'),
      'CellType',
    ]);
    pb.groups.forEach((g, gi) =>
      o[g]!.forEach((v, c) => expect(lc[gi * pb.nGenes + c]).toBeCloseTo(v, 10)),
    );
  });

  it('joins genes to a genes table by id (version ignored) and carries TSS and strand', async () => {
    const { X, perCell, genes } = await load();
    const pb = sumCountsByGroup(X, perCell);
    // genes table: the first 100 genes only, ids with a version suffix; TSS 0-based.
    const ann: GeneAnnotation = {
      geneIds: genes.slice(0, 100).map((g) => `${g[1]}.7`),
      geneNames: genes.slice(0, 100).map((g) => g[0]!),
      chroms: genes.slice(0, 100).map((g) => g[2]!),
      strands: genes.slice(0, 100).map((g) => g[5] as '+' | '-'),
      tsses: Int32Array.from(genes.slice(0, 100), (g) =>
        g[5] === '+' ? Number(g[3]) - 1 : Number(g[4]) - 1,
      ),
    };
    const { table, unmatchedGenes } = makeGeneExpressionTable(
      pb,
      logCpmFromCounts(pb),
      genes.map((g) => g[1]!),
      genes.map((g) => g[0]!),
      ann,
    );
    expect(unmatchedGenes).toBe(genes.length - 100);
    expect(table.numRows).toBe(300);
    expect(table.schema.metadata.get('chromflow.encoding-type')).toBe('gene-expression');
    const row = table.get(1)!.toJSON();
    expect(row['group']).toBe('B');
    expect(row['gene_name']).toBe(genes[1]![0]);
    expect(row['tss']).toBe(Number(genes[1]![3]) - 1);
    expect(row['strand']).toBe(genes[1]![5]);
  });
});
