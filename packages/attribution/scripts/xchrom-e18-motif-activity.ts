/**
 * XChrom motif activity on the E18 mouse brain toy set (../shared/data/multiome/xchrom_e18_mouse_brain):
 * trains a small XChrom on the cross-peak split of shared/notes/xchrom-e18-splits.json (stopping on
 * validation loss), scores every JASPAR 2018 vertebrate motif in all 100 RNA cells (91 with ATAC, the rest
 * RNA only), clusters the cells' RNA embedding (cell-embedding's kNN + SNN + Louvain) and ranks motifs by
 * how much of their activity's variance lies between clusters (η²). Reports the named families
 * (NEUROD/ATOH/bHLH, SOX, RFX, CTCF as the invariant control) without choosing anything toward them.
 *
 *   nice -n 15 npx tsx --conditions=@chromflow/source scripts/xchrom-e18-motif-activity.ts \
 *     [--max-epochs 60] [--patience 10] [--backgrounds 64] [--seed 0] [--out bench-results/xchrom-e18-motif-activity.json]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sharedDataDir } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { readMotifs } from '@chromflow/genome-io';
import { adjustedRandIndex, clusterCells } from '@chromflow/cell-embedding';
import {
  configFromParams,
  evaluateXChromBlocks,
  readXChromE18,
  readXChromSplit,
  trainXChrom,
} from '@chromflow/models';
import { consensusCodes, gcMatchedBackgrounds, xchromMotifActivity } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const maxEpochs = Number(arg('max-epochs', '60'));
const patience = Number(arg('patience', '10'));
const nBackgrounds = Number(arg('backgrounds', '64'));
const seed = Number(arg('seed', '0'));
const out = arg('out', 'bench-results/xchrom-e18-motif-activity.json');
const shared = sharedDataDir();
if (!shared) {
  console.warn('skipping: ../shared/data is not available');
  process.exit(0);
}
const dataDir = `${shared}/multiome/xchrom_e18_mouse_brain`;
const motifPath = `${shared}/motifs/JASPAR2018_CORE_vertebrates_non-redundant_pfms_meme.txt`;

const backend = await initBackend();
const data = await readXChromE18(dataDir);
const split = await readXChromSplit(`${dirname(shared)}/notes/xchrom-e18-splits.json`, true);
const config = configFromParams({ size: 'small' }, data.seqLength, data.embeddingDim);
let t0 = performance.now();
const r = await trainXChrom(data, split, {
  config,
  seed,
  epochs: maxEpochs,
  patience,
  batchPeaks: 128,
  workers: 1,
  log: (m) => console.log(`[train] ${m}`),
});
const trainSeconds = (performance.now() - t0) / 1000;
const test = (await evaluateXChromBlocks(r.model, data, split)).testPeaks;
console.log(
  `trained ${r.history.length} epochs (best ${r.bestEpoch + 1}) in ${trainSeconds.toFixed(0)} s; ` +
    `held-out peaks AUROC ${test?.auroc.toFixed(3)} (reference small PyTorch 0.740 ± 0.009)`,
);

// All RNA cells: the z-scored 32-d embedding file (91 multiome cells + RNA-only cells).
const parse = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
const embRows = parse(
  await readFile(join(dataDir, 'rna_cell_embedding_zscore32_perpc.tsv'), 'utf8'),
);
const D = embRows[0]!.length - 1;
const cells = embRows.slice(1);
const C = cells.length;
const cellInputs = Float32Array.from(cells.flatMap((row) => row.slice(1).map(Number)));
const leidenRows = parse(await readFile(join(dataDir, 'rna_cells.tsv'), 'utf8'));
const leidenCol = leidenRows[0]!.indexOf('pc32_leiden');
const leidenOf = new Map(leidenRows.slice(1).map((row) => [row[0], row[leidenCol]]));
const withAtac = new Set(data.barcodes);

const clusters = clusterCells(Float64Array.from(cellInputs), C, D, { k: 15, seed: 0 });
const K = clusters.nClusters;
const ari = adjustedRandIndex(
  Array.from(clusters.clusters, String),
  cells.map((row) => String(leidenOf.get(row[0]))),
);
console.log(
  `${C} RNA cells, ${K} Louvain clusters of the RNA embedding (ARI vs the authors' pc32_leiden ${ari.toFixed(3)})`,
);

const motifs = (await readMotifs(motifPath)).motifs;
const bg = gcMatchedBackgrounds(data.codes, data.seqLength, nBackgrounds, seed);
t0 = performance.now();
const act = await xchromMotifActivity(
  r.model,
  bg,
  motifs.map((m) => ({ name: m.id, codes: consensusCodes(m.probabilities, m.width) })),
  cellInputs,
);
const activitySeconds = (performance.now() - t0) / 1000;
r.model.dispose();
const M = motifs.length;
console.log(
  `motif activity: ${C} cells × ${M} motifs, ${nBackgrounds} backgrounds in ${activitySeconds.toFixed(1)} s ` +
    `(${((C * M) / activitySeconds).toFixed(0)} cells×motifs/s on ${backend.name})`,
);

// Per motif: η² of Δlogit across clusters (between-cluster sum of squares / total), the cluster means
// of z, and the sd of Δlogit across cells (effect size, which z-scores hide).
const size = new Float64Array(K);
clusters.clusters.forEach((k) => size[k]!++);
const rows = motifs.map((m, j) => {
  const x = Array.from({ length: C }, (_, c) => act.deltaLogit[c * M + j] as number);
  const mean = x.reduce((a, b) => a + b, 0) / C;
  const kMean = new Float64Array(K);
  const kZ = new Float64Array(K);
  x.forEach((v, c) => {
    kMean[clusters.clusters[c]!]! += v / size[clusters.clusters[c]!]!;
    kZ[clusters.clusters[c]!]! += (act.zscore[c * M + j] as number) / size[clusters.clusters[c]!]!;
  });
  const total = x.reduce((a, v) => a + (v - mean) ** 2, 0);
  const between = Array.from(kMean).reduce((a, v, k) => a + size[k]! * (v - mean) ** 2, 0);
  return {
    id: m.id,
    name: m.altName ?? m.id,
    eta2: total > 0 ? between / total : 0,
    meanDeltaLogit: mean,
    sdDeltaLogit: Math.sqrt(total / C),
    clusterMeanZ: Array.from(kZ, (v) => Number(v.toFixed(2))),
  };
});
const byEta = [...rows].sort((a, b) => b.eta2 - a.eta2);
const rankOf = new Map(byEta.map((row, i) => [row.id, i + 1]));
const sdRank = new Map(
  [...rows].sort((a, b) => b.sdDeltaLogit - a.sdDeltaLogit).map((row, i) => [row.id, i + 1]),
);
const fmt = (row: (typeof rows)[number]) =>
  `${row.name.padEnd(14)} η² ${row.eta2.toFixed(3)} (rank ${rankOf.get(row.id)}/${M}), mean Δlogit ${row.meanDeltaLogit.toFixed(3)}, ` +
  `sd ${row.sdDeltaLogit.toFixed(3)} (rank ${sdRank.get(row.id)}), cluster mean z [${row.clusterMeanZ.join(' ')}]`;
console.log(`cluster sizes: ${Array.from(size).join(' ')}`);
console.log('top 15 motifs by η² (cluster separation):');
for (const row of byEta.slice(0, 15)) console.log(`  ${fmt(row)}`);
const families: Record<string, RegExp> = {
  'NEUROD/ATOH/bHLH': /^(NEUROD|NEUROG|ATOH|Atoh|ASCL|Ascl|OLIG|TCF4|TCF12|TCF3|BHLHE22|Bhlha15)/i,
  SOX: /^sox/i,
  RFX: /^rfx/i,
  CTCF: /^ctcf/i,
};
const familyReport: Record<string, unknown> = {};
for (const [family, re] of Object.entries(families)) {
  const members = rows.filter((row) => re.test(row.name));
  const ranks = members.map((row) => rankOf.get(row.id)!);
  const medianRank = [...ranks].sort((a, b) => a - b)[Math.floor(ranks.length / 2)];
  console.log(`${family}: ${members.length} motifs, median η² rank ${medianRank}/${M}`);
  for (const row of members) console.log(`  ${fmt(row)}`);
  familyReport[family] = { medianRank, members };
}
await mkdir(dirname(out), { recursive: true });
await writeFile(
  out,
  JSON.stringify(
    {
      backend: backend.name,
      training: {
        epochs: r.history.length,
        bestEpoch: r.bestEpoch + 1,
        seconds: trainSeconds,
        heldOutPeaksAuroc: test?.auroc,
      },
      cells: C,
      cellsWithAtac: cells.filter((row) => withAtac.has(row[0]!)).length,
      clusters: { k: K, sizes: Array.from(size), ariVsLeiden: ari },
      motifs: M,
      backgrounds: nBackgrounds,
      activitySeconds,
      cellsMotifsPerSecond: (C * M) / activitySeconds,
      top: byEta.slice(0, 30),
      families: familyReport,
    },
    null,
    1,
  ),
);
console.log(`wrote ${out}`);
