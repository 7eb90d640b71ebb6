import { defineStage, readTable, writeTable } from '@chromflow/core';
import { genesFromTable, readBed, regionsFromTable } from '@chromflow/genome-io';
import { labelWarning, readCellLabels, writeCellTableSubset } from '../cell-labels.js';
import {
  CellQcCounter,
  makeTssRegions,
  qcFailures,
  QC_FAILURE_REASONS,
  requireCellsInFragments,
  type TssRegions,
} from '../cell-qc.js';
import { scanFragments } from '../scan-fragments.js';
import { cellsToTable, QC_THRESHOLDS_KEY } from '../tables.js';
import { LABEL_COLUMN_PARAM, labelColumnOption } from './write-counted-cells.js';

export type CellQcParams = {
  minFragments: number;
  minTssEnrichment: number;
  minFrip: number;
  maxNucleosomeSignal: number;
  missingCells: 'error' | 'keep';
  labelColumn: string;
};

async function tssFromInputs(
  genesPath: string | undefined,
  tssPath: string | undefined,
): Promise<TssRegions | undefined> {
  if (genesPath) {
    const genes = genesFromTable(await readTable(genesPath), genesPath);
    return makeTssRegions(genes.chroms, genes.tsses);
  }
  if (tssPath) {
    const bed = await readBed(tssPath);
    // Each record's start is the 0-based TSS base (ArchR's TSS BED: end = 1-based TSS).
    return makeTssRegions(
      Array.from(bed.chromIds, (c) => bed.chromNames[c]!),
      bed.starts,
    );
  }
  return undefined;
}

