import {
  ChromflowError,
  readTable,
  requireEncoding,
  type SparseMatrix,
  sparseFromTable,
} from '@chromflow/core';
import { cellsFromTable } from '../tables.js';

/** The `counts` (sparse-coo) and `cells` inputs of a stage, checked to have one row per cell. */
export async function readCountsAndCells(
  countsPath: string,
  cellsPath: string,
): Promise<{ matrix: SparseMatrix; cells: ReturnType<typeof cellsFromTable> }> {
  const countsTable = await readTable(countsPath);
  requireEncoding(countsTable, 'sparse-coo', countsPath);
  const matrix = sparseFromTable(countsTable, countsPath);
  const cellsTable = await readTable(cellsPath);
  requireEncoding(cellsTable, 'cells', cellsPath);
  const cells = cellsFromTable(cellsTable, cellsPath);
  if (cells.barcodes.length !== matrix.nRows) {
    throw new ChromflowError('SCHEMA', 'the counts do not match the cells table', {
      path: countsPath,
      expected: `${cells.barcodes.length} rows (one per cell of ${cellsPath})`,
      found: `${matrix.nRows}`,
    });
  }
  return { matrix, cells };
}
