import { defineStage, makeTable, writeTable } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { openBigWig, writeBigWig } from '@chromflow/genome-io';
import { loadClasterModel } from '../claster/checkpoint.js';
import { clasterLocality } from '../claster/locality.js';
import {
  clasterAgreement,
  clasterPredictionsTable,
  clasterProfilesTrack,
  predictClaster,
} from '../claster/predict.js';
import {
  clasterSampleInputs,
  readClasterStageData,
  splitIndices,
} from '../claster/stage-inputs.js';

export interface ClasterPredictParams {
  batchSize: number;
  geneHalfWidth: number;
  localityGenes: number;
  localityHalfWidthKb: number;
}

/** `models.claster-predict`: profiles per gene (Parquet + bigWig), Pearson per split, locality. */
export const clasterPredict = defineStage<ClasterPredictParams>({
  name: 'models.claster-predict',
  version: '1',
  description:
    "A CLASTER checkpoint's 401 × 1 kbp profiles for every gene (long Parquet table with the observed values, and a bigWig track, overlapping windows averaged), bin- and gene-level Pearson per split, and gradient × input locality (share of attribution within ± the given kbp of the TSS) on test genes.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      batchSize: { type: 'integer', minimum: 1, default: 16, description: 'genes per batch' },
      geneHalfWidth: {
        type: 'integer',
        minimum: 0,
        default: 10,
        description: "target bins each side of the TSS bin summed into a gene's level",
      },
      localityGenes: {
        type: 'integer',
        minimum: 0,
        default: 16,
        description:
          'test genes (first in table order) whose gradient × input is summarised (0: none)',
      },
      localityHalfWidthKb: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 10,
        description:
          'locality window: share of |gradient × input| within ± this many kbp of the TSS',
      },
    },
  },
  inputs: {
    ...clasterSampleInputs,
    checkpoint: {
      kind: 'directory',
      type: 'claster-checkpoint',
      description: 'models.claster-train checkpoint',
    },
    reference: {
      kind: 'file',
      type: 'bigwig',
      description:
        'a bigWig of the same genome (e.g. the target track): chromosome names and lengths of the output track',
    },
  },
  outputs: {
    predictions: {
      kind: 'table',
      type: 'claster-predictions',
      description:
        'gene, chromosome, strand, split, offset_kb, predicted, observed (one row per gene × bin)',
    },
    track: {
      kind: 'file',
      type: 'bigwig',
      extension: '.bw',
      description: 'predicted nascent transcription at 1 kbp (overlapping gene windows averaged)',
    },
    metrics: {
      kind: 'table',
      type: 'claster-metrics',
      description:
        'split, metric, value: Pearson (bin, gene, mean profile) per split; locality shares by distance',
    },
  },
  resources: { cpu: 1, memoryGb: 2, gpu: true },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    const d = await readClasterStageData(ctx.inputs, 'models.claster-predict', false);
    const { model } = await loadClasterModel(ctx.inputs['checkpoint']!);
    const a = d.arrays;
    const o = model.config.outputs;
    const all = Int32Array.from(d.rows.keys());
    const pred = predictClaster(model, a, all, p.batchSize);
    await writeTable(
      ctx.outputs.predictions as string,
      clasterPredictionsTable(d.rows, pred, a.targets, o),
    );
    const ref = await openBigWig(ctx.inputs['reference']!);
    const track = clasterProfilesTrack(d.rows, pred, o, ref.chroms);
    await writeBigWig(ctx.outputs.track as string, track);
    const split: string[] = [];
    const metric: string[] = [];
    const value: number[] = [];
    const metrics: Record<string, number> = {};
    const put = (s: string, k: string, v: number): void => {
      split.push(s);
      metric.push(k);
      value.push(v);
      metrics[`${k}:${s}`] = v;
    };
    if (a.targets) {
      for (const s of ['train', 'validation', 'test']) {
        const idx = splitIndices(d.rows, s);
        if (idx.length === 0) continue;
        const take = (x: Float32Array): Float32Array => {
          const out = new Float32Array(idx.length * o);
          idx.forEach((g, i) => out.set(x.subarray(g * o, (g + 1) * o), i * o));
          return out;
        };
        const m = clasterAgreement(take(pred), take(a.targets), o, p.geneHalfWidth);
        put(s, 'genes', m.genes);
        put(s, 'binPearson', m.binPearson);
        put(s, 'genePearson', m.genePearson);
        put(s, 'meanProfilePearson', m.meanProfilePearson);
      }
    }
    const test = splitIndices(d.rows, 'test');
    const locIdx = (test.length > 0 ? test : all).subarray(0, p.localityGenes);
    if (locIdx.length > 0) {
      // Landscape bin size from the window: ±500 kbp over the bins (100 bp at CLASTER's 10,001).
      const binBp = 1_000_000 / (a.nBins - 1);
      const hw = Math.round((p.localityHalfWidthKb * 1000) / binBp);
      const loc = clasterLocality(model, a, locIdx, {
        halfWidthBins: hw,
        geneHalfWidth: p.geneHalfWidth,
        batchSize: Math.min(8, p.batchSize),
      });
      put('locality', 'shareWithinHalfWidth', loc.meanShare);
      loc.byDistance.edges.forEach((e, i) =>
        put(
          'locality',
          `shareBelow${Math.round((e * binBp) / 100) / 10}kb`,
          loc.byDistance.share[i]!,
        ),
      );
      ctx.log.info(
        `gradient × input within ±${p.localityHalfWidthKb} kbp of the TSS: ${loc.meanShare.toFixed(3)} (${locIdx.length} genes)`,
      );
    }
    model.dispose();
    await writeTable(
      ctx.outputs.metrics as string,
      makeTable({ split, metric, value: Float64Array.from(value) }, 'claster-metrics'),
    );
    if (metrics['binPearson:test'] !== undefined)
      ctx.log.info(
        `test Pearson: bin ${metrics['binPearson:test'].toFixed(3)}, gene ${metrics['genePearson:test']!.toFixed(3)}`,
      );
    return { backend: backend.name, metrics };
  },
});
