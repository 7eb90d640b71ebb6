import { sparseToTable, writeTable, type PortSpec, type SparseMatrix } from '@chromflow/core';
import { labelWarning, type CellLabels } from '../cell-labels.js';
import { requireCellsInFragments } from '../cell-qc.js';
import { selectRows } from '../count-matrix.js';
import { cellsToTable } from '../tables.js';

/** What a streaming counter finished with: rows are the cells. */
export interface CountedCells {
  matrix: SparseMatrix;
  barcodes: string[];
  nFragments: Int32Array;
}

/**
 * The shared tail of the counting stages: checks that every barcode of the
 * cell table had fragments (unless `missingCells` is `keep`), drops cells
 * under `minFragments`, and writes the counts and cells tables. Returns the
 * kept counts.
 */
export async function writeCountedCells(
  counts: CountedCells,
  labels: CellLabels | undefined,
  o: {
    cellsPath: string | undefined;
    minFragments: number;
    missingCells: 'error' | 'keep';
    countsOut: string;
    cellsOut: string;
  },
): Promise<CountedCells & { dropped: number }> {
  if (labels && o.missingCells === 'error') {
    requireCellsInFragments(counts.barcodes, counts.nFragments, o.cellsPath);
  }
  const keep = counts.barcodes.map((_, r) => counts.nFragments[r]! >= o.minFragments);
  const kept: CountedCells = {
    matrix: selectRows(counts.matrix, keep),
    barcodes: counts.barcodes.filter((_, r) => keep[r]),
    nFragments: counts.nFragments.filter((_, r) => keep[r]),
  };
  await writeTable(o.countsOut, sparseToTable(kept.matrix));
  await writeTable(
    o.cellsOut,
    cellsToTable({
      barcodes: kept.barcodes,
      labels: labels?.labels?.filter((_, r) => keep[r]),
      nFragments: kept.nFragments,
    }),
  );
  return { ...kept, dropped: counts.barcodes.length - kept.barcodes.length };
}

/** The log line and warnings of a counting stage about the cells it kept. */
export function describeCountedCells(
  labels: CellLabels | undefined,
  kept: { barcodes: readonly string[]; dropped: number },
  minFragments: number,
): { info?: string; warnings: string[] } {
  const warnings: string[] = [];
  const info =
    kept.dropped > 0
      ? `${kept.dropped} of ${kept.barcodes.length + kept.dropped} cells have fewer than minFragments = ${minFragments} fragments and are not rows of the counts (a QC table of all cells has more rows: wire cell-qc's \`passing\` output as \`cells\`)`
      : undefined;
  if (kept.barcodes.length === 0) warnings.push('no cell is left to count');
  if (labels?.labels) {
    const w = labelWarning(labels.labels, labels.labelColumn);
    if (w) warnings.push(w);
  }
  return { info, warnings };
}

/** The parameters of `writeCountedCells`, as every counting stage declares them. */
export const CELL_FILTER_PARAMS = {
  minFragments: {
    type: 'integer' as const,
    description: 'Keep only cells with at least this many fragments (all chromosomes).',
    default: 1,
    minimum: 0,
  },
  missingCells: {
    type: 'string' as const,
    description:
      'What to do with barcodes of the cell table that have no fragment: error (default) or keep them as empty rows (unless minFragments drops them).',
    enum: ['error', 'keep'],
    default: 'error',
  },
};

/** The `labelColumn` parameter of every stage that reads a cell table's labels. */
export const LABEL_COLUMN_PARAM = {
  labelColumn: {
    type: 'string' as const,
    description:
      "Label column of the cell table (e.g. 'Clusters' in ArchR's cellColData); '' = the first column after barcode.",
    default: '',
  },
};

/** The options of `readCellLabels` for a `labelColumn` parameter ('' = its default). */
export function labelColumnOption(labelColumn: string): { labelColumn?: string } {
  return labelColumn === '' ? {} : { labelColumn };
}

/** The fragments input of every counting stage. */
export const FRAGMENTS_INPUT: PortSpec = {
  kind: 'file',
  type: 'fragments',
  description: '10x fragments.tsv.gz, sorted (tabix order).',
};
