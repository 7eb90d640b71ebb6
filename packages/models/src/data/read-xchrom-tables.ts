import type { Table } from 'apache-arrow';
import {
  ChromflowError,
  readTable,
  requireColumns,
  requireEncoding,
  sparseFromTable,
} from '@chromflow/core';
import { peakIndexFromCellCounts, type XChromData } from './xchrom-data.js';

/** Paths of the upstream tables XChrom trains on. */
export interface XChromTablePaths {
  /** `sequence-codes` (genome-io.peak-windows): row i = region i. */
  sequences: string;
  /** `sparse-coo` counts: rows = cells (cells table order), cols = regions (regions table order). */
  counts: string;
  /** `cells`: `barcode`, row order of the count rows. */
  cells: string;
  /** `regions`: `chrom`, `start`, `end`, `name`, row order of the count columns. */
  regions: string;
  /** `cell-embedding`: `barcode`, `pc1`…`pcK`, `b_zscore`; joined to cells by barcode. */
  embedding: string;
}

function stringColumn(t: Table, name: string): string[] {
  const col = t.getChild(name);
  if (!col) throw new ChromflowError('SCHEMA', `table has no column '${name}'`, { field: name });
  return Array.from({ length: t.numRows }, (_, i) => String(col.get(i)));
}

function numberColumn(t: Table, name: string): Float32Array {
  const col = t.getChild(name);
  if (!col) throw new ChromflowError('SCHEMA', `table has no column '${name}'`, { field: name });
  return Float32Array.from({ length: t.numRows }, (_, i) => Number(col.get(i)));
}

/** Numbered embedding columns `pc1`…`pcK` in order. */
export function embeddingColumnNames(t: Table): string[] {
  return t.schema.fields
    .map((f) => f.name)
    .filter((n) => /^pc\d+$/.test(n))
    .sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
}

/**
 * The RNA embedding and depth covariate of `barcodes`, joined by barcode from
 * a `cell-embedding` table. Throws naming the first cell without an embedding.
 */
export function joinCellEmbedding(
  embedding: Table,
  barcodes: string[],
  path?: string,
): { cellInputs: Float32Array; embeddingDim: number; depth: Float32Array } {
  requireColumns(embedding, ['barcode', 'b_zscore'], path);
  const pcs = embeddingColumnNames(embedding);
  if (pcs.length === 0) {
    throw new ChromflowError('SCHEMA', 'the cell-embedding table has no pc1…pcK columns', {
      path,
      field: 'pc1',
    });
  }
  const rowOf = new Map(stringColumn(embedding, 'barcode').map((b, i) => [b, i]));
  const cols = pcs.map((n) => numberColumn(embedding, n));
  const bz = numberColumn(embedding, 'b_zscore');
  const D = pcs.length;
  const cellInputs = new Float32Array(barcodes.length * D);
  const depth = new Float32Array(barcodes.length);
  barcodes.forEach((b, i) => {
    const r = rowOf.get(b);
    if (r === undefined) {
      throw new ChromflowError('VALUE', `cell ${b} has no row in the cell-embedding table`, {
        path,
        field: 'barcode',
        found: b,
        hint: 'embed the same cells as the count matrix (paired multiome barcodes)',
      });
    }
    for (let d = 0; d < D; d++) cellInputs[i * D + d] = (cols[d] as Float32Array)[r] as number;
    depth[i] = bz[r] as number;
  });
  return { cellInputs, embeddingDim: D, depth };
}

/** Base codes of a `sequence-codes` table, all windows of one length; row i = region i. */
export function codesFromSequenceTable(
  t: Table,
  path?: string,
): { codes: Uint8Array; seqLength: number; names: string[] } {
  requireColumns(t, ['name', 'codes'], path);
  const col = t.getChild('codes');
  const n = t.numRows;
  const first = col?.get(0) as Uint8Array | null | undefined;
  const L = first?.length ?? 0;
  const codes = new Uint8Array(n * L);
  for (let i = 0; i < n; i++) {
    const c = col?.get(i) as Uint8Array | null | undefined;
    if (!c || c.length !== L) {
      throw new ChromflowError('VALUE', 'every sequence window must have the same length', {
        path,
        line: i + 1,
        field: 'codes',
        expected: `${L} bytes`,
        found: `${c?.length ?? 0} bytes`,
      });
    }
    codes.set(c, i * L);
  }
  return { codes, seqLength: L, names: stringColumn(t, 'name') };
}

/** Reads and joins the upstream tables into XChrom's training data. */
export async function readXChromTables(
  p: XChromTablePaths,
): Promise<XChromData & { peakChroms: string[] }> {
  const seqT = await readTable(p.sequences);
  requireEncoding(seqT, 'sequence-codes', p.sequences);
  const countT = await readTable(p.counts);
  requireEncoding(countT, 'sparse-coo', p.counts);
  const cellT = await readTable(p.cells);
  requireEncoding(cellT, 'cells', p.cells);
  const regT = await readTable(p.regions);
  requireEncoding(regT, 'regions', p.regions);
  const embT = await readTable(p.embedding);
  requireEncoding(embT, 'cell-embedding', p.embedding);
  const seq = codesFromSequenceTable(seqT, p.sequences);
  const counts = sparseFromTable(countT, p.counts);
  requireColumns(cellT, ['barcode'], p.cells);
  const barcodes = stringColumn(cellT, 'barcode');
  if (
    counts.nRows !== barcodes.length ||
    counts.nCols !== regT.numRows ||
    seqT.numRows !== regT.numRows
  ) {
    throw new ChromflowError('SCHEMA', 'counts, cells, regions and sequences do not line up', {
      path: p.counts,
      expected: `${barcodes.length} cells × ${regT.numRows} regions with ${regT.numRows} sequences`,
      found: `${counts.nRows} × ${counts.nCols} counts, ${seqT.numRows} sequences`,
    });
  }
  const emb = joinCellEmbedding(embT, barcodes, p.embedding);
  const { peakPtr, cellIndices } = peakIndexFromCellCounts(
    counts.nRows,
    counts.nCols,
    counts.rows,
    counts.cols,
    Float32Array.from(counts.values),
  );
  return {
    nPeaks: regT.numRows,
    nCells: barcodes.length,
    seqLength: seq.seqLength,
    codes: seq.codes,
    peakPtr,
    cellIndices,
    ...emb,
    barcodes,
    peakNames: regT.getChild('name') ? stringColumn(regT, 'name') : seq.names,
    peakChroms: stringColumn(regT, 'chrom'),
  };
}
