/**
 * CLASTER on `simulate.claster-program` against its truth.json: bin- and
 * gene-level Pearson on the test (and validation) genes beside the truth's
 * references (with and without the annotation) and the constant baseline
 * (the training genes' mean profile), predicted vs true effects of the
 * planted perturbations, and the gradient × input share within ±10 kbp
 * beside the generator's.
 *
 *   npx tsx --conditions=@chromflow/source packages/models/scripts/eval-claster.ts \
 *     <claster-program entry> <claster-inputs entry> <claster-train entry>
 *
 * Each argument is a cache entry folder (the stage's outputs inside).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pearson } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { parseNpy } from '@chromflow/structure-analysis';
import {
  clasterLocality,
  loadClasterModel,
  perturbLandscapes,
  predictClaster,
  readClasterStageData,
  splitIndices,
} from '../src/index.js';

interface Truth {
  reference: Record<string, { binPearson: number; genePearson: number }>;
  /** truth.json version 2: the rule without the annotation the windows lack. */
  landscapeReference?: Record<string, { binPearson: number; genePearson: number }>;
  locality: { meanShareWithin10kb: number };
  perturbations: {
    gene: string;
    mark: string;
    landscapeBins: [number, number];
    effect: number;
    kind: string;
  }[];
  genes: { geneId: string; start: number; end: number }[];
}

const [programDir, inputsDir, trainDir] = process.argv.slice(2);
if (!programDir || !inputsDir || !trainDir) {
  console.error(
    'usage: eval-claster.ts <claster-program entry> <claster-inputs entry> <claster-train entry>',
  );
  process.exit(2);
}
const backend = await initBackend({ quiet: true });
const truth = JSON.parse(await readFile(join(programDir, 'truth.json'), 'utf8')) as Truth;
const d = await readClasterStageData(
  { samples: join(inputsDir, 'samples.parquet'), arrays: join(inputsDir, 'arrays') },
  'eval',
  true,
);
const mask = parseNpy(
  new Uint8Array(await readFile(join(inputsDir, 'arrays', 'targets_mask.npy'))),
);
const { model } = await loadClasterModel(join(trainDir, 'checkpoint'));
const o = model.config.outputs;
const c = (o - 1) / 2;
const length = new Map(truth.genes.map((g) => [g.geneId, g.end - g.start]));

/** Bin- and gene-level Pearson of profiles `pred` (row i = sample idx[i]) against the targets. */
function agreement(
  idx: Int32Array,
  pred: ArrayLike<number>,
): { binPearson: number; genePearson: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  const gx: number[] = [];
  const gy: number[] = [];
  idx.forEach((g, i) => {
    // truth.json's gene level: Σ from the TSS bin over ⌊(length − 1)/1 kbp⌋ further bins.
    const extra = Math.floor((length.get(d.rows[g]!.gene)! - 1) / 1000);
    let sp = 0;
    let so = 0;
    for (let k = 0; k < o; k++) {
      const p = pred[i * o + k]!;
      const y = d.arrays.targets![g * o + k]!;
      if (mask.data[g * o + k]) {
        xs.push(p);
        ys.push(y);
      }
      if (k >= c && k <= Math.min(o - 1, c + extra)) {
        sp += p;
        so += y;
      }
    }
    gx.push(sp);
    gy.push(so);
  });
  return { binPearson: pearson(xs, ys), genePearson: pearson(gx, gy) };
}

// The constant baseline: every gene gets the training genes' mean profile. A
// model at this level has learnt the average window shape and nothing gene-specific.
const train = splitIndices(d.rows, 'train');
const meanProfile = new Float64Array(o);
for (const g of train)
  for (let k = 0; k < o; k++) meanProfile[k]! += d.arrays.targets![g * o + k]! / train.length;

const out: Record<string, unknown> = { backend: backend.name };
for (const split of ['validation', 'test']) {
  const idx = splitIndices(d.rows, split);
  const constant = Float64Array.from({ length: idx.length * o }, (_, i) => meanProfile[i % o]!);
  out[split] = {
    genes: idx.length,
    ...agreement(idx, predictClaster(model, d.arrays, idx)),
    constant: agreement(idx, constant),
    reference: truth.reference[split],
    landscapeReference: truth.landscapeReference?.[split],
  };
}

// Planted perturbations: the same bins and mark silenced (0) for the same gene.
const rowOf = new Map(d.rows.map((r, i) => [r.gene, i]));
const predicted: number[] = [];
const trueEffects: number[] = [];
for (const q of truth.perturbations) {
  const g = rowOf.get(q.gene);
  const t = d.tracks.indexOf(q.mark);
  if (g === undefined || t < 0) continue;
  const one = Int32Array.of(g);
  const base = predictClaster(model, d.arrays, one);
  const [lo, hi] = q.landscapeBins;
  const pa = perturbLandscapes(
    d.arrays,
    one,
    {
      name: q.kind,
      tracks: [t],
      from: lo - (d.arrays.nBins - 1) / 2,
      to: hi - 1 - (d.arrays.nBins - 1) / 2,
      mode: 'zero',
    },
    new Float64Array(d.arrays.nTracks),
  );
  const after = predictClaster(model, pa, Int32Array.of(0));
  const extra = Math.floor((length.get(q.gene)! - 1) / 1000);
  let s = 0;
  for (let k = c; k <= Math.min(o - 1, c + extra); k++) s += after[k]! - base[k]!;
  predicted.push(s);
  trueEffects.push(q.effect);
}
out['perturbations'] = {
  n: predicted.length,
  pearson: pearson(predicted, trueEffects),
  signAgreement:
    predicted.filter((p, i) => Math.sign(p) === Math.sign(trueEffects[i]!)).length /
    predicted.length,
};
const loc = clasterLocality(model, d.arrays, splitIndices(d.rows, 'test').subarray(0, 16));
out['locality'] = { shareWithin10kb: loc.meanShare, truth: truth.locality.meanShareWithin10kb };
model.dispose();
console.log(JSON.stringify(out, null, 2));