/** Fragments (+ TSSs, peaks, a cell table) → per-cell QC and a pass/fail call. */
export const cellQcStage = defineStage<CellQcParams>({
  name: 'atac-pseudobulk.cell-qc',
  version: '3',
  description:
    'Per-cell fragments, ArchR TSS enrichment, FRiP and nucleosome ratio in one streaming pass; cells passing the thresholds are written as a cell table that counting stages take as their `cells`.',
  params: {
    type: 'object',
    properties: {
      minFragments: {
        type: 'integer',
        description: 'pass_qc needs at least this many fragments.',
        default: 1,
        minimum: 0,
      },
      minTssEnrichment: {
        type: 'number',
        description: 'pass_qc needs at least this TSS enrichment (0 = off; ArchR default 4).',
        default: 0,
        minimum: 0,
      },
      minFrip: {
        type: 'number',
        description: 'pass_qc needs at least this FRiP (0 = off).',
        default: 0,
        minimum: 0,
        maximum: 1,
      },
      maxNucleosomeSignal: {
        type: 'number',
        description: 'pass_qc needs at most this nucleosome ratio (0 = off).',
        default: 0,
        minimum: 0,
      },
      missingCells: {
        type: 'string',
        description:
          'Barcodes of the cell table without fragments: error (default) or keep (they fail QC).',
        enum: ['error', 'keep'],
        default: 'error',
      },
      ...LABEL_COLUMN_PARAM,
    },
    additionalProperties: false,
  },
  inputs: {
    fragments: { kind: 'file', type: 'fragments', description: '10x fragments.tsv.gz, sorted.' },
    genes: {
      kind: 'table',
      type: 'genes',
      description: 'Genes with a 0-based `tss` column (for TSS enrichment).',
      optional: true,
    },
    tss: {
      kind: 'file',
      type: 'bed',
      description: 'TSS BED (start = 0-based TSS base); used when `genes` is absent.',
      optional: true,
    },
    peaks: { kind: 'table', type: 'regions', description: 'Peaks for FRiP.', optional: true },
    cells: {
      kind: 'file',
      type: 'cell-labels',
      description: 'Cell table (acts as a whitelist and gives labels).',
      optional: true,
    },
  },
  outputs: {
    cells: {
      kind: 'table',
      type: 'cells',
      description:
        'barcode, label, n_fragments, tss_enrichment, frip, nucleosome_signal, pass_qc, qc_fail (why a cell failed) and the raw counts behind them.',
    },
    passing: {
      kind: 'file',
      type: 'cell-labels',
      extension: '.tsv',
      description:
        'The cells passing QC: the lines of the `cells` input (header and every column kept; byte-identical when all pass), or `barcode` lines without it. Wire it to a counting stage’s `cells`.',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const tss = await tssFromInputs(ctx.inputs['genes'], ctx.inputs['tss']);
    const peaksPath = ctx.inputs['peaks'];
    const peaks = peaksPath ? regionsFromTable(await readTable(peaksPath), peaksPath) : undefined;
    const cellsPath = ctx.inputs['cells'];
    const p = ctx.params;
    const labels = cellsPath
      ? await readCellLabels(cellsPath, labelColumnOption(p.labelColumn))
      : undefined;
    const counter = new CellQcCounter({ tss, peaks }, labels?.barcodes);
    const read = await scanFragments(ctx.inputs['fragments']!, [counter], {
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    });
    const qc = counter.finish();
    if (labels && p.missingCells === 'error') {
      requireCellsInFragments(qc.barcodes, qc.nFragments, cellsPath);
    }
    const thresholds = {
      minFragments: p.minFragments,
      minTssEnrichment: tss && p.minTssEnrichment > 0 ? p.minTssEnrichment : undefined,
      minFrip: peaks && p.minFrip > 0 ? p.minFrip : undefined,
      maxNucleosomeSignal: p.maxNucleosomeSignal > 0 ? p.maxNucleosomeSignal : undefined,
    };
    const failures = qcFailures(qc, thresholds);
    const pass = failures.map((f) => f.length === 0);
    const cellsTable = cellsToTable({
      barcodes: qc.barcodes,
      labels: labels?.labels,
      qc,
      passQc: pass,
      qcFail: failures.map((f) => f.join(';')),
    });
    // The thresholds in force travel with the table (the report draws them).
    cellsTable.schema.metadata.set(QC_THRESHOLDS_KEY, JSON.stringify(thresholds));
    await writeTable(ctx.outputs['cells']!, cellsTable);
    const kept = new Set(qc.barcodes.filter((_, r) => pass[r]));
    await writeCellTableSubset(
      ctx.outputs['passing']!,
      kept,
      cellsPath ? { path: cellsPath } : { barcodes: qc.barcodes },
    );
    if (!tss) ctx.log.warn('no genes or tss input: tss_enrichment is NaN');
    if (p.minTssEnrichment > 0 && !tss)
      ctx.log.warn('minTssEnrichment is set but there are no TSSs: it filters nothing');
    if (p.minFrip > 0 && !peaks)
      ctx.log.warn('minFrip is set but there are no peaks: it filters nothing');
    const dropped: Record<string, number> = {};
    for (const reason of QC_FAILURE_REASONS) {
      const n = failures.filter((f) => f.includes(reason)).length;
      if (n > 0) dropped[reason] = n;
    }
    const nPass = kept.size;
    const why = Object.entries(dropped)
      .map(([r, n]) => `${n} ${r}`)
      .join(', ');
    ctx.log.info(
      `${read} fragments; ${nPass} of ${qc.barcodes.length} cells pass QC, ${qc.barcodes.length - nPass} dropped${why ? ` (${why}; a cell may fail several)` : ''}`,
    );
    if (nPass === 0 && qc.barcodes.length > 0)
      ctx.log.warn(`no cell passes QC (${why}): every downstream stage would get 0 cells`);
    if (labels?.labels) {
      const w = labelWarning(labels.labels, labels.labelColumn);
      if (w) ctx.log.warn(w);
    }
    return {
      metrics: {
        fragments: read,
        cells: qc.barcodes.length,
        passQc: nPass,
        dropped: qc.barcodes.length - nPass,
        ...Object.fromEntries(Object.entries(dropped).map(([r, n]) => [`dropped_${r}`, n])),
      },
    };
  },
});
