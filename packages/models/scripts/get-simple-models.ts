/**
 * Is truth.json's reference reachable from GET's inputs? Ridge models that
 * know the generator's form, fitted on the same leave-out-cell-type split as
 * `eval-get.ts` (train on the other types' TSS labels, test on the left-out
 * type), read only the get-inputs tables:
 *
 * - `neighbourhood`: per motif cluster Σ exp(−d/10 kb)·acc·motif over the
 *   regions within 50 kb of the TSS region (d between region centres), and
 *   the same for every cluster pair (acc·motif_a·motif_b), as the generator;
 * - `own region + window mean`: what a transformer without positions can
 *   tell apart: the TSS region's own acc·motif (and pairs) and the mean over
 *   the ±100 regions around it (it cannot tell near from far);
 * - each without and with a per-gene intercept (`+ gene`): the gene's
 *   baseline learned from the training types (GET can only memorise it from
 *   the region's motif content; it has no gene identity input).
 *
 *   npx tsx --conditions=@chromflow/source packages/models/scripts/get-simple-models.ts \
 *     <get-inputs dir> <truth.json> [out json] [M]
 *
 * `M` > 0 maps the quantitative accessibility column (log10(count/total·1e5
 * + 1) / max) back towards counts, 10^(M·acc) − 1, since the generator is
 * linear in accessibility (M ≈ the log10 of the column's maximum, about 2.5
 * here); 0 (default) uses the column as it is.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pearson, readTable } from '@chromflow/core';
import { int32sOf, stringsOf } from '@chromflow/genome-io';
import { getArraysFromTables } from '../src/index.js';
import { ridge, ridgePredict } from './ridge.js';

const [dir, truthPath, outPath, mArg = '0'] = process.argv.slice(2);
if (!dir || !truthPath)
  throw new Error('usage: get-simple-models.ts <get-inputs dir> <truth.json> [out json]');
const featuresTable = await readTable(join(dir, 'features.parquet'));
const a = getArraysFromTables(
  await readTable(join(dir, 'windows.parquet')),
  featuresTable,
  await readTable(join(dir, 'labels.parquet')),
);
const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as {
  leftOutCellType: string;
  parameters: { decayLength: number; maxDistance: number };
  reference: {
    leftOutPearson: number;
    leftOutPearsonLearnedBaselines: number;
    leftOutPearsonKnownBaselines: number;
  };
};
const { decayLength, maxDistance } = truth.parameters;
const chrom = stringsOf(featuresTable, 'chrom');
const starts = int32sOf(featuresTable, 'start');
const ends = int32sOf(featuresTable, 'end');
const n = a.nRegions;
const nc = a.clusters.length;
const nTypes = a.cellTypes.length;
const left = a.cellTypes.indexOf(truth.leftOutCellType);
const centre = (r: number): number => (starts[r]! + ends[r]!) / 2;

// Labelled (region, strand) pairs: one per gene here.
const pairs: number[] = [];
for (let j = 0; j < n * 2; j++) if (a.tssMask[j] === 1) pairs.push(j);
const nPairs = pairs.length;
const pairIdx: [number, number][] = [];
for (let i = 0; i < nc; i++) for (let k = i + 1; k < nc; k++) pairIdx.push([i, k]);
const nFeat = nc + pairIdx.length + 1;

/** Features of one region in one type, scaled by weight w, added into out. */
function addRegion(out: Float64Array, t: number, r: number, w: number): void {
  const acc = accT(a.accessibility[t * n + r]!) * w;
  const m = a.motif.subarray(r * nc, (r + 1) * nc);
  for (let i = 0; i < nc; i++) out[i]! += acc * m[i]!;
  pairIdx.forEach(([i, k], p) => (out[nc + p]! += acc * m[i]! * m[k]!));
  out[nFeat - 1]! += acc;
}

