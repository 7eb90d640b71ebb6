import { tableFromArrays } from 'apache-arrow';
import { ChromflowError, defineStage, withEncoding, writeTable } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { readMotifs } from '@chromflow/genome-io';
import { writeH5ad } from '@chromflow/cell-embedding';
import { readXChromPredictionInputs } from '@chromflow/models';
import { loadXChromForCells, wiredInput, xchromExplainPorts } from './xchrom-stage-inputs.js';
import { consensusCodes, gcMatchedBackgrounds } from '../motif-backgrounds.js';
import { xchromMotifActivity } from '../xchrom-motif-activity.js';

export type XChromMotifActivityParams = {
  backgrounds: number;
  seed: number;
  motifs: string[];
};

const STAGE = 'attribution.xchrom-motif-activity';

export const xchromMotifActivityStage = defineStage<XChromMotifActivityParams>({
  name: STAGE,
  version: '2',
  description:
    "scBasset-style motif activity per cell on a trained XChrom (unseen-cells weights, so cells with RNA only work): each motif's consensus is written over the centre of GC-matched random backgrounds (each takes the GC fraction of a random input window; seeded), and the per-cell activity is the mean change in logit between inserted and background, z-scored per motif across cells.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      backgrounds: {
        type: 'integer',
        minimum: 1,
        default: 100,
        description: 'background sequences',
      },
      seed: { type: 'integer', default: 0, description: 'seed of the backgrounds' },
      motifs: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description: 'motif ids (or names) to score; empty: every motif of the file',
      },
    },
  },
  inputs: {
    ...xchromExplainPorts,
    motifs: { kind: 'file', type: 'motifs', description: 'a MEME or JASPAR motif file' },
    sequences: {
      kind: 'table',
      type: 'sequence-codes',
      description: 'windows whose GC fractions the backgrounds match (genome-io.peak-windows)',
    },
  },
  outputs: {
    activity: {
      kind: 'table',
      type: 'xchrom-motif-activity',
      description: 'long table barcode, motif, delta_logit, zscore',
    },
    h5ad: {
      kind: 'file',
      type: 'h5ad',
      extension: '.h5ad',
      description:
        "cells × motifs z-scores as X and obsm['motif_activity'], Δlogit in obsm['motif_delta_logit']",
    },
  },
  resources: { cpu: 2, memoryGb: 4, gpu: true },
  async run(ctx) {
    const backend = await initBackend({ quiet: true });
    const need = (port: string): string => wiredInput(ctx.inputs, port, STAGE);
    const { model } = await loadXChromForCells(need('checkpoint'));
    const motifPath = need('motifs');
    const all = (await readMotifs(motifPath)).motifs;
    const wanted = ctx.params.motifs ?? [];
    const chosen =
      wanted.length === 0
        ? all
        : wanted.map((name) => {
            const m = all.find((x) => x.id === name || x.altName === name);
            if (!m)
              throw new ChromflowError('VALUE', `motif '${name}' is not in the motif file`, {
                path: motifPath,
                field: 'motifs',
                expected: `one of ${all.map((x) => x.id).join(', ')}`,
                found: name,
              });
            return m;
          });
    const { seq, barcodes, emb } = await readXChromPredictionInputs(
      model.config,
      need('sequences'),
      need('embedding'),
    );
    const bg = gcMatchedBackgrounds(
      seq.codes,
      seq.seqLength,
      ctx.params.backgrounds,
      ctx.params.seed,
    );
    ctx.log.info(
      `${chosen.length} motifs × ${barcodes.length} cells, ${ctx.params.backgrounds} backgrounds on ${backend.name}`,
    );
    const act = await xchromMotifActivity(
      model,
      bg,
      chosen.map((m) => ({ name: m.id, codes: consensusCodes(m.probabilities, m.width) })),
      emb.cellInputs,
      { signal: ctx.signal },
    );
    model.dispose();
    const C = barcodes.length;
    const M = act.motifs.length;
    await writeTable(
      ctx.outputs.activity as string,
      withEncoding(
        tableFromArrays({
          barcode: Array.from({ length: C * M }, (_, i) => barcodes[Math.floor(i / M)] as string),
          motif: Array.from({ length: C * M }, (_, i) => act.motifs[i % M] as string),
          delta_logit: act.deltaLogit,
          zscore: act.zscore,
        }),
        'xchrom-motif-activity',
        '1',
      ),
    );
    const indptr = Int32Array.from({ length: C + 1 }, (_, i) => i * M);
    const indices = Int32Array.from({ length: C * M }, (_, i) => i % M);
    await writeH5ad(ctx.outputs.h5ad as string, {
      X: { nRows: C, nCols: M, indptr, indices, values: act.zscore },
      obs: { index: barcodes, columns: {} },
      var: { index: act.motifs, columns: {} },
      obsm: {
        motif_activity: { nRows: C, nCols: M, values: act.zscore },
        motif_delta_logit: { nRows: C, nCols: M, values: act.deltaLogit },
      },
      uns: {
        motif_activity_backgrounds: ctx.params.backgrounds,
        motif_activity_seed: ctx.params.seed,
      },
    });
    return { backend: backend.name, metrics: { cells: C, motifs: M } };
  },
});
