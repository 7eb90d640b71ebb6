import { ChromflowError, defineStage, hashFile, writeTable } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { readCellLabels } from '@chromflow/atac-pseudobulk';
import {
  loadAtacformerModel,
  requireCheckpointVocabulary,
  saveAtacformerModel,
} from '../atacformer/checkpoint.js';
import { finetuneAtacformerTriplet } from '../atacformer/finetune-triplet.js';
import { cellTypePredictionsToTable, cellTypeProbabilities } from '../atacformer/classifier.js';
import { embedAtacformer } from '../atacformer/embed.js';
import { atacformerInputs } from '../atacformer/inputs.js';
import { atacformerTokenPorts, readAtacformerTokens } from '../atacformer/stage-inputs.js';
import { runAtacformerBatchMode } from './atacformer-batch-mode.js';
import { fitLengthParams, stageFitControls } from './stage-fit-controls.js';

export interface AtacformerFinetuneParams {
  labelColumn: string;
  epochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  valFraction: number;
  mode: 'cell-type' | 'batch';
  batchColumn: string;
  adversaryWeight: number;
  reversal: number;
  unfrozenLayers: number;
  crossEntropyWeight: number;
  selectBy: 'loss' | 'accuracy';
  seed: number;
}

const STAGE = 'models.atacformer-finetune';

