import { defineStage, readTable, writeTable } from '@chromflow/core';
import { regionsFromTable, regionsToTable } from '@chromflow/genome-io';
import { readCellLabels } from '../cell-labels.js';
import { COUNT_METHODS, RegionCounter, type CountMethod } from '../count-matrix.js';
import { scanFragments } from '../scan-fragments.js';
import {
  CELL_FILTER_PARAMS,
  describeCountedCells,
  FRAGMENTS_INPUT,
  LABEL_COLUMN_PARAM,
  labelColumnOption,
  writeCountedCells,
} from './write-counted-cells.js';

export type CountMatrixParams = {
  method: CountMethod;
  cap: number;
  binarise: boolean;
  minFragments: number;
  missingCells: 'error' | 'keep';
  labelColumn: string;
};

/** Fragments + peaks (+ a cell table) → cells × peaks counts. */
export const countMatrixStage = defineStage<CountMatrixParams>({
  name: 'atac-pseudobulk.count-matrix',
  version: '2',
  description:
    'Counts the fragments of each cell in each region (sparse cells × regions) in one streaming pass.',
  params: {
    type: 'object',
    properties: {
      method: {
        type: 'string',
        description:
          'archr-insertions (ArchR PeakMatrix: Tn5 insertions, capped), cellranger-cutsites (cellranger-arc peak matrix), fragment-overlap (fragments overlapping the region, as bedtools intersect -c).',
        enum: COUNT_METHODS,
        default: 'archr-insertions',
      },
      cap: {
        type: 'number',
        description:
          'Cap on each cell × region value; 0 = the method default (4 for archr-insertions, none otherwise).',
        default: 0,
        minimum: 0,
      },
      binarise: {
        type: 'boolean',
        description: 'Write 1 for every non-zero value.',
        default: false,
      },
      ...CELL_FILTER_PARAMS,
      ...LABEL_COLUMN_PARAM,
    },
    additionalProperties: false,
  },
  inputs: {
    fragments: FRAGMENTS_INPUT,
    peaks: {
      kind: 'table',
      type: 'regions',
      description: 'Regions to count in (columns of the matrix).',
    },
    cells: {
      kind: 'file',
      type: 'cell-labels',
      description:
        'Cell table (barcode + label); without it every barcode of the fragments is a row.',
      optional: true,
    },
  },
  outputs: {
    counts: {
      kind: 'table',
      type: 'sparse-coo',
      description: 'cells × regions counts (rows: cells table, cols: regions table).',
    },
    cells: {
      kind: 'table',
      type: 'cells',
      description: 'The rows: barcode, label (when given), n_fragments.',
    },
    regions: {
      kind: 'table',
      type: 'regions',
      description: 'The columns, in the order of the input peaks.',
    },
  },
  resources: { cpu: 1, memoryGb: 4 },
  async run(ctx) {
    const peaksPath = ctx.inputs['peaks']!;
    const regions = regionsFromTable(await readTable(peaksPath), peaksPath);
    const cellsPath = ctx.inputs['cells'];
    const labels = cellsPath
      ? await readCellLabels(cellsPath, labelColumnOption(ctx.params.labelColumn))
      : undefined;
    const p = ctx.params;
    const counter = new RegionCounter(
      regions,
      { method: p.method, cap: p.cap > 0 ? p.cap : undefined, binarise: p.binarise },
      labels?.barcodes,
    );
    const read = await scanFragments(ctx.inputs['fragments']!, [counter], {
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    });
    const kept = await writeCountedCells(counter.finish(), labels, {
      cellsPath,
      minFragments: p.minFragments,
      missingCells: p.missingCells,
      countsOut: ctx.outputs['counts']!,
      cellsOut: ctx.outputs['cells']!,
    });
    const { matrix, barcodes } = kept;
    const said = describeCountedCells(labels, kept, p.minFragments);
    if (said.info) ctx.log.info(said.info);
    for (const w of said.warnings) ctx.log.warn(w);
    await writeTable(ctx.outputs['regions']!, regionsToTable(regions));
    ctx.log.info(
      `${read} fragments, ${barcodes.length} cells × ${regions.length} regions, ${matrix.values.length} non-zero`,
    );
    return {
      metrics: {
        fragments: read,
        cells: barcodes.length,
        droppedCells: kept.dropped,
        regions: regions.length,
        nonZero: matrix.values.length,
      },
    };
  },
});
