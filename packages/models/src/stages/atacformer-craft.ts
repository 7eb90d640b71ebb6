import { Float32, Table, Utf8, makeVector, vectorFromArray, type Vector } from 'apache-arrow';
import { defineStage, hashFile, withEncoding, writeTable } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import {
  describePairing,
  hashAnnDataContent,
  readH5ad,
  writeH5ad,
} from '@chromflow/cell-embedding';
import { loadAtacformerModel, requireCheckpointVocabulary } from '../atacformer/checkpoint.js';
import { saveCraftModel } from '../atacformer/craft-checkpoint.js';
import { embedCraft } from '../atacformer/craft-embed.js';
import { craftInputs } from '../atacformer/craft-inputs.js';
import { atacformerInputs } from '../atacformer/inputs.js';
import { atacformerTokenPorts, readAtacformerTokens } from '../atacformer/stage-inputs.js';
import { partnerRetrieval } from '../atacformer/partner-retrieval.js';
import { finiteSummary, perGenePearson } from '../atacformer/per-gene-pearson.js';
import { trainCraft } from '../atacformer/train-craft.js';
import { splitAtacformerCells } from '../atacformer/train-atacformer.js';
import { fitLengthParams, stageFitControls } from './stage-fit-controls.js';

export interface AtacformerCraftParams {
  hvgOnly: boolean;
  rnaHidden: number;
  projectionDim: number;
  decoderHidden: number;
  imputeWeight: number;
  epochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  valFraction: number;
  seed: number;
}

const STAGE = 'models.atacformer-craft';
export const ATACFORMER_CRAFT_ENCODING = 'atacformer-craft-joint';

/** barcode, atac_joint1…P, rna_joint1…P (float32, L2-normalised). */
function jointTable(barcodes: string[], atac: Float32Array, rna: Float32Array, p: number): Table {
  const cols: Record<string, Vector> = { barcode: vectorFromArray(barcodes, new Utf8()) };
  for (const [prefix, x] of [
    ['atac_joint', atac],
    ['rna_joint', rna],
  ] as const) {
    for (let c = 0; c < p; c++) {
      cols[`${prefix}${c + 1}`] = makeVector({
        type: new Float32(),
        data: Float32Array.from(barcodes, (_, i) => x[i * p + c]!),
      });
    }
  }
  return withEncoding(new Table(cols), ATACFORMER_CRAFT_ENCODING, '1');
}

