import { ChromflowError, defineStage, writeTable } from '@chromflow/core';
import { selectRows } from '../count-matrix.js';
import { makeLsi } from '../lsi.js';
import { lsiToTable } from '../tables.js';
import { readCountsAndCells } from './read-counts-cells.js';

export type LsiParams = {
  components: number;
  binarise: boolean;
  onlyPassing: boolean;
  powerIterations: number;
  seed: number;
};

/** Counts → TF-IDF → randomized truncated SVD cell embedding. */
export const lsiStage = defineStage<LsiParams>({
  name: 'atac-pseudobulk.lsi',
  version: '2',
  description:
    'TF-IDF (Stuart et al.: log(1 + x/cellTotal · nCells/regionTotal · 1e4)) and randomized truncated SVD; cells embedded as U·S.',
  params: {
    type: 'object',
    properties: {
      components: {
        type: 'integer',
        description: 'LSI components (capped at the smaller matrix dimension).',
        default: 30,
        minimum: 1,
        maximum: 500,
      },
      binarise: {
        type: 'boolean',
        description: 'Binarise counts before TF-IDF (ArchR).',
        default: true,
      },
      onlyPassing: {
        type: 'boolean',
        description: 'Embed only cells with pass_qc (when the cells table has it).',
        default: true,
      },
      powerIterations: {
        type: 'integer',
        description: 'Power iterations of the randomized SVD.',
        default: 4,
        minimum: 0,
        maximum: 20,
      },
      seed: { type: 'integer', description: 'Seed of the random sketch.', default: 1, minimum: 0 },
    },
    additionalProperties: false,
  },
  inputs: {
    counts: { kind: 'table', type: 'sparse-coo', description: 'cells × regions counts.' },
    cells: { kind: 'table', type: 'cells', description: 'Rows of `counts`.' },
  },
  outputs: {
    lsi: {
      kind: 'table',
      type: 'lsi',
      description: 'barcode, lsi1…lsiK (U·S); depth correlations in the schema metadata.',
    },
  },
  resources: { cpu: 1, memoryGb: 4 },
  async run(ctx) {
    const countsPath = ctx.inputs['counts']!;
    const cellsPath = ctx.inputs['cells']!;
    const { matrix: all, cells } = await readCountsAndCells(countsPath, cellsPath);
    const keep = cells.barcodes.map(
      (_, r) => !ctx.params.onlyPassing || !cells.passQc || cells.passQc[r]!,
    );
    const counts = selectRows(all, keep);
    if (counts.nRows < all.nRows)
      ctx.log.info(`${all.nRows - counts.nRows} of ${all.nRows} cells fail QC and are left out`);
    if (counts.nRows < 2) {
      throw new ChromflowError('VALUE', `${counts.nRows} cells are left to embed`, {
        path: cellsPath,
        field: 'pass_qc',
        expected: 'at least 2 cells (pass_qc true, or onlyPassing false)',
        found: `${counts.nRows} of ${all.nRows}`,
        hint: 'loosen the cell-qc thresholds',
      });
    }
    const p = ctx.params;
    const lsi = makeLsi(counts, {
      components: p.components,
      binarise: p.binarise,
      powerIterations: p.powerIterations,
      seed: p.seed,
    });
    await writeTable(
      ctx.outputs['lsi']!,
      lsiToTable(
        cells.barcodes.filter((_, r) => keep[r]),
        lsi,
      ),
    );
    const r1 = lsi.depthCorrelations[0] ?? NaN;
    ctx.log.info(
      `${counts.nRows} cells, ${lsi.k} components; depth correlation of component 1: ${r1.toFixed(3)}`,
    );
    return { metrics: { cells: counts.nRows, components: lsi.k, depthCorrelation1: r1 } };
  },
});
