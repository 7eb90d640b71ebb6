import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChromflowError, readTable, sparseFromTable } from '@chromflow/core';
import type { ReportFigure, ReportSection, ReportTable } from '../html-report.js';
import { renderVegaLite } from '../render-svg.js';
import { trainingCurvesSpec } from '../figures/training-curves.js';
import { rocFigureSpec } from '../figures/roc-figure.js';
import { rocCurve, type RocCurve } from '@chromflow/core';
import { numberColumn, stringColumn } from '../table-columns.js';

interface XChromManifest {
  bestEpoch?: number;
  cellsBestEpoch?: number;
  history?: { epoch: number; trainLoss: number; valLoss: number; valCellsLoss?: number }[];
  metrics?: Record<string, Record<string, number>>;
}

export interface XChromSectionInputs {
  checkpoint: string;
  /** Predictions with the weights kept for unseen cells, for the held-out-cells ROC. */
  predictionsCells?: string;
  /** Predictions with the weights kept for unseen peaks, for the held-out-peaks ROC. */
  predictionsPeaks?: string;
  /** Observed counts (cells × regions) and their rows, the labels of the ROC curves. */
  counts?: string;
  cells?: string;
}

const BLOCK_NAMES: Record<string, string> = {
  train: 'training peaks × training cells',
  val: 'validation peaks × training cells',
  valCells: 'training peaks × validation cells',
  testPeaks: 'held-out peaks × training cells',
  testCells: 'training peaks × held-out cells',
  both: 'held-out peaks × held-out cells',
};

async function readJson<T>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    throw new ChromflowError('SCHEMA', 'cannot read the XChrom checkpoint file', {
      path,
      expected: 'JSON written by models.xchrom-train',
      cause: e,
    });
  }
}

/** ROC of the predictions of a block (peaks × cells index lists) against observed counts > 0. */
async function blockRoc(
  predictionsPath: string,
  countsPath: string,
  cellsPath: string,
  peaks: readonly number[],
  cells: readonly number[],
): Promise<RocCurve> {
  const counts = sparseFromTable(await readTable(countsPath), countsPath);
  const barcodes = stringColumn(await readTable(cellsPath), 'barcode') ?? [];
  const observed = new Set<number>();
  for (let k = 0; k < counts.rows.length; k++)
    if ((counts.values[k] as number) > 0)
      observed.add(counts.rows[k]! * counts.nCols + counts.cols[k]!);
  const p = await readTable(predictionsPath);
  const predCells = stringColumn(p, 'cell') ?? [];
  const predRegions = numberColumn(p, 'region', predictionsPath);
  const prob = numberColumn(p, 'probability', predictionsPath);
  const rowOf = new Map(barcodes.map((b, i) => [b, i]));
  const cellSet = new Set(cells);
  const peakSet = new Set(peaks);
  const scores: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < p.numRows; i++) {
    const row = rowOf.get(predCells[i]!);
    const col = predRegions[i]!;
    if (row === undefined || !cellSet.has(row) || !peakSet.has(col)) continue;
    scores.push(prob[i]!);
    labels.push(observed.has(row * counts.nCols + col) ? 1 : 0);
  }
  return rocCurve(scores, labels);
}

/** XChrom: training curves, the metrics of every block, and ROC curves of the held-out blocks. */
export async function xchromSection(x: XChromSectionInputs): Promise<ReportSection> {
  const manifest = await readJson<XChromManifest>(join(x.checkpoint, 'manifest.json'));
  const figures: ReportFigure[] = [];
  const history = manifest.history ?? [];
  const selected: Record<string, number> = {};
  if (manifest.bestEpoch !== undefined)
    selected['weights for unseen peaks'] = manifest.bestEpoch + 1;
  if (manifest.cellsBestEpoch !== undefined)
    selected['weights for unseen cells'] = manifest.cellsBestEpoch + 1;
  figures.push({
    id: 'xchrom-training-curves',
    title: 'XChrom training curves',
    svg: await renderVegaLite(
      trainingCurvesSpec(
        history.map((h) => ({
          epoch: h.epoch + 1,
          losses: {
            training: h.trainLoss,
            'validation peaks': h.valLoss,
            ...(h.valCellsLoss === undefined ? {} : { 'validation cells': h.valCellsLoss }),
          },
        })),
        selected,
      ),
    ),
    caption:
      'Binary cross-entropy per epoch; dashed lines mark the epochs whose weights were kept (for unseen peaks and for unseen cells).',
  });
  const tables: ReportTable[] = [];
  if (manifest.metrics) {
    tables.push({
      title: 'XChrom metrics per block (XChrom’s definitions)',
      columns: ['block', 'peaks × cells', 'AUROC', 'AUPRC', 'per-cell AUROC', 'per-peak AUROC'],
      rows: Object.entries(manifest.metrics).map(([block, m]) => [
        BLOCK_NAMES[block] ?? block,
        `${m['nPeaks']} × ${m['nCells']}`,
        m['auroc'] ?? NaN,
        m['auprc'] ?? NaN,
        m['perCellAuroc'] ?? NaN,
        m['perPeakAuroc'] ?? NaN,
      ]),
    });
  }
  if (x.counts && x.cells && (x.predictionsCells || x.predictionsPeaks)) {
    const split = await readJson<Record<string, number[]>>(join(x.checkpoint, 'split.json'));
    const trainval = [...(split['train_peak'] ?? []), ...(split['val_peak'] ?? [])];
    const curves: { name: string; curve: RocCurve }[] = [];
    if (x.predictionsCells && (split['test_cell'] ?? []).length > 0)
      curves.push({
        name: 'held-out cells',
        curve: await blockRoc(x.predictionsCells, x.counts, x.cells, trainval, split['test_cell']!),
      });
    if (x.predictionsPeaks && (split['test_peak'] ?? []).length > 0)
      curves.push({
        name: 'held-out peaks',
        curve: await blockRoc(
          x.predictionsPeaks,
          x.counts,
          x.cells,
          split['test_peak']!,
          split['trainval_cell'] ?? [],
        ),
      });
    if (curves.length > 0)
      figures.push({
        id: 'xchrom-roc',
        title: 'ROC of held-out blocks',
        svg: await renderVegaLite(rocFigureSpec(curves)),
        caption:
          'Held-out cells: training peaks × cells never trained on (weights selected on validation cells). Held-out peaks: peaks never trained on × training cells (weights selected on validation peaks).',
      });
  }
  return {
    title: 'XChrom',
    paragraphs: [
      `${history.length} epochs trained; weights for unseen peaks from epoch ${selected['weights for unseen peaks'] ?? '—'}, for unseen cells from epoch ${selected['weights for unseen cells'] ?? '—'}.`,
    ],
    figures,
    tables,
  };
}