/** `models.atacformer-craft`: contrastive RNA–ATAC fine-tune (CRAFT) and RNA imputation from ATAC. */
export const atacformerCraft = defineStage<AtacformerCraftParams>({
  name: STAGE,
  version: '3',
  description:
    "CRAFT: contrastive RNA–ATAC fine-tune of a pretrained Atacformer on paired multiome cells (matched by barcode). ATAC side: the Atacformer's mean-pooled cell embedding; RNA side: cell-embedding's normalised expression (log1p CP10k) through a 2-layer MLP; both projected to a shared space, symmetric CLIP loss with a learnable temperature (ln(1/0.07) at start). An MLP decodes the normalised expression from the ATAC projection (MSE, weighted by imputeWeight; its output bias starts at the training cells' mean). The whole model trains on fit (resumable); best weights by the loss of held-out cells, on which partner-retrieval top-1/top-10 and per-gene Pearson of the imputation are reported. Cells in one modality only, or without tokens, are left out.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      hvgOnly: {
        type: 'boolean',
        default: true,
        description: "RNA genes: var['highly_variable'] of the h5ad when it has one, else all",
      },
      rnaHidden: { type: 'integer', minimum: 1, default: 128, description: 'RNA MLP width' },
      projectionDim: {
        type: 'integer',
        minimum: 1,
        default: 64,
        description: 'shared space (the paper: 512)',
      },
      decoderHidden: { type: 'integer', minimum: 1, default: 128, description: 'decoder width' },
      imputeWeight: {
        type: 'number',
        minimum: 0,
        default: 1,
        description: 'weight of the imputation MSE next to the CLIP loss',
      },
      ...fitLengthParams(20, 5),
      batchSize: {
        type: 'integer',
        minimum: 2,
        default: 32,
        description: "paired cells per batch (each cell's negatives: the others)",
      },
      learningRate: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 1e-3,
        description: 'peak rate after the warm-up epoch',
      },
      valFraction: {
        type: 'number',
        minimum: 0,
        maximum: 0.5,
        default: 0.2,
        description: 'fraction of paired cells held out (selection and the reported metrics)',
      },
      seed: { type: 'integer', default: 0, description: 'split, shuffling, initial heads' },
    },
  },
  inputs: {
    checkpoint: {
      kind: 'directory',
      type: 'atacformer-checkpoint',
      description: 'models.atacformer-pretrain (or -finetune) checkpoint',
    },
    ...atacformerTokenPorts,
    rna: {
      kind: 'file',
      type: 'h5ad',
      description:
        'cell-embedding.rna-normalise h5ad of the same cells (X = log1p CP10k, barcodes as obs index)',
    },
  },
  outputs: {
    checkpoint: {
      kind: 'directory',
      type: 'atacformer-craft-checkpoint',
      description:
        'atacformer/ (the fine-tuned encoder, an Atacformer checkpoint models.atacformer-embed reads), craft/ (RNA encoder, projections, temperature, decoder, genes, manifest) and the training state',
    },
    joint: {
      kind: 'table',
      type: ATACFORMER_CRAFT_ENCODING,
      description: 'barcode, atac_joint1…P, rna_joint1…P (float32, L2-normalised) of paired cells',
    },
    h5ad: {
      kind: 'file',
      type: 'h5ad',
      extension: '.h5ad',
      description:
        "paired cells as obs (split: train/val); X = expression imputed from ATAC (cells × genes, log1p CP10k scale); obsm['X_craft_atac'], obsm['X_craft_rna'] the joint embeddings",
    },
  },
  resources: { cpu: 2, memoryGb: 4, gpu: true },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    const { tokensPath, sets } = await readAtacformerTokens(ctx.inputs, STAGE);
    const rnaPath = ctx.inputs['rna']!;
    const { model: pretrained, manifest } = await loadAtacformerModel(ctx.inputs['checkpoint']!);
    try {
      requireCheckpointVocabulary(manifest, sets.vocabularyHash, tokensPath);
      const c = pretrained.config;
      const atac = atacformerInputs(sets, c.vocabSize, c.contextLength, p.seed, tokensPath);
      if (atac.empty.length > 0)
        ctx.log.warn(`${atac.empty.length} cells with zero tokens left out of CRAFT`);
      const rna = await readH5ad(rnaPath);
      const inputs = craftInputs(atac.sets, rna, {
        hvgOnly: p.hvgOnly,
        path: rnaPath,
      });
      const { pairs } = inputs;
      const n = pairs.sets.barcodes.length;
      ctx.log.info(
        `CRAFT on ${describePairing(inputs.pairing)}; ${pairs.genes} genes; backend ${backend.name}`,
      );
      const dir = ctx.outputs.checkpoint as string;
      const r = await trainCraft(pairs, {
        pretrained,
        heads: {
          rnaHidden: p.rnaHidden,
          projectionDim: p.projectionDim,
          decoderHidden: p.decoderHidden,
          imputeWeight: p.imputeWeight,
        },
        seed: p.seed,
        epochs: p.epochs,
        patience: p.patience,
        batchSize: p.batchSize,
        learningRate: p.learningRate,
        valFraction: p.valFraction,
        ...stageFitControls(ctx, dir),
      });
      try {
        const e = embedCraft(r.model, pairs);
        const P = e.projectionDim;
        const G = e.genes;
        // The same split trainCraft made: metrics on the held-out cells only.
        const val = splitAtacformerCells(n, p.valFraction, p.seed).val;
        const isVal = new Uint8Array(n);
        val.forEach((i) => (isVal[i] = 1));
        const pick = (x: Float32Array, w: number): Float32Array => {
          const out = new Float32Array(val.length * w);
          val.forEach((i, k) => out.set(x.subarray(i * w, i * w + w), k * w));
          return out;
        };
        const metrics: Record<string, number> = {
          pairedCells: n,
          rnaOnlyCells: inputs.pairing.rnaOnly.count,
          atacOnlyCells: inputs.pairing.atacOnly.count,
          emptyCells: atac.empty.length,
          genes: G,
          bestValLoss: r.bestValLoss,
          bestEpoch: r.bestEpoch,
          epochsRun: r.history.length,
          trainCells: r.trainCells,
          valCells: r.valCells,
          temperature: Math.exp(-r.model.logitScale.dataSync()[0]!),
        };
        if (val.length >= 2) {
          const ret = partnerRetrieval(pick(e.atac, P), pick(e.rna, P), val.length, P, [1, 10]);
          const rs = finiteSummary(
            perGenePearson(pick(e.imputed, G), pick(pairs.rna, G), val.length, G),
          );
          Object.assign(metrics, {
            valTop1: ret.topK[1]!,
            valTop10: ret.topK[10]!,
            valChanceTop1: ret.chance[1]!,
            valChanceTop10: ret.chance[10]!,
            valImputedGenePearsonMedian: rs.median,
          });
        }
        await saveCraftModel(dir, r.model, inputs.geneNames, {
          stage: STAGE,
          vocabularyHash: manifest.vocabularyHash,
          dataHashes: {
            ...manifest.dataHashes,
            // by content: the h5ad's bytes carry HDF5 write times
            rna: hashAnnDataContent(rna),
            pretrained: await hashFile(`${ctx.inputs['checkpoint']!}/weights.bin`),
          },
          metrics,
          bestEpoch: r.bestEpoch,
        });
        const barcodes = pairs.sets.barcodes;
        await writeTable(ctx.outputs.joint as string, jointTable(barcodes, e.atac, e.rna, P));
        await writeH5ad(ctx.outputs.h5ad as string, {
          X: {
            nRows: n,
            nCols: G,
            indptr: Int32Array.from({ length: n + 1 }, (_, i) => i * G),
            indices: Int32Array.from({ length: n * G }, (_, i) => i % G),
            values: e.imputed,
          },
          obs: {
            index: [...barcodes],
            columns: { split: Array.from(isVal, (x) => (x === 1 ? 'val' : 'train')) },
          },
          var: { index: inputs.geneNames, columns: {} },
          obsm: {
            X_craft_atac: { nRows: n, nCols: P, values: e.atac },
            X_craft_rna: { nRows: n, nCols: P, values: e.rna },
          },
          uns: { craft_checkpoint_stage: STAGE, imputed_scale: 'log1p CP10k (rna input)' },
        });
        return { backend: backend.name, metrics };
      } finally {
        r.model.dispose();
      }
    } finally {
      pretrained.dispose();
    }
  },
});
