import { defineStage, writeTable } from '@chromflow/core';
import { openFasta, regionsToTable } from '@chromflow/genome-io';
import { readCellLabels } from '../cell-labels.js';
import { scanFragments } from '../scan-fragments.js';
import { TileCounter } from '../tile-matrix.js';
import {
  CELL_FILTER_PARAMS,
  describeCountedCells,
  FRAGMENTS_INPUT,
  LABEL_COLUMN_PARAM,
  labelColumnOption,
  writeCountedCells,
} from './write-counted-cells.js';

export type TileMatrixParams = {
  tileSize: number;
  binarise: boolean;
  minFragments: number;
  missingCells: 'error' | 'keep';
  labelColumn: string;
};

/** Fragments (+ a cell table, + the genome for chromosome sizes) → cells × fixed-width tiles. */
export const tileMatrixStage = defineStage<TileMatrixParams>({
  name: 'atac-pseudobulk.tile-matrix',
  version: '1',
  description:
    'Counts Tn5 insertions of each cell in fixed-width genome tiles (ArchR TileMatrix; peak-free analyses) in one streaming pass.',
  params: {
    type: 'object',
    properties: {
      tileSize: {
        type: 'integer',
        description: 'Tile width in bases (ArchR: 500).',
        default: 500,
        minimum: 1,
      },
      binarise: {
        type: 'boolean',
        description: 'Write 1 for every non-zero tile (ArchR binarises its TileMatrix).',
        default: true,
      },
      ...CELL_FILTER_PARAMS,
      ...LABEL_COLUMN_PARAM,
    },
    additionalProperties: false,
  },
  inputs: {
    fragments: FRAGMENTS_INPUT,
    genome: {
      kind: 'file',
      type: 'fasta',
      description:
        'Genome whose sequence sizes bound the tiles (every chromosome tiled to its end); without it tiles end at the last insertion of each chromosome.',
      optional: true,
    },
    cells: {
      kind: 'file',
      type: 'cell-labels',
      description: 'Cell table (barcode + label); without it every barcode is a row.',
      optional: true,
    },
  },
  outputs: {
    counts: {
      kind: 'table',
      type: 'sparse-coo',
      description: 'cells × tiles counts (rows: cells table, cols: tiles table).',
    },
    cells: { kind: 'table', type: 'cells', description: 'The rows: barcode, label, n_fragments.' },
    tiles: {
      kind: 'table',
      type: 'regions',
      description:
        'The columns: tiles [k·size, min((k+1)·size, chromosome size)), named chrom:start-end.',
    },
  },
  resources: { cpu: 1, memoryGb: 4 },
  async run(ctx) {
    const p = ctx.params;
    const genomePath = ctx.inputs['genome'];
    let chromSizes: Map<string, number> | undefined;
    if (genomePath) {
      const fasta = await openFasta(genomePath);
      chromSizes = fasta.chromSizes;
      await fasta.close();
    }
    const cellsPath = ctx.inputs['cells'];
    const labels = cellsPath
      ? await readCellLabels(cellsPath, labelColumnOption(ctx.params.labelColumn))
      : undefined;
    const counter = new TileCounter(
      { tileSize: p.tileSize, binarise: p.binarise, ...(chromSizes ? { chromSizes } : {}) },
      labels?.barcodes,
    );
    const read = await scanFragments(ctx.inputs['fragments']!, [counter], {
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    });
    const counts = counter.finish();
    const kept = await writeCountedCells(counts, labels, {
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
    const t = counts.tiles;
    const names = Array.from(
      t.starts,
      (s, i) => `${t.chromNames[t.chromIds[i]!]!}:${s}-${t.ends[i]!}`,
    );
    await writeTable(
      ctx.outputs['tiles']!,
      regionsToTable({
        chromNames: [...t.chromNames],
        chromIds: Int32Array.from(t.chromIds),
        starts: t.starts,
        ends: t.ends,
        names,
        columns: {},
        length: names.length,
      }),
    );
    ctx.log.info(
      `${read} fragments, ${barcodes.length} cells × ${names.length} tiles of ${p.tileSize} bp, ${matrix.values.length} non-zero`,
    );
    return {
      metrics: {
        fragments: read,
        cells: barcodes.length,
        droppedCells: kept.dropped,
        tiles: names.length,
        nonZero: matrix.values.length,
      },
    };
  },
});