const M0 = Number(mArg);
const accT = (v: number): number => (M0 > 0 ? 10 ** (v * M0) - 1 : v);
type Design = (t: number, r: number) => Float64Array;
const neighbourhood: Design = (t, r) => {
  const out = new Float64Array(nFeat);
  for (let q = r; q >= 0 && chrom[q] === chrom[r]; q--) {
    const d = q === r ? 0 : Math.abs(centre(q) - centre(r));
    if (d > maxDistance) break;
    addRegion(out, t, q, Math.exp(-d / decayLength));
  }
  for (let q = r + 1; q < n && chrom[q] === chrom[r]; q++) {
    const d = Math.abs(centre(q) - centre(r));
    if (d > maxDistance) break;
    addRegion(out, t, q, Math.exp(-d / decayLength));
  }
  return out;
};
const ownAndWindow: Design = (t, r) => {
  const own = new Float64Array(nFeat);
  addRegion(own, t, r, 1);
  const win = new Float64Array(nFeat);
  let cnt = 0;
  for (let q = Math.max(0, r - 100); q <= Math.min(n - 1, r + 100); q++) {
    if (chrom[q] !== chrom[r]) continue;
    addRegion(win, t, q, 1);
    cnt++;
  }
  return Float64Array.from([...own, ...win.map((v) => v / cnt)]);
};

function evaluate(design: Design, geneIntercept: boolean): { pearson: number; lambda: number } {
  const x = Array.from({ length: nTypes }, (_, t) => pairs.map((j) => design(t, j >> 1)));
  const y = Array.from({ length: nTypes }, (_, t) => pairs.map((j) => a.labels[t * n * 2 + j]!));
  const d = x[0]![0]!.length;
  // Standardise columns on the training types so one λ suits all.
  const train = Array.from({ length: nTypes }, (_, t) => t).filter((t) => t !== left);
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const t of train) x[t]!.forEach((row) => row.forEach((v, i) => (mean[i]! += v)));
  mean.forEach((_, i) => (mean[i]! /= train.length * nPairs));
  for (const t of train)
    x[t]!.forEach((row) => row.forEach((v, i) => (sd[i]! += (v - mean[i]!) ** 2)));
  sd.forEach((_, i) => (sd[i] = Math.sqrt(sd[i]! / (train.length * nPairs)) || 1));
  const z = x.map((rows) => rows.map((row) => row.map((v, i) => (v - mean[i]!) / sd[i]!)));
  /** Fit on `fit` types, predict `target` type. */
  const fitPredict = (fit: number[], target: number, lambda: number): number[] => {
    if (!geneIntercept) {
      const w = ridge(
        fit.flatMap((t) => z[t]!),
        fit.flatMap((t) => y[t]!),
        d,
        lambda,
      );
      return z[target]!.map((row) => ridgePredict(w, row));
    }
    // Gene fixed effects: fit β on within-gene deviations, intercept = gene mean residual.
    const gx = pairs.map((_, g) =>
      Float64Array.from({ length: d }, (_, i) => fit.reduce((s, t) => s + z[t]![g]![i]!, 0)).map(
        (v) => v / fit.length,
      ),
    );
    const gy = pairs.map((_, g) => fit.reduce((s, t) => s + y[t]![g]!, 0) / fit.length);
    const w = ridge(
      fit.flatMap((t) => z[t]!.map((row, g) => row.map((v, i) => v - gx[g]![i]!))),
      fit.flatMap((t) => y[t]!.map((v, g) => v - gy[g]!)),
      d,
      lambda,
    );
    w[d] = 0;
    return z[target]!.map((row, g) => gy[g]! + ridgePredict(w, row) - ridgePredict(w, gx[g]!));
  };
  // λ by leaving out each training type in turn.
  let best = { lambda: 1, score: -Infinity };
  for (const lambda of [0.01, 0.1, 1, 10, 100, 1000]) {
    let s = 0;
    for (const v of train)
      s += pearson(
        fitPredict(
          train.filter((t) => t !== v),
          v,
          lambda,
        ),
        y[v]!,
      );
    if (s > best.score) best = { lambda, score: s };
  }
  return {
    pearson: pearson(fitPredict(train, left, best.lambda), y[left]!),
    lambda: best.lambda,
  };
}

const result = {
  command: process.argv.slice(1).join(' '),
  leftOut: truth.leftOutCellType,
  genes: nPairs,
  accessibilityScale: M0,
  reference: truth.reference.leftOutPearson,
  referenceLearnedBaselines: truth.reference.leftOutPearsonLearnedBaselines,
  referenceKnownBaselines: truth.reference.leftOutPearsonKnownBaselines,
  neighbourhood: evaluate(neighbourhood, false),
  neighbourhoodPlusGene: evaluate(neighbourhood, true),
  ownAndWindow: evaluate(ownAndWindow, false),
  ownAndWindowPlusGene: evaluate(ownAndWindow, true),
};
console.log(JSON.stringify(result, null, 1));
if (outPath && outPath !== '-') writeFileSync(outPath, JSON.stringify(result, null, 1));
