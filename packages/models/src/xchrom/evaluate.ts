import {
  gatherCellInputs,
  gatherCodes,
  gatherDepth,
  makeDenseTargets,
  type XChromData,
} from '../data/xchrom-data.js';
import type { XChromSplit } from '../data/xchrom-split.js';
import { computeBlockMetrics, type BlockMetrics } from '@chromflow/compute';
import type { XChromModel } from './model.js';
import {
  computeCellEmbeddings,
  computeLogits,
  computePeakEmbeddings,
  probabilitiesFromLogits,
} from './predict.js';

/** The blocks XChrom reports: which peaks × which cells. */
export type XChromBlock = 'train' | 'val' | 'valCells' | 'testPeaks' | 'testCells' | 'both';

/** Blocks whose cells the model never trained on, scored with the weights selected for unseen cells. */
const UNSEEN_CELL_BLOCKS: ReadonlySet<XChromBlock> = new Set(['valCells', 'testCells']);

/** Peaks × cells of each block; empty blocks are left out. */
export function xchromBlocks(
  split: XChromSplit,
): Partial<Record<XChromBlock, { peaks: Int32Array; cells: Int32Array }>> {
  const trainval = Int32Array.from([...split.trainPeaks, ...split.valPeaks]).sort();
  const all: Record<XChromBlock, { peaks: Int32Array; cells: Int32Array }> = {
    train: { peaks: split.trainPeaks, cells: split.trainCells },
    val: { peaks: split.valPeaks, cells: split.trainCells },
    valCells: { peaks: split.trainPeaks, cells: split.valCells ?? new Int32Array(0) },
    testPeaks: { peaks: split.testPeaks, cells: split.trainCells },
    testCells: { peaks: trainval, cells: split.testCells },
    both: { peaks: split.testPeaks, cells: split.testCells },
  };
  const out: Partial<Record<XChromBlock, { peaks: Int32Array; cells: Int32Array }>> = {};
  for (const [k, v] of Object.entries(all) as [
    XChromBlock,
    { peaks: Int32Array; cells: Int32Array },
  ][]) {
    if (v.peaks.length > 0 && v.cells.length > 0) out[k] = v;
  }
  return out;
}

/** Probabilities [peaks · cells] of a block (row-major peaks × cells). */
export async function predictBlock(
  model: XChromModel,
  data: XChromData,
  peaks: Int32Array,
  cells: Int32Array,
): Promise<Float32Array> {
  const pe = await computePeakEmbeddings(model, gatherCodes(data, peaks));
  const ce = await computeCellEmbeddings(model, gatherCellInputs(data, cells));
  return probabilitiesFromLogits(await computeLogits(model, pe, ce, gatherDepth(data, cells)));
}

/**
 * XChrom's metrics (overall, per-cell, per-peak AUROC/AUPRC) of every
 * non-empty block of the split. `cellModel` (the weights selected on
 * validation cells) scores `valCells` and `testCells`; `model` the rest.
 */
export async function evaluateXChromBlocks(
  model: XChromModel,
  data: XChromData,
  split: XChromSplit,
  cellModel: XChromModel = model,
): Promise<Partial<Record<XChromBlock, BlockMetrics>>> {
  const out: Partial<Record<XChromBlock, BlockMetrics>> = {};
  for (const [name, b] of Object.entries(xchromBlocks(split)) as [
    XChromBlock,
    { peaks: Int32Array; cells: Int32Array },
  ][]) {
    const probs = await predictBlock(
      UNSEEN_CELL_BLOCKS.has(name) ? cellModel : model,
      data,
      b.peaks,
      b.cells,
    );
    out[name] = computeBlockMetrics(
      probs,
      makeDenseTargets(data, b.peaks, b.cells),
      b.peaks.length,
      b.cells.length,
    );
  }
  return out;
}
