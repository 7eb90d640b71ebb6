import { defineStage } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { saveClasterModel } from '../claster/checkpoint.js';
import {
  clasterConfig,
  clasterCropBins,
  type ClasterSize,
  type ClasterVariant,
} from '../claster/config.js';
import {
  clasterSampleInputs,
  readClasterStageData,
  splitIndices,
} from '../claster/stage-inputs.js';
import { trainClaster } from '../claster/train-claster.js';
import { fitLengthParams, stageFitControls } from './stage-fit-controls.js';

export interface ClasterTrainParams {
  size: ClasterSize;
  variant: ClasterVariant;
  epochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  reverse: boolean;
  seed: number;
  workers: number;
  transform: 'none' | 'log1p';
  landscapeHalfWidthKb: number;
  norm: 'layer' | 'batch';
}

/** `models.claster-train`: CLASTER trained on the train split, best weights by validation loss. */
export const clasterTrain = defineStage<ClasterTrainParams>({
  name: 'models.claster-train',
  // v2: width-only convolutions on the addon's blocked conv1d where it is built (rounding).
  version: '2',
  description:
    "CLASTER: residual CNN over the chromatin landscape (first kernel spanning the tracks, down-stride 2, dilation 2, stochastic depth, dropout), optional 2-D contact branch, residual-MLP fusion, linear 401 outputs; SmoothL1, AdamW; trained on the train split's genes, best weights by validation SmoothL1, resumable.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      size: {
        type: 'string',
        enum: ['tiny', 'small', 'published'],
        default: 'small',
        description: 'named configuration (published: the paper; small: the default run)',
      },
      variant: {
        type: 'string',
        enum: ['landscape', 'contacts'],
        default: 'landscape',
        description:
          "landscape only (the paper's default) or with the Micro-C branch (needs contacts.npy)",
      },
      ...fitLengthParams(6, 10, 'maximum epochs (CLASTER: 120)'),
      batchSize: {
        type: 'integer',
        minimum: 1,
        default: 16,
        description: 'genes per batch (CLASTER: 64)',
      },
      learningRate: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 1e-3,
        description: 'AdamW rate, constant (CLASTER: 1e-4 over 120 epochs)',
      },
      weightDecay: {
        type: 'number',
        minimum: 0,
        default: 0.01,
        description: 'AdamW decoupled decay',
      },
      reverse: {
        type: 'boolean',
        default: false,
        description:
          "CLASTER's reverse-copy augmentation (each example flipped with probability ½)",
      },
      transform: {
        type: 'string',
        enum: ['log1p', 'none'],
        default: 'log1p',
        description: 'log1p: inputs and targets as log(1 + x), predictions mapped back by expm1',
      },
      landscapeHalfWidthKb: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 500,
        description:
          "±kbp of the landscape the network sees, a centred crop of the samples' window (CLASTER: 500, all of it); smaller trains faster and leaves out what the paper finds unused beyond ±10 kbp",
      },
      norm: {
        type: 'string',
        enum: ['layer', 'batch'],
        default: 'layer',
        description:
          "the CNN's normalisation: LayerNorm over channels, or batch norm as EIR has it (moving statistics; keeps the marks' strength, which LayerNorm rescales away per position)",
      },
      seed: { type: 'integer', default: 0, description: 'weights, shuffling, masks' },
      workers: {
        type: 'integer',
        minimum: 1,
        default: 1,
        description: 'data-parallel worker threads',
      },
    },
  },
  inputs: clasterSampleInputs,
  outputs: {
    checkpoint: {
      kind: 'directory',
      type: 'claster-checkpoint',
      description:
        'CLASTER (TF.js model.json + weights.bin with config and manifest) and the training state',
    },
  },
  resources: { cpu: 2, memoryGb: 4, gpu: true },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    const d = await readClasterStageData(ctx.inputs, 'models.claster-train', true);
    const a = d.arrays;
    const config = {
      ...clasterConfig(p.size, p.variant, {
        tracks: a.nTracks,
        bins: clasterCropBins(a.nBins, p.landscapeHalfWidthKb),
        outputs: a.targets!.length / d.rows.length,
        ...(a.contactRows !== undefined ? { rows: a.contactRows, cols: a.contactCols! } : {}),
      }),
      transform: p.transform,
      // Only when asked: a default run's checkpoint stays byte-identical.
      ...(p.norm === 'batch' ? { norm: 'batch' as const } : {}),
    };
    const split = {
      train: splitIndices(d.rows, 'train'),
      validation: splitIndices(d.rows, 'validation'),
    };
    ctx.log.info(
      `CLASTER ${p.size}/${p.variant} on ${split.train.length} genes (${split.validation.length} validation), ${a.nTracks} tracks × ${config.bins} of ${a.nBins} bins; backend ${backend.name}`,
    );
    const dir = ctx.outputs.checkpoint as string;
    const r = await trainClaster(a, split, {
      config,
      seed: p.seed,
      epochs: p.epochs,
      patience: p.patience,
      batchSize: p.batchSize,
      learningRate: p.learningRate,
      weightDecay: p.weightDecay,
      reverse: p.reverse,
      workers: p.workers,
      ...stageFitControls(ctx, dir),
    });
    const metrics = {
      bestValLoss: r.bestValLoss,
      bestEpoch: r.bestEpoch,
      epochsRun: r.history.length,
      trainSamplesPerSecond: r.trainSamplesPerSecond,
    };
    await saveClasterModel(dir, r.model, {
      stage: 'models.claster-train',
      tracks: d.tracks,
      dataHashes: d.hashes,
      metrics: { bestValLoss: r.bestValLoss, bestEpoch: r.bestEpoch },
      bestEpoch: r.bestEpoch,
    });
    r.model.dispose();
    return { backend: backend.name, metrics };
  },
});
