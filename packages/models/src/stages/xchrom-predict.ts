import { ChromflowError, defineStage, writeTable } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { readXChromPredictionInputs } from '../data/read-xchrom-prediction-inputs.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CELLS_DIR, loadXChromModel } from '../checkpoint/xchrom-checkpoint.js';
import { predictXChrom } from '../xchrom/predict.js';
import { predictionsToTable } from '../xchrom/predictions-table.js';

export interface XChromPredictParams {
  minProbability: number;
  weights: 'unseen-cells' | 'unseen-peaks';
}

export const xchromPredict = defineStage<XChromPredictParams>({
  name: 'models.xchrom-predict',
  version: '3',
  description:
    'Predicts per-cell accessibility of any sequences (cross-peak) in any cells from their RNA embedding alone (cross-cell) with a trained XChrom checkpoint.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      minProbability: {
        type: 'number',
        minimum: 0,
        maximum: 1,
        default: 0,
        description: 'drop (region, cell) rows below this probability (0 keeps every entry)',
      },
      weights: {
        type: 'string',
        enum: ['unseen-cells', 'unseen-peaks'],
        default: 'unseen-cells',
        description:
          "which kept weights predict: those selected on validation cells (for cells without ATAC; the checkpoint's cells/, falling back to the main model when training had no validation cells) or those selected on validation peaks (for new sequences)",
      },
    },
  },
  inputs: {
    checkpoint: {
      kind: 'directory',
      type: 'xchrom-checkpoint',
      description: 'written by models.xchrom-train',
    },
    sequences: {
      kind: 'table',
      type: 'sequence-codes',
      description: 'windows to predict (same length as in training)',
    },
    embedding: {
      kind: 'table',
      type: 'cell-embedding',
      description: 'cells to predict: RNA embedding and b_zscore',
    },
  },
  outputs: {
    predictions: {
      kind: 'table',
      type: 'xchrom-predictions',
      description: 'long table cell, region, region_name, probability',
    },
  },
  resources: { cpu: 2, memoryGb: 4, gpu: true },
  async run(ctx) {
    const backend = await initBackend({ quiet: true });
    const need = (port: string): string => {
      const path = ctx.inputs[port];
      if (!path)
        throw new ChromflowError('STAGE', `input '${port}' is not wired`, {
          stage: 'models.xchrom-predict',
          field: port,
        });
      return path;
    };
    const checkpoint = need('checkpoint');
    const forCells = join(checkpoint, CELLS_DIR);
    const useCells =
      ctx.params.weights === 'unseen-cells' && existsSync(join(forCells, 'model.json'));
    const { model } = await loadXChromModel(useCells ? forCells : checkpoint);
    ctx.log.info(
      `weights selected on validation ${useCells ? 'cells' : 'peaks'} (${useCells ? forCells : checkpoint})`,
    );
    const { seq, barcodes, emb } = await readXChromPredictionInputs(
      model.config,
      need('sequences'),
      need('embedding'),
    );
    ctx.log.info(
      `predicting ${seq.names.length} regions × ${barcodes.length} cells on ${backend.name}`,
    );
    const probs = await predictXChrom(model, seq.codes, emb.cellInputs, emb.depth, ctx.signal);
    model.dispose();
    const regionIdx = Int32Array.from({ length: seq.names.length }, (_, i) => i);
    const table = predictionsToTable(
      probs,
      regionIdx,
      seq.names,
      barcodes,
      ctx.params.minProbability,
    );
    await writeTable(ctx.outputs.predictions as string, table);
    return {
      backend: backend.name,
      metrics: { rows: table.numRows, regions: seq.names.length, cells: barcodes.length },
    };
  },
});
