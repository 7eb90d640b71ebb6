import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { defineStage, hashPath, writeTable } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { getConfig, type GetConfig, type GetSize } from '../get/config.js';
import { assignGetWeights, readGetCheckpoint, saveGetModel } from '../get/checkpoint.js';
import { getMetrics, getMetricsToTable, labelGenes, predictGet } from '../get/predict.js';
import { GetModel } from '../get/model.js';
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

export interface GetFinetuneParams extends GetTrainingParams {
  task: 'expression' | 'atac';
  size: GetSize;
  loraRank: number;
  loraAlpha: number;
  expressionLoss: 'all' | 'tss';
  positional: 'none' | 'learned' | 'relative';
  testCellTypes: string[];
  testChroms: string[];
  valChroms: string[];
}

/**
 * `models.get-finetune`: expression (or ATAC-from-motifs) fine-tuning from a
 * pretrained or fine-tuned checkpoint, in full or with LoRA adapters
 * (`loraRank` > 0: embedding and encoder frozen and adapted, head trained).
 */
export const getFinetune = defineStage<GetFinetuneParams>({
  name: 'models.get-finetune',
  version: '3',
  description:
    'Fine-tunes GET from a checkpoint (pretrained or fine-tuned; none: from scratch) on expression per region and strand (Softplus + Poisson NLL) or on accessibility from motifs alone, in full or as a LoRA fine-tune whose adapter is also saved alone; leave-out cell types and/or chromosomes, best weights by validation loss, resumable; metrics per cell type on TSS regions and per gene for the left-out samples.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      task: {
        type: 'string',
        enum: ['expression', 'atac'],
        default: 'expression',
        description:
          'head: expression (Linear D→2 + Softplus) or accessibility from motifs (accessibility input zeroed)',
      },
      size: {
        type: 'string',
        enum: ['tiny', 'small', 'published'],
        default: 'small',
        description: 'named configuration when no checkpoint is given (else the checkpoint’s)',
      },
      loraRank: {
        type: 'integer',
        minimum: 0,
        default: 0,
        description: 'LoRA rank (0: full fine-tune)',
      },
      loraAlpha: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 16,
        description: 'LoRA alpha (update scaled by alpha/rank)',
      },
      ...getTrainingParams(
        { default: 1e-4, description: 'peak rate after the warm-up epoch (GET: 1e-4)' },
        'new weights, shuffling, drop-path',
      ),
      expressionLoss: {
        type: 'string',
        enum: ['all', 'tss'],
        default: 'all',
        description:
          "expression loss on every region and strand ('all', GET) or only on the TSS-masked pairs ('tss'; on the simulated GET program: 0.805 vs 0.502 with learned positions, packages/models README)",
      },
      positional: {
        type: 'string',
        enum: ['none', 'learned', 'relative'],
        default: 'none',
        description:
          "positional encoding when no checkpoint is given (else the checkpoint's): none (GET), learned (per window position) or relative (attention bias by genomic distance in bp, per layer and head)",
      },
      ...getSplitParams,
    },
  },
  inputs: {
    ...getTableInputs,
    pretrained: {
      kind: 'directory',
      type: 'get-checkpoint',
      description: 'checkpoint to start from (models.get-pretrain or models.get-finetune)',
      optional: true,
    },
  },
  outputs: {
    checkpoint: {
      kind: 'directory',
      type: 'get-checkpoint',
      description:
        'fine-tuned GET (model.json + weights.bin, config, manifest; adapter/ alone for LoRA) and the training state',
    },
    metrics: {
      kind: 'table',
      type: 'get-metrics',
      description: 'per left-out cell type: Pearson, Spearman, R² on TSS regions and per gene',
    },
  },
  resources: { cpu: 2, memoryGb: 4, gpu: true },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    const d = await readGetStageData(ctx.inputs, 'models.get-finetune');
    const features = d.arrays.clusters.length + 1;
    const from = ctx.inputs['pretrained'];
    const ck = from ? await readGetCheckpoint(from) : undefined;
    const {
      lora: _old,
      expressionLoss: _loss,
      ...base
    } = ck?.config ??
    getConfig(p.size, features, p.task, {
      ...(p.positional === 'learned'
        ? { positional: 'learned', maxRegions: d.arrays.windowSize }
        : p.positional === 'relative'
          ? { positional: 'relative' }
          : {}),
    });
    const config: GetConfig = {
      ...base,
      features: ck ? ck.config.features : features,
      task: p.task,
      // Set only when asked, so the default run's configuration (and checkpoint) stays as it was.
      ...(p.task === 'expression' && p.expressionLoss === 'tss'
        ? { expressionLoss: 'tss' as const }
        : {}),
      ...(p.loraRank > 0 ? { lora: { rank: p.loraRank, alpha: p.loraAlpha } } : {}),
    };
    // The head is new unless continuing a checkpoint of the same task.
    const skip = ck && ck.config.task === p.task ? [] : ['head/'];
    const init = ck
      ? (m: GetModel): void =>
          assignGetWeights(m, ck, join(from!, 'model.json'), {
            skip,
            allowMissing: (n) => n.endsWith('/lora_a') || n.endsWith('/lora_b'),
          })
      : undefined;
    if (init) {
      // Fail before training on a checkpoint of another feature count or configuration.
      const probe = new GetModel(config, p.seed);
      try {
        init(probe);
      } finally {
        probe.dispose();
      }
    }
    const split = makeGetSplit(d.arrays, d.chroms, p);
    ctx.log.info(
      `GET ${p.task} ${p.loraRank > 0 ? `LoRA r${p.loraRank}` : 'full'} fine-tune from ${from ? ck!.manifest.stage : 'scratch'}: ${split.train.types.length} training, ${split.val.types.length} validation, ${split.test.types.length} test windows; backend ${backend.name}`,
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
      ...(init ? { init } : {}),
      ...stageFitControls(ctx, dir),
    });
    if (ck) tf.dispose([...ck.tensors.values()]);
    const test = split.test.types.length > 0 ? split.test : split.val;
    const typeMetrics = getMetrics(
      predictGet(r.model, d.arrays, test),
      d.arrays,
      labelGenes(d.labels, d.arrays.nRegions),
    );
    await writeTable(ctx.outputs.metrics as string, getMetricsToTable(typeMetrics));
    const trainable = r.model.trainableVariables().reduce((s, v) => s + v.size, 0);
    const metrics: Record<string, number> = {
      bestValLoss: r.bestValLoss,
      bestEpoch: r.bestEpoch,
      epochsRun: r.history.length,
      trainableParameters: trainable,
    };
    for (const m of typeMetrics) metrics[`pearson:${m.cellType}`] = m.regions.pearson;
    await saveGetModel(dir, r.model, {
      stage: 'models.get-finetune',
      clusters: d.arrays.clusters,
      cellTypes: d.arrays.cellTypes,
      dataHashes: d.hashes,
      metrics,
      bestEpoch: r.bestEpoch,
      // By its weights' content, not its path (a path into the cache differs between
      // caches) nor its whole folder (which holds wall times).
      ...(from ? { from: `sha256:${await hashPath(join(from, 'weights.bin'))}` } : {}),
    });
    r.model.dispose();
    ctx.log.info(
      `${split.test.types.length > 0 ? 'test' : 'validation'} Pearson on TSS regions: ${typeMetrics.map((m) => `${m.cellType} ${m.regions.pearson.toFixed(3)}`).join(', ')}`,
    );
    // Throughput in the run's manifest only: the checkpoint holds no wall time, so the
    // same training writes the same bytes.
    return {
      backend: backend.name,
      metrics: { ...metrics, trainSamplesPerSecond: r.trainSamplesPerSecond },
    };
  },
});