/** `models.atacformer-finetune`: cell-type fine-tune (triplet loss) of a pretrained Atacformer. */
export const atacformerFinetune = defineStage<AtacformerFinetuneParams>({
  name: STAGE,
  version: '2',
  description:
    "Atacformer's cell-type fine-tune: triplet margin loss (margin 1, p 2) on the mean-pooled embeddings of labelled cells (anchor, a cell of its type, a cell of another type) plus, jointly, a classification head (Linear on the mean-pooled embedding, softmax cross-entropy on the same cells, weighted by crossEntropyWeight), the whole model trained from the pretrained checkpoint; best weights by the loss of held-out labelled cells (or, selectBy 'accuracy', by the head's accuracy on them), resumable. Cells without a label or without tokens are not trained on. Outputs a checkpoint models.atacformer-embed reads (with the head, the embed stage adds the predictions to its h5ad obs) and every tokenized cell's predicted type with probabilities.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      labelColumn: {
        type: 'string',
        default: 'cell_type',
        description: 'column of the labels table holding the cell type',
      },
      ...fitLengthParams(10, 3),
      batchSize: { type: 'integer', minimum: 1, default: 16, description: 'triplets per batch' },
      learningRate: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 5e-4,
        description: 'peak rate after the warm-up epoch',
      },
      valFraction: {
        type: 'number',
        minimum: 0,
        maximum: 0.5,
        default: 0.1,
        description: 'fraction of labelled cells held out for the validation loss',
      },
      crossEntropyWeight: {
        type: 'number',
        minimum: 0,
        default: 1,
        description:
          'weight of the classification head cross-entropy added to the triplet loss (0: triplet only, no head and no predictions)',
      },
      selectBy: {
        type: 'string',
        enum: ['loss', 'accuracy'],
        default: 'loss',
        description:
          "what picks the best epoch on the held-out labelled cells: 'loss' (triplet + weighted CE) or 'accuracy' (the head's; needs crossEntropyWeight > 0; on Granja at lr 5e-3 the loss rose after epoch 1 while the head's validation accuracy kept rising, to 0.72 on held-out cells)",
      },
      seed: { type: 'integer', default: 0, description: 'split, shuffling, triplets' },
      mode: {
        type: 'string',
        enum: ['cell-type', 'batch'],
        default: 'cell-type',
        description:
          "'cell-type': the fine-tune above; 'batch': batch correction, a gradient-reversal batch adversary on the mean-pooled embedding plus RTD with batch-conditional replacements, last unfrozenLayers blocks trained, best by held-out batch-mixing error + RTD loss (labels = batchColumn)",
      },
      batchColumn: {
        type: 'string',
        default: 'batch',
        description: "mode 'batch': column of the labels table holding each cell's batch",
      },
      adversaryWeight: {
        type: 'number',
        minimum: 0,
        default: 1,
        description: "mode 'batch': λ, weight of the adversary's cross-entropy",
      },
      reversal: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description:
          "mode 'batch': GRL α, the encoder gets −α times the adversary's gradient (the reference's 1 let the encoder outrun the adversary here; models README)",
      },
      unfrozenLayers: {
        type: 'integer',
        minimum: 1,
        default: 2,
        description: "mode 'batch': encoder blocks trained, from the last (token table frozen)",
      },
    },
  },
  inputs: {
    checkpoint: {
      kind: 'directory',
      type: 'atacformer-checkpoint',
      description: 'models.atacformer-pretrain checkpoint',
    },
    ...atacformerTokenPorts,
    labels: {
      kind: 'file',
      type: 'cell-labels',
      description: 'TSV with a barcode column and the label column (e.g. test-data/cells.tsv)',
    },
  },
  outputs: {
    checkpoint: {
      kind: 'directory',
      type: 'atacformer-checkpoint',
      description:
        'the fine-tuned Atacformer (same format as the pretrained one, plus the cell-type head) and the training state',
    },
    predictions: {
      kind: 'table',
      type: 'atacformer-cell-types',
      description:
        "barcode, label (given; '' when unlabelled), split (train | val | unlabelled), predicted_cell_type, probability, prob_<type> (float32) per type; with crossEntropyWeight 0 no rows",
    },
  },
  resources: { cpu: 2, memoryGb: 4, gpu: true },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    const labelsPath = ctx.inputs['labels']!;
    const { tokensPath, sets } = await readAtacformerTokens(ctx.inputs, STAGE);
    const { model: pretrained, manifest } = await loadAtacformerModel(ctx.inputs['checkpoint']!);
    try {
      requireCheckpointVocabulary(manifest, sets.vocabularyHash, tokensPath);
      const c = pretrained.config;
      const inputs = atacformerInputs(sets, c.vocabSize, c.contextLength, p.seed, tokensPath);
      if (p.mode === 'batch') {
        const metrics = await runAtacformerBatchMode(ctx, STAGE, inputs.sets, pretrained, manifest);
        return { backend: backend.name, metrics };
      }
      const table = await readCellLabels(labelsPath, { labelColumn: p.labelColumn });
      const byBarcode = new Map(table.barcodes.map((b, i) => [b, table.labels![i]!]));
      const labels = inputs.sets.barcodes.map((b) => byBarcode.get(b) ?? '');
      const labelled = labels.filter((l) => l !== '').length;
      if (labelled === 0) {
        throw new ChromflowError('VALUE', 'no tokenized cell has a label', {
          path: labelsPath,
          field: 'barcode',
          expected: 'barcodes of the token table',
          found: `${table.barcodes.length} labelled barcodes, none among the ${inputs.sets.barcodes.length} cells`,
        });
      }
      ctx.log.info(
        `Atacformer triplet fine-tune on ${labelled} labelled cells of ${inputs.sets.barcodes.length}; backend ${backend.name}`,
      );
      const dir = ctx.outputs.checkpoint as string;
      const r = await finetuneAtacformerTriplet(inputs.sets, labels, {
        pretrained,
        seed: p.seed,
        epochs: p.epochs,
        patience: p.patience,
        batchSize: p.batchSize,
        learningRate: p.learningRate,
        valFraction: p.valFraction,
        crossEntropyWeight: p.crossEntropyWeight,
        selectBy: p.selectBy,
        ...stageFitControls(ctx, dir),
      });
      const metrics = {
        bestValLoss: r.bestValLoss,
        bestEpoch: r.bestEpoch,
        epochsRun: r.history.length,
        trainCells: r.trainCells,
        valCells: r.valCells,
        unlabelledCells: inputs.sets.barcodes.length - labelled,
      };
      await saveAtacformerModel(
        dir,
        r.model,
        {
          stage: STAGE,
          vocabularyHash: manifest.vocabularyHash,
          dataHashes: {
            ...manifest.dataHashes,
            labels: await hashFile(labelsPath),
            pretrained: await hashFile(`${ctx.inputs['checkpoint']!}/weights.bin`),
          },
          metrics,
          bestEpoch: r.bestEpoch,
        },
        r.head,
      );
      // Every tokenized cell's predicted type, marked by its part in the fine-tune.
      const n = inputs.sets.barcodes.length;
      const head = r.head ?? {
        classes: [],
        kernel: new Float32Array(0),
        bias: new Float32Array(0),
      };
      const pred = r.head
        ? cellTypeProbabilities(r.head, embedAtacformer(r.model, inputs.sets).cells, n)
        : {
            probabilities: new Float32Array(0),
            predicted: [],
            maxProbability: new Float32Array(0),
          };
      const rows = r.head ? inputs.sets.barcodes : [];
      const valSet = new Set(r.valBarcodes);
      await writeTable(
        ctx.outputs.predictions as string,
        cellTypePredictionsToTable(rows, head, pred, {
          label: rows.map((_, i) => labels[i]!),
          split: rows.map((b, i) =>
            labels[i] === '' ? 'unlabelled' : valSet.has(b) ? 'val' : 'train',
          ),
        }),
      );
      if (r.head) {
        let ok = 0;
        let val = 0;
        inputs.sets.barcodes.forEach((b, i) => {
          if (valSet.has(b)) {
            val++;
            if (pred.predicted[i] === labels[i]) ok++;
          }
        });
        if (val > 0) Object.assign(metrics, { valAccuracy: ok / val });
      }
      r.model.dispose();
      return { backend: backend.name, metrics };
    } finally {
      pretrained.dispose();
    }
  },
});
