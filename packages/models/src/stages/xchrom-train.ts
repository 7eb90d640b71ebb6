import { join } from 'node:path';
import {
  ChromflowError,
  defineStage,
  hashFile,
  writeFileAtomic,
  writeTable,
} from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { readXChromTables } from '../data/read-xchrom-tables.js';
import { makeXChromSplit, xchromSplitToJson } from '../data/xchrom-split.js';
import { flattenBlockMetrics, metricsToTable } from '../metrics/metrics-table.js';
import { XCHROM_ADAM } from '../xchrom/xchrom-adam.js';
import { countTrainableParams } from '../xchrom/config.js';
import { configFromParams, type XChromSizeParams } from '../xchrom/config-params.js';
import { evaluateXChromBlocks } from '../xchrom/evaluate.js';
import { trainXChrom } from '../xchrom/train-xchrom.js';
import { stageFitControls } from './stage-fit-controls.js';

export interface XChromTrainParams extends XChromSizeParams {
  epochs: number;
  patience: number;
  batchPeaks: number;
  learningRate: number;
  seed: number;
  testPeakFraction: number;
  valFraction: number;
  testCellFraction: number;
  valCellFraction: number;
  testChroms: string[];
  workers: number;
}

const positiveInt = (description: string, d?: number) => ({
  type: 'integer' as const,
  description,
  minimum: 1,
  ...(d === undefined ? {} : { default: d }),
});
const fraction = (description: string, d: number) => ({
  type: 'number' as const,
  description,
  minimum: 0,
  maximum: 0.9,
  default: d,
});

