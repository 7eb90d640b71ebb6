/**
 * Real-data sanity gate for GET's ATAC-from-motifs head (GET README: one cell
 * type, chromosomes held out, Pearson ≈ 0.7 when preprocessing is right).
 * XChrom E18 mouse brain: 564 peaks (1,344 bp), Vierstra v1.0 cluster
 * features (286), accessibility = log10(count/total·1e5 + 1)/max of the
 * pseudobulk of its 91 cells (binarised counts: cells open at the peak).
 * Windows of 20 consecutive peaks per chromosome (the data hold 40–71 peaks
 * per chromosome, too few for 200). Test chr10 + chr6, validation chr3.
 * Compared in the same run: ridge regression on the same motif features
 * (λ chosen on validation) and a GC-content linear baseline.
 *
 *   npx tsx --conditions=@chromflow/source packages/models/scripts/eval-get-atac-e18.ts [epochs] [size] [learning rate]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pearson, sharedDataFile } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { readMotifClusters, readMotifs } from '@chromflow/genome-io';
import { readXChromE18 } from '../src/data/read-xchrom-e18.js';
import { parseFastaCodes } from '../src/data/read-xchrom-e18.js';
import { getConfig, type GetSize } from '../src/get/config.js';
import { makeGetMotifFeatures, type MotifSources } from '../src/get/motif-features.js';
import { predictGet } from '../src/get/predict.js';
import { makeGetSplit } from '../src/get/samples.js';
import type { GetArrays } from '../src/get/tables.js';
import { trainGet } from '../src/get/train-get.js';
import { ridge, ridgePredict } from './ridge.js';

const epochs = Number(process.argv[2] ?? 30);
const size = (process.argv[3] ?? 'tiny') as GetSize;
const learningRate = Number(process.argv[4] ?? 1e-3);
const dir = sharedDataFile('multiome', 'xchrom_e18_mouse_brain');
const motifsDir = sharedDataFile('motifs');
if (!dir || !motifsDir) {
  console.warn('skipping: shared/data E18 or motifs not found');
  process.exit(0);
}
await initBackend();
const data = await readXChromE18(dir);
const n = data.nPeaks;
// Pseudobulk of the 91 cells (binarised), GET's quantitative accessibility.
const counts = Float64Array.from({ length: n }, (_, p) => data.peakPtr[p + 1]! - data.peakPtr[p]!);
const total = counts.reduce((a, b) => a + b, 0);
const logAcc = counts.map((c) => Math.log10((c / total) * 1e5 + 1));
const maxAcc = Math.max(...logAcc);
const acc = logAcc.map((v) => v / maxAcc);
// GC content of each 1,344-bp sequence.
const gc = Float64Array.from({ length: n }, (_, p) => {
  let g = 0;
  for (let i = 0; i < data.seqLength; i++) {
    const c = data.codes[p * data.seqLength + i]!;
    if (c === 1 || c === 2) g++;
  }
  return g / data.seqLength;
});
// Motif features (Vierstra v1.0), as scripts/get-vierstra-features.ts.
const files = [
  'JASPAR2018_CORE_vertebrates_non-redundant_pfms.renamed.meme',
  'HOCOMOCOv11_core_HUMAN_mono_meme_format.meme',
  ...[1, 2, 3, 4, 5, 6].map((i) => `jolma2013/table_s3-${i}.meme`),
];
const sources: MotifSources = { motifs: [], files: [] };
for (const f of files) {
  const set = await readMotifs(join(motifsDir, f));
  sources.motifs.push(...set.motifs);
  sources.files.push(...set.motifs.map(() => f));
}
const table = await readMotifClusters(
  join(motifsDir, 'vierstra_motif_clusters_v1.0/clusters.0.70.txt'),
);
const fa = join(dir, 'seqs_1344bp.fa');
const seqs = parseFastaCodes(await readFile(fa, 'utf8'), fa);
const t0 = performance.now();
const feats = await makeGetMotifFeatures(
  { codes: seqs.codes, offsets: Int32Array.from({ length: n + 1 }, (_, i) => i * seqs.length) },
  sources,
  table,
  { allowAbsent: /_MOUSE\.H11MO/, threads: 2 },
);
const nc = feats.clusterIds.length;
console.log(
  `motif features: ${n} peaks × ${nc} clusters in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
// Genomic order from the peak names (chrom:start-end).
const loc = data.peakNames.map((name, i) => {
  const m = /^(\w+):(\d+)-(\d+)$/.exec(name);
  return { i, chrom: m?.[1] ?? data.peakChroms[i]!, start: Number(m?.[2] ?? 0) };
});
loc.sort((a, b) => (a.chrom === b.chrom ? a.start - b.start : a.chrom < b.chrom ? -1 : 1));
const order = loc.map((l) => l.i);
const size20 = 20;
const firsts: number[] = [];
const chroms: string[] = [];
for (let r = 0; r < n;) {
  let e = r;
  while (e < n && loc[e]!.chrom === loc[r]!.chrom) e++;
  for (let f = r; f < e; f += size20 / 2) {
    const s = Math.min(f, e - size20);
    if (s < r) break;
    if (firsts[firsts.length - 1] !== s) {
      firsts.push(s);
      chroms.push(loc[r]!.chrom);
    }
    if (s === e - size20) break;
  }
  r = e;
}
const motif = new Float32Array(n * nc);
order.forEach((src, r) =>
  motif.set(feats.matrix.values.subarray(src * nc, (src + 1) * nc), r * nc),
);
const a: GetArrays = {
  clusters: feats.clusterIds.map(String),
  cellTypes: ['E18'],
  nRegions: n,
  motif,
  accessibility: Float32Array.from(order, (src) => acc[src]!),
  labels: new Float32Array(n * 2),
  tssMask: new Uint8Array(n * 2),
  windowFirsts: Int32Array.from(firsts),
  windowSize: size20,
};
const testChroms = ['chr10', 'chr6'];
const split = makeGetSplit(a, chroms, { testChroms, valChroms: ['chr3'] });
const config = getConfig(size, nc + 1, 'atac', { dropPath: 0.1 });
const r = await trainGet(a, split, {
  config,
  seed: 0,
  epochs,
  patience: epochs,
  batchSize: 4,
  learningRate,
  log: console.log,
});
const pred = predictGet(r.model, a, split.test);
// Test regions: rows of the test chromosomes, each prediction averaged over its windows.
const sum = new Float64Array(n);
const cnt = new Float64Array(n);
for (let s = 0; s < split.test.windows.length; s++) {
  const f = a.windowFirsts[split.test.windows[s]!]!;
  for (let k = 0; k < size20; k++) {
    sum[f + k]! += pred.values[s * size20 + k]!;
    cnt[f + k]! += 1;
  }
}
const isTest = (r: number): boolean => testChroms.includes(loc[r]!.chrom);
const isVal = (r: number): boolean => loc[r]!.chrom === 'chr3';
const rows = (f: (r: number) => boolean): number[] =>
  Array.from({ length: n }, (_, r) => r).filter(f);
const test = rows(isTest);
const val = rows(isVal);
const train = rows((r) => !isTest(r) && !isVal(r));
const y = a.accessibility;
const getP = pearson(
  test.map((r) => sum[r]! / cnt[r]!),
  test.map((r) => y[r]!),
);
// Ridge on the same motif features (unpenalised intercept), λ picked on validation.
const ridgeOn = (rowsFit: number[], lambda: number): Float64Array =>
  ridge(
    rowsFit.map((r) => motif.subarray(r * nc, (r + 1) * nc)),
    rowsFit.map((r) => y[r]!),
    nc,
    lambda,
  );
const predictRidge = (w: Float64Array, r: number): number =>
  ridgePredict(w, motif.subarray(r * nc, (r + 1) * nc));
let bestLambda = 1;
let bestVal = -Infinity;
for (const lambda of [0.1, 1, 10, 100, 1000]) {
  const w = ridgeOn(train, lambda);
  const p = pearson(
    val.map((r) => predictRidge(w, r)),
    val.map((r) => y[r]!),
  );
  if (p > bestVal) [bestVal, bestLambda] = [p, lambda];
}
const wRidge = ridgeOn([...train, ...val], bestLambda);
const ridgeP = pearson(
  test.map((r) => predictRidge(wRidge, r)),
  test.map((r) => y[r]!),
);
// GC: least-squares line on train + val, evaluated on test (Pearson keeps the fitted sign).
const fitRows = [...train, ...val];
const gx = fitRows.map((r) => gc[order[r]!]!);
const gy = fitRows.map((r) => y[r]!);
const mx = gx.reduce((s, v) => s + v, 0) / gx.length;
const my = gy.reduce((s, v) => s + v, 0) / gy.length;
const slope =
  gx.reduce((s, v, i) => s + (v - mx) * (gy[i]! - my), 0) /
  gx.reduce((s, v) => s + (v - mx) ** 2, 0);
const gcP = pearson(
  test.map((r) => my + slope * (gc[order[r]!]! - mx)),
  test.map((r) => y[r]!),
);
const result = {
  command: `eval-get-atac-e18.ts ${epochs} ${size} ${learningRate}`,
  testChroms,
  testPeaks: test.length,
  getAtacPearson: getP,
  ridgePearson: ridgeP,
  ridgeLambda: bestLambda,
  gcPearson: gcP,
  beatsGc: getP > gcP,
  bestEpoch: r.bestEpoch,
};
console.log(JSON.stringify(result, null, 1));
r.model.dispose();
