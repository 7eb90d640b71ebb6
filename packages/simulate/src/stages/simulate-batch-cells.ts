import { defineStage } from '@chromflow/core';
import { DEFAULT_BATCH_EFFECT, plantBatchEffect } from '../batch-effect.js';
import { simulateDataset } from '../dataset.js';
import { writeBatchCellsFiles } from '../write-batch-cells.js';

// A type alias (not an interface) so it is assignable to Stage's Record<string, unknown> params.
export type SimulateBatchCellsParams = {
  seed: number;
  batchSeed: number;
  depths: number[];
  captureSd: number;
};

/**
 * The default simulated cells with a planted batch effect, written into the
 * cache (test-data/ stays as it is): what Atacformer's batch-correction
 * fine-tune is judged on.
 */
export const simulateBatchCellsStage = defineStage<SimulateBatchCellsParams>({
  name: 'simulate.batch-cells',
  version: '1',
  description:
    "Simulates the default data set's cells (known types) and plants a batch effect: cells dealt evenly to batches within each type, each batch keeping a fragment with probability min(1, depth·exp(captureSd·z)) per peak (depth alone off peaks); writes peaks, the kept fragments, cells (barcode, cell_type, batch) and truth.json.",
  params: {
    type: 'object',
    properties: {
      seed: {
        type: 'integer',
        description: 'Seed of the data set (as simulate.dataset; 1 = the cells of test-data/).',
        default: 1,
        minimum: 0,
        maximum: 4294967295,
      },
      batchSeed: {
        type: 'integer',
        description: 'Seed of the batch assignment, capture efficiencies and thinning.',
        default: DEFAULT_BATCH_EFFECT.seed,
        minimum: 0,
        maximum: 4294967295,
      },
      depths: {
        type: 'array',
        items: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        minItems: 2,
        default: DEFAULT_BATCH_EFFECT.batches.map((b) => b.depth),
        description:
          'One per batch (batch1, batch2, …): fraction of fragments kept before capture.',
      },
      captureSd: {
        type: 'number',
        minimum: 0,
        default: DEFAULT_BATCH_EFFECT.batches[0]!.captureSd,
        description: 'σ of the per-peak log capture efficiency, drawn independently per batch.',
      },
    },
    additionalProperties: false,
  },
  inputs: {},
  outputs: {
    peaks: { kind: 'file', type: 'bed', extension: '.bed', description: 'Peak set (BED4).' },
    fragments: {
      kind: 'file',
      type: 'fragments',
      extension: '.tsv.gz',
      description: '10x fragments after the batch thinning, BGZF with .tbi beside.',
    },
    cells: {
      kind: 'file',
      type: 'cell-labels',
      extension: '.tsv',
      description: 'barcode, cell_type, batch.',
    },
    truth: {
      kind: 'file',
      type: 'json',
      extension: '.json',
      description: 'Batches (depth, capture σ, per-peak keep probability, cells per type).',
    },
  },
  resources: { cpu: 1, memoryGb: 1 },
  async run(ctx) {
    const { seed, batchSeed, depths, captureSd } = ctx.params;
    const { dataset, truth } = plantBatchEffect(simulateDataset({ seed }), {
      seed: batchSeed,
      batches: depths.map((depth, i) => ({ name: `batch${i + 1}`, depth, captureSd })),
    });
    const o = ctx.outputs;
    await writeBatchCellsFiles(
      { peaks: o['peaks']!, fragments: o['fragments']!, cells: o['cells']!, truth: o['truth']! },
      dataset,
      truth,
    );
    return {
      metrics: {
        cells: dataset.cells.length,
        batches: depths.length,
        fragmentsBefore: truth.fragmentsBefore,
        fragmentsAfter: truth.fragmentsAfter,
      },
    };
  },
});
