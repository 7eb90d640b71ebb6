import { defineStage, hashFile } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { vocabularyHash, vocabularySize } from '@chromflow/atac-pseudobulk';
import { atacformerConfig, type AtacformerSize } from '../atacformer/config.js';
import { saveAtacformerModel } from '../atacformer/checkpoint.js';
import { atacformerInputs } from '../atacformer/inputs.js';
import { atacformerTokenPorts, readAtacformerTokens } from '../atacformer/stage-inputs.js';
import { trainAtacformer } from '../atacformer/train-atacformer.js';
import { fitLengthParams, stageFitControls } from './stage-fit-controls.js';

export interface AtacformerPretrainParams {
  size: AtacformerSize;
  contextLength: number;
  epochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  embeddingInitStd: number;
  valFraction: number;
  seed: number;
}

const STAGE = 'models.atacformer-pretrain';

/** `models.atacformer-pretrain`: replaced-token-detection pretraining on token sets. */
export const atacformerPretrain = defineStage<AtacformerPretrainParams>({
  name: STAGE,
  version: '2',
  description:
    "Atacformer's replaced-token-detection pretraining: each of a cell's region tokens replaced with probability 0.45 by a draw from the training cells' token frequencies, per-token binary cross-entropy; AdamW on the encoder, SparseAdam on the token rows a batch touches, one warm-up epoch then cosine decay; best weights by validation loss, resumable. Cells with zero tokens are left out (counted in the metrics).",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      size: {
        type: 'string',
        enum: ['tiny', 'small', 'published'],
        default: 'small',
        description:
          'named configuration (published: d384, FFN 1536, 6 layers, 8 heads, context 8192)',
      },
      contextLength: {
        type: 'integer',
        minimum: 0,
        default: 0,
        description: "tokens read per cell (larger cells subsampled, seeded); 0 = the size's own",
      },
      ...fitLengthParams(20, 5),
      batchSize: { type: 'integer', minimum: 1, default: 16, description: 'cells per batch' },
      learningRate: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 1e-3,
        description: 'peak rate after the warm-up epoch',
      },
      embeddingInitStd: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 1,
        description: 'standard deviation of the initial token rows (torch nn.Embedding: 1)',
      },
      valFraction: {
        type: 'number',
        minimum: 0,
        maximum: 0.5,
        default: 0.1,
        description: 'fraction of cells held out for the validation loss',
      },
      seed: { type: 'integer', default: 0, description: 'weights, split, shuffling, replacements' },
    },
  },
  inputs: {
    ...atacformerTokenPorts,
  },
  outputs: {
    checkpoint: {
      kind: 'directory',
      type: 'atacformer-checkpoint',
      description:
        'pretrained Atacformer (TF.js model.json + weights.bin: token table and encoder, with config and manifest holding the vocabulary sha256) and the training state',
    },
  },
  resources: { cpu: 2, memoryGb: 4, gpu: true },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    const {
      tokensPath,
      vocabularyPath,
      vocabulary: v,
      sets,
    } = await readAtacformerTokens(ctx.inputs, STAGE);
    const vocab = vocabularySize(v);
    const config = atacformerConfig(p.size, vocab, {
      embeddingInitStd: p.embeddingInitStd,
      ...(p.contextLength > 0 ? { contextLength: p.contextLength } : {}),
    });
    const inputs = atacformerInputs(sets, vocab, config.contextLength, p.seed, tokensPath);
    if (inputs.empty.length > 0)
      ctx.log.warn(`${inputs.empty.length} cells with zero tokens left out of pretraining`);
    ctx.log.info(
      `Atacformer ${p.size} pretraining on ${inputs.sets.barcodes.length} cells, ${inputs.sets.tokens.length} tokens (vocabulary ${vocab}, context ${config.contextLength}); backend ${backend.name}`,
    );
    const dir = ctx.outputs.checkpoint as string;
    const r = await trainAtacformer(inputs.sets, {
      config,
      seed: p.seed,
      epochs: p.epochs,
      patience: p.patience,
      batchSize: p.batchSize,
      learningRate: p.learningRate,
      valFraction: p.valFraction,
      ...stageFitControls(ctx, dir),
    });
    const metrics = {
      bestValLoss: r.bestValLoss,
      bestEpoch: r.bestEpoch,
      epochsRun: r.history.length,
      trainCells: r.trainCells,
      valCells: r.valCells,
      emptyCells: inputs.empty.length,
    };
    await saveAtacformerModel(dir, r.model, {
      stage: STAGE,
      vocabularyHash: vocabularyHash(v),
      dataHashes: {
        tokens: await hashFile(tokensPath),
        vocabulary: await hashFile(vocabularyPath),
      },
      metrics,
      bestEpoch: r.bestEpoch,
    });
    r.model.dispose();
    // Throughput in the run's manifest only: the checkpoint holds no wall time.
    return { backend: backend.name, metrics: { ...metrics, tokensPerSecond: r.tokensPerSecond } };
  },
});
