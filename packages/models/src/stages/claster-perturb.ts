import { ChromflowError, defineStage, makeTable, writeTable } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { loadClasterModel } from '../claster/checkpoint.js';
import { perturbClaster, type ClasterPerturbation } from '../claster/perturb.js';
import { clasterSampleInputs, readClasterStageData } from '../claster/stage-inputs.js';

interface PerturbationParam {
  name: string;
  tracks: string[];
  from: number;
  to: number;
  mode: 'zero' | 'background';
}

/** The schema's items are plain objects: their fields are checked here. */
function checkPerturbation(q: PerturbationParam, i: number): void {
  const bad = (field: string, expected: string, found: unknown): never => {
    throw new ChromflowError('PARAM', 'invalid perturbation', {
      field: `perturbations[${i}].${field}`,
      expected,
      found: JSON.stringify(found),
    });
  };
  const known = ['name', 'tracks', 'from', 'to', 'mode'];
  for (const k of Object.keys(q)) if (!known.includes(k)) bad(k, `one of ${known.join(', ')}`, k);
  if (typeof q.name !== 'string' || q.name === '') bad('name', 'a non-empty string', q.name);
  if (
    !Array.isArray(q.tracks) ||
    q.tracks.length === 0 ||
    q.tracks.some((t) => typeof t !== 'string')
  )
    bad('tracks', 'a non-empty list of track names', q.tracks);
  if (!Number.isInteger(q.from))
    bad('from', 'an integer (landscape bins from the TSS bin)', q.from);
  if (!Number.isInteger(q.to) || q.to < q.from) bad('to', `an integer ≥ from (${q.from})`, q.to);
  if (q.mode !== undefined && q.mode !== 'zero' && q.mode !== 'background')
    bad('mode', "'zero' or 'background'", q.mode);
}

export interface ClasterPerturbParams {
  perturbations: PerturbationParam[];
  splits: string[];
  geneHalfWidth: number;
  batchSize: number;
}

/** `models.claster-perturb`: in-silico silencing of marks in chosen bins; predicted change per gene. */
export const clasterPerturb = defineStage<ClasterPerturbParams>({
  name: 'models.claster-perturb',
  version: '1',
  description:
    "CLASTER's perturbation screen: chosen marks silenced (set to 0, or to the mark's mean over the genes screened) over chosen landscape bins around each TSS; the trained model's predicted gene level before and after, per gene and perturbation.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      perturbations: {
        type: 'array',
        default: [
          { name: 'promoter-H3K4me3', tracks: ['H3K4me3'], from: -15, to: 15, mode: 'zero' },
          { name: 'promoter-ATAC', tracks: ['ATAC'], from: -3, to: 3, mode: 'zero' },
          {
            name: 'H3K27me3-background',
            tracks: ['H3K27me3'],
            from: -50,
            to: 50,
            mode: 'background',
          },
        ],
        description:
          'each {name, tracks (names as in the samples), from, to (landscape bins from the TSS bin, gene orientation, inclusive), mode zero | background}',
        items: { type: 'object' },
      },
      splits: {
        type: 'array',
        items: { type: 'string', enum: ['train', 'validation', 'test'] },
        default: ['test'],
        description: 'genes screened',
      },
      geneHalfWidth: {
        type: 'integer',
        minimum: 0,
        default: 10,
        description: "target bins each side of the TSS bin summed into a gene's level",
      },
      batchSize: { type: 'integer', minimum: 1, default: 16, description: 'genes per batch' },
    },
  },
  inputs: {
    ...clasterSampleInputs,
    checkpoint: {
      kind: 'directory',
      type: 'claster-checkpoint',
      description: 'models.claster-train checkpoint',
    },
  },
  outputs: {
    effects: {
      kind: 'table',
      type: 'claster-perturbations',
      description:
        'perturbation, gene, chromosome, strand, split, baseline, perturbed, change, log2_ratio',
    },
  },
  resources: { cpu: 1, memoryGb: 2, gpu: true },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    const d = await readClasterStageData(ctx.inputs, 'models.claster-perturb', false);
    p.perturbations.forEach(checkPerturbation);
    const perts: ClasterPerturbation[] = p.perturbations.map((q, i) => ({
      name: q.name,
      from: q.from,
      to: q.to,
      mode: q.mode ?? 'zero',
      tracks: q.tracks.map((t) => {
        const k = d.tracks.indexOf(t);
        if (k < 0)
          throw new ChromflowError('PARAM', 'perturbation names a track the samples lack', {
            field: `perturbations[${i}].tracks`,
            expected: d.tracks.join(', '),
            found: t,
          });
        return k;
      }),
    }));
    const idx = Int32Array.from(d.rows.flatMap((r, i) => (p.splits.includes(r.split) ? [i] : [])));
    const { model } = await loadClasterModel(ctx.inputs['checkpoint']!);
    const res = perturbClaster(model, d.arrays, idx, perts, {
      geneHalfWidth: p.geneHalfWidth,
      batchSize: p.batchSize,
    });
    model.dispose();
    const cols = {
      perturbation: [] as string[],
      gene: [] as string[],
      chromosome: [] as string[],
      strand: [] as string[],
      split: [] as string[],
      baseline: [] as number[],
      perturbed: [] as number[],
      change: [] as number[],
      log2_ratio: [] as number[],
    };
    const metrics: Record<string, number> = { genes: idx.length };
    for (const r of res) {
      let sum = 0;
      idx.forEach((g, i) => {
        const row = d.rows[g]!;
        const b = r.baseline[i]!;
        const q = r.perturbed[i]!;
        cols.perturbation.push(r.name);
        cols.gene.push(row.gene);
        cols.chromosome.push(row.chromosome);
        cols.strand.push(row.strand);
        cols.split.push(row.split);
        cols.baseline.push(b);
        cols.perturbed.push(q);
        cols.change.push(q - b);
        // Gene levels can be ≤ 0 (a regression output): the ratio is taken on max(·, 1e-6).
        cols.log2_ratio.push(Math.log2(Math.max(q, 1e-6) / Math.max(b, 1e-6)));
        sum += q - b;
      });
      metrics[`meanChange:${r.name}`] = idx.length ? sum / idx.length : NaN;
    }
    await writeTable(
      ctx.outputs.effects as string,
      makeTable(
        {
          ...cols,
          baseline: Float64Array.from(cols.baseline),
          perturbed: Float64Array.from(cols.perturbed),
          change: Float64Array.from(cols.change),
          log2_ratio: Float64Array.from(cols.log2_ratio),
        },
        'claster-perturbations',
      ),
    );
    ctx.log.info(
      `${res.length} perturbations × ${idx.length} genes: ${res.map((r) => `${r.name} ${metrics[`meanChange:${r.name}`]!.toFixed(3)}`).join(', ')}`,
    );
    return { backend: backend.name, metrics };
  },
});
