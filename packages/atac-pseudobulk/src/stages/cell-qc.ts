import { defineStage, readTable, writeTable } from '@chromflow/core';
import { genesFromTable, readBed, regionsFromTable } from '@chromflow/genome-io';
import { readCellLabels } from '../cell-labels.js';
import {
  CellQcCounter,
  makeTssRegions,
  passQc,
  requireCellsInFragments,
  type TssRegions,
} from '../cell-qc.js';
import { scanFragments } from '../scan-fragments.js';
import { cellsToTable } from '../tables.js';

export type CellQcParams = {
  minFragments: number;
  minTssEnrichment: number;
  minFrip: number;
  maxNucleosomeSignal: number;
  missingCells: 'error' | 'keep';
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
  version: '1',
  description:
    'Per-cell fragments, ArchR TSS enrichment, FRiP and nucleosome ratio in one streaming pass, with threshold filtering.',
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
        'barcode, label, n_fragments, tss_enrichment, frip, nucleosome_signal, pass_qc and the raw counts behind them.',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const tss = await tssFromInputs(ctx.inputs['genes'], ctx.inputs['tss']);
    const peaksPath = ctx.inputs['peaks'];
    const peaks = peaksPath ? regionsFromTable(await readTable(peaksPath), peaksPath) : undefined;
    const cellsPath = ctx.inputs['cells'];
    const labels = cellsPath ? await readCellLabels(cellsPath) : undefined;
    const counter = new CellQcCounter({ tss, peaks }, labels?.barcodes);
    const read = await scanFragments(ctx.inputs['fragments']!, [counter], {
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    });
    const qc = counter.finish();
    if (labels && ctx.params.missingCells === 'error') {
      requireCellsInFragments(qc.barcodes, qc.nFragments, cellsPath);
    }
    const p = ctx.params;
    const pass = passQc(qc, {
      minFragments: p.minFragments,
      minTssEnrichment: tss && p.minTssEnrichment > 0 ? p.minTssEnrichment : undefined,
      minFrip: peaks && p.minFrip > 0 ? p.minFrip : undefined,
      maxNucleosomeSignal: p.maxNucleosomeSignal > 0 ? p.maxNucleosomeSignal : undefined,
    });
    await writeTable(
      ctx.outputs['cells']!,
      cellsToTable({ barcodes: qc.barcodes, labels: labels?.labels, qc, passQc: pass }),
    );
    if (!tss) ctx.log.warn('no genes or tss input: tss_enrichment is NaN');
    const nPass = pass.filter(Boolean).length;
    ctx.log.info(`${read} fragments; ${nPass} of ${qc.barcodes.length} cells pass QC`);
    return { metrics: { fragments: read, cells: qc.barcodes.length, passQc: nPass } };
  },
});
