import { ChromflowError, defineStage, writeTable } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { loadGetModel, mergeGetLora } from '../get/checkpoint.js';
import {
  getMetrics,
  getMetricsToTable,
  getPredictionsToTable,
  labelGenes,
  predictGet,
} from '../get/predict.js';
import { allSamples } from '../get/samples.js';
import { getTableInputs, readGetStageData } from '../get/stage-inputs.js';

export interface GetPredictParams {
  cellTypes: string[];
  batchSize: number;
}

/** `models.get-predict`: a GET checkpoint's predictions for every window × cell type, with observed values and metrics. */
export const getPredict = defineStage<GetPredictParams>({
  name: 'models.get-predict',
  version: '1',
  description:
    'Predictions of a GET checkpoint (a LoRA checkpoint with its adapters merged into the base) per (window region, strand, cell type) with the observed values and TSS mask, and Pearson, Spearman and R² per cell type on TSS regions and per gene.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      cellTypes: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description: 'cell types to predict (default: all in the inputs)',
      },
      batchSize: { type: 'integer', minimum: 1, default: 8, description: 'windows per batch' },
    },
  },
  inputs: {
    ...getTableInputs,
    checkpoint: {
      kind: 'directory',
      type: 'get-checkpoint',
      description: 'models.get-finetune checkpoint',
    },
  },
  outputs: {
    predictions: {
      kind: 'table',
      type: 'get-predictions',
      description: 'cell_type, window, row, position, strand, predicted, observed, tss',
    },
    metrics: {
      kind: 'table',
      type: 'get-metrics',
      description: 'per cell type: Pearson, Spearman, R² on TSS regions and per gene',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    const d = await readGetStageData(ctx.inputs, 'models.get-predict');
    const loaded = await loadGetModel(ctx.inputs['checkpoint']!);
    const model = loaded.model.config.lora ? mergeGetLora(loaded.model) : loaded.model;
    if (model !== loaded.model) loaded.model.dispose();
    const types =
      p.cellTypes.length === 0
        ? undefined
        : p.cellTypes.map((t) => {
            const i = d.arrays.cellTypes.indexOf(t);
            if (i < 0)
              throw new ChromflowError('PARAM', 'cell type not in the inputs', {
                field: 'cellTypes',
                expected: d.arrays.cellTypes.join(', '),
                found: t,
              });
            return i;
          });
    const pred = predictGet(model, d.arrays, allSamples(d.arrays, types), p.batchSize);
    model.dispose();
    const m = getMetrics(pred, d.arrays, labelGenes(d.labels, d.arrays.nRegions));
    await writeTable(ctx.outputs.predictions as string, getPredictionsToTable(pred, d.arrays));
    await writeTable(ctx.outputs.metrics as string, getMetricsToTable(m));
    ctx.log.info(
      `Pearson on TSS regions: ${m.map((x) => `${x.cellType} ${x.regions.pearson.toFixed(3)}`).join(', ')}`,
    );
    const metrics: Record<string, number> = {};
    for (const x of m) metrics[`pearson:${x.cellType}`] = x.regions.pearson;
    return { backend: backend.name, metrics };
  },
});
