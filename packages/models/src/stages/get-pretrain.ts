import { defineStage } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { getConfig, type GetSize } from '../get/config.js';
import { saveGetModel } from '../get/checkpoint.js';
import { makeGetSplit } from '../get/samples.js';
import {
  getSplitParams,
  getTableInputs,
  getTrainingParams,
  readGetStageData,
  type GetTrainingParams,
} from '../get/stage-inputs.js';
import { trainGet } from '../get/train-get.js';
import { stageFitControls } from './stage-fit-controls.js';

export interface GetPretrainParams extends GetTrainingParams {
  size: GetSize;
  positional: 'none' | 'learned' | 'relative';
  testCellTypes: string[];
  testChroms: string[];
  valChroms: string[];
}

/** `models.get-pretrain`: masked-region pretraining (50 % of regions → [MASK], MSE on them). */
export const getPretrain = defineStage<GetPretrainParams>({
  name: 'models.get-pretrain',
  version: '2',
  description:
    "GET's masked regulatory-element pretraining: half of each window's regions replaced by a learned mask token, their region × motif inputs reconstructed (MSE on masked positions), AdamW with one warm-up epoch and cosine decay; best weights by validation loss, resumable.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      size: {
        type: 'string',
        enum: ['tiny', 'small', 'published'],
        default: 'small',
        description: 'named configuration (published: D768, L12, H12)',
      },
      positional: {
        type: 'string',
        enum: ['none', 'learned', 'relative'],
        default: 'none',
        description:
          'positional encoding (GET: none; learned: per window position; relative: attention bias by genomic distance in bp)',
      },
      ...getTrainingParams(
        {
          default: 1.5e-4,
          description: 'peak rate after the warm-up epoch (GET pretraining: 1.5e-4)',
        },
        'weights, shuffling, masks',
      ),
      ...getSplitParams,
    },
  },
  inputs: getTableInputs,
  outputs: {
    checkpoint: {
      kind: 'directory',
      type: 'get-checkpoint',
      description:
        'pretrained GET (TF.js model.json + weights.bin with config and manifest) and the training state',
    },
  },
  resources: { cpu: 2, memoryGb: 4 },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    const d = await readGetStageData(ctx.inputs, 'models.get-pretrain');
    const split = makeGetSplit(d.arrays, d.chroms, p);
    const config = getConfig(p.size, d.arrays.clusters.length + 1, 'pretrain', {
      positional: p.positional,
      maxRegions: Math.max(1024, d.arrays.windowSize),
    });
    ctx.log.info(
      `GET ${p.size} pretraining on ${split.train.types.length} windows (${split.val.types.length} validation); backend ${backend.name}`,
    );
    const dir = ctx.outputs.checkpoint as string;
    const r = await trainGet(d.arrays, split, {
      config,
      seed: p.seed,
      epochs: p.epochs,
      patience: p.patience,
      batchSize: p.batchSize,
      learningRate: p.learningRate,
      workers: p.workers,
      ...stageFitControls(ctx, dir),
    });
    const metrics = {
      bestValLoss: r.bestValLoss,
      bestEpoch: r.bestEpoch,
      epochsRun: r.history.length,
    };
    await saveGetModel(dir, r.model, {
      stage: 'models.get-pretrain',
      clusters: d.arrays.clusters,
      cellTypes: d.arrays.cellTypes,
      dataHashes: d.hashes,
      metrics,
      bestEpoch: r.bestEpoch,
    });
    r.model.dispose();
    // Throughput in the run's manifest only: the checkpoint holds no wall time.
    return {
      backend: backend.name,
      metrics: { ...metrics, trainSamplesPerSecond: r.trainSamplesPerSecond },
    };
  },
});
