import { writeFileAtomic } from '@chromflow/core';
import { writeBed, writeFragments } from '@chromflow/genome-io';
import type { SimDataset } from './dataset.js';
import { formatBatchTruthJson, type BatchTruth } from './batch-effect.js';
import { fragmentRecords, peakRegions } from './write-dataset.js';

/** Where the files of batched cells go. */
export interface BatchCellsPaths {
  peaks: string;
  fragments: string;
  cells: string;
  truth: string;
}

/** The cells table of batched cells: `barcode`, `cell_type`, `batch`. */
export function formatBatchCells(ds: SimDataset, t: BatchTruth): string {
  const rows = ds.cells.map(
    (c, i) => `${c.barcode}\t${c.cellType}\t${t.batches[t.batchOf[i]!]!.name}\n`,
  );
  return `barcode\tcell_type\tbatch\n${rows.join('')}`;
}

/**
 * Writes a batched data set (`plantBatchEffect`): peaks (BED4), the thinned
 * 10x fragments (BGZF + .tbi), the cells with type and batch, and the batch
 * truth; each file atomically.
 */
export async function writeBatchCellsFiles(
  paths: BatchCellsPaths,
  ds: SimDataset,
  t: BatchTruth,
): Promise<void> {
  await writeBed(paths.peaks, peakRegions(ds));
  await writeFragments(paths.fragments, fragmentRecords(ds));
  await writeFileAtomic(paths.cells, formatBatchCells(ds, t));
  await writeFileAtomic(paths.truth, formatBatchTruthJson(ds, t));
}