export const xchromTrain = defineStage<XChromTrainParams>({
  name: 'models.xchrom-train',
  // v6: 1-D convolutions on the native GEMM where the addon is built (rounding changes);
  // v7: its im2col in cache-sized blocks, one GEMM a block (rounding changes again);
  // v8: the one-hot first layer on it too, not on the table kernels.
  version: '8',
  description:
    "Trains XChrom (sequence CNN × RNA cell embedding → per-cell accessibility) with held-out cells and peaks, early stopping on validation peaks (and on validation cells for the weights used on unseen cells), and reports XChrom's metrics per block.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      size: {
        type: 'string',
        enum: ['small', 'published'],
        default: 'small',
        description:
          'small (262,101 parameters) or published (4,518,218) model; fields below override it',
      },
      stemFilters: positiveInt('override: filters of the stem convolution'),
      towerFilters: {
        type: 'array',
        items: { type: 'integer' },
        minItems: 1,
        description: 'override: filters of each tower block',
      },
      bottleneckFilters: positiveInt('override: filters of the k1 bottleneck convolution'),
      embeddingDim: positiveInt('override: size of the peak and cell embeddings'),
      cellHidden: positiveInt('override: hidden width of the cell branch'),
      epochs: positiveInt('maximum number of epochs', 40),
      patience: positiveInt('stop after this many epochs without a lower validation loss', 10),
      batchPeaks: positiveInt('peaks per batch (every training cell is in every batch)', 128),
      learningRate: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.01,
        description: 'initial Adam learning rate (decays by 0.9 every 10,000 steps)',
      },
      seed: {
        type: 'integer',
        minimum: 0,
        default: 0,
        description:
          'seed of the split, initial weights, shuffling, augmentation, noise and dropout',
      },
      testPeakFraction: fraction(
        'fraction of peaks held out as test peaks (ignored with testChroms)',
        0.1,
      ),
      valFraction: fraction('fraction of the remaining peaks used for validation', 0.1),
      testCellFraction: fraction(
        'fraction of cells held out as test cells (0: a cross-peak model on all cells)',
        0.1,
      ),
      valCellFraction: fraction(
        'fraction of the non-test cells kept out of training to select the weights for unseen cells (0: one model, selected on validation peaks)',
        0.1,
      ),
      workers: {
        type: 'integer',
        minimum: 1,
        default: 1,
        description: 'worker threads for data-parallel training (1: in-process and deterministic)',
      },
      testChroms: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description: 'hold out every peak on these chromosomes as test peaks',
      },
    },
  },
  inputs: {
    sequences: {
      kind: 'table',
      type: 'sequence-codes',
      description: 'peak windows (row i = region i)',
    },
    counts: {
      kind: 'table',
      type: 'sparse-coo',
      description: 'cells × regions counts (binarised for training)',
    },
    cells: { kind: 'table', type: 'cells', description: 'rows of the count matrix' },
    regions: { kind: 'table', type: 'regions', description: 'columns of the count matrix' },
    embedding: {
      kind: 'table',
      type: 'cell-embedding',
      description: 'per-cell RNA embedding and b_zscore',
    },
  },
  outputs: {
    checkpoint: {
      kind: 'directory',
      type: 'xchrom-checkpoint',
      description:
        'best model (TF.js model.json + weights), the weights for unseen cells (cells/), training state, split and manifest',
    },
    metrics: {
      kind: 'table',
      type: 'xchrom-metrics',
      description: "XChrom's metrics per block (train, val, valCells, testPeaks, testCells, both)",
    },
  },
  resources: { cpu: 2, memoryGb: 4, gpu: true },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    ctx.log.info(`backend: ${backend.name}`);
    const input = (port: string): string => {
      const path = ctx.inputs[port];
      if (!path)
        throw new ChromflowError('STAGE', `input '${port}' is not wired`, {
          stage: 'models.xchrom-train',
          field: port,
        });
      return path;
    };
    const paths = {
      sequences: input('sequences'),
      counts: input('counts'),
      cells: input('cells'),
      regions: input('regions'),
      embedding: input('embedding'),
    };
    const data = await readXChromTables(paths);
    const config = configFromParams(p, data.seqLength, data.embeddingDim);
    ctx.log.info(
      `XChrom ${p.size}: ${countTrainableParams(config)} trainable parameters; ${data.nPeaks} peaks × ${data.nCells} cells`,
    );
    const split = makeXChromSplit({
      nPeaks: data.nPeaks,
      nCells: data.nCells,
      testCellFraction: p.testCellFraction,
      testPeakFraction: p.testPeakFraction,
      valFraction: p.valFraction,
      valCellFraction: p.valCellFraction,
      seed: p.seed,
      testChroms: p.testChroms,
      peakChroms: data.peakChroms,
    });
    const dir = ctx.outputs.checkpoint as string;
    const result = await trainXChrom(data, split, {
      config,
      seed: p.seed,
      epochs: p.epochs,
      patience: p.patience,
      batchPeaks: p.batchPeaks,
      adam: { ...XCHROM_ADAM, learningRate: p.learningRate },
      workers: p.workers,
      ...stageFitControls(ctx, dir),
    });
    const blocks = await evaluateXChromBlocks(result.model, data, split, result.cells?.model);
    result.model.dispose();
    result.cells?.model.dispose();
    await writeTable(ctx.outputs.metrics as string, metricsToTable(blocks));
    const hashes: Record<string, string> = {};
    for (const [k, v] of Object.entries(paths)) hashes[k] = await hashFile(v);
    await writeFileAtomic(join(dir, 'split.json'), JSON.stringify(xchromSplitToJson(split)));
    await writeFileAtomic(
      join(dir, 'manifest.json'),
      JSON.stringify(
        {
          config,
          params: p,
          dataHashes: hashes,
          backend: backend.name,
          bestEpoch: result.bestEpoch,
          bestValLoss: result.bestValLoss,
          ...(result.cells
            ? {
                cellsBestEpoch: result.cells.bestEpoch,
                cellsBestValLoss: result.cells.bestValLoss,
              }
            : {}),
          history: result.history,
          metrics: blocks,
        },
        null,
        1,
      ),
    );
    const flat = flattenBlockMetrics(blocks);
    return {
      backend: backend.name,
      metrics: {
        ...flat,
        bestEpoch: result.bestEpoch,
        ...(result.cells ? { cellsBestEpoch: result.cells.bestEpoch } : {}),
        epochsRun: result.history.length,
      },
    };
  },
});
