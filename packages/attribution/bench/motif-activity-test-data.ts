/**
 * XChrom motif activity on test-data/: trains XChrom (bench/test-data-xchrom.ts),
 * computes activity of every motif of test-data/motifs.meme, and prints per cell
 * type the motifs ranked by mean z-score over its cells next to truth.json's
 * drivers, plus the speed in cells × motifs per second.
 *
 *   npx tsx --conditions=@chromflow/source bench/motif-activity-test-data.ts [--epochs 30] [--backgrounds 64]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '@chromflow/compute';
import { readMotifs } from '@chromflow/genome-io';
import { consensusCodes, gcMatchedBackgrounds, xchromMotifActivity } from '../src/index.js';
import { TEST_DATA, trainOnTestData } from './test-data-xchrom.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const epochs = Number(arg('epochs', '30'));
const nBg = Number(arg('backgrounds', '64'));
const backend = await initBackend({ quiet: true });
const truth = JSON.parse(await readFile(join(TEST_DATA, 'truth.json'), 'utf8')) as {
  motifDrivesCellType: Record<string, Record<string, number>>;
};
const trained = await trainOnTestData(epochs);
console.log(`trained ${epochs} epochs in ${trained.seconds.toFixed(1)} s on ${backend.name}`);
const motifs = (await readMotifs(join(TEST_DATA, 'motifs.meme'))).motifs.map((m) => ({
  name: m.id,
  codes: consensusCodes(m.probabilities, m.width),
}));
const bg = gcMatchedBackgrounds(trained.data.codes, trained.data.seqLength, nBg, 0);
const t0 = performance.now();
const act = await xchromMotifActivity(trained.model, bg, motifs, trained.data.cellInputs);
const s = (performance.now() - t0) / 1000;
const M = act.motifs.length;
console.log(
  `${act.nCells} cells × ${M} motifs, ${nBg} backgrounds: ${s.toFixed(2)} s, ${((act.nCells * M) / s).toFixed(0)} cells×motifs/s`,
);
for (const type of [...new Set(trained.labels)]) {
  const mean = new Float64Array(M);
  const cells = trained.labels.flatMap((l, c) => (l === type ? [c] : []));
  for (const c of cells)
    for (let m = 0; m < M; m++) mean[m]! += act.zscore[c * M + m]! / cells.length;
  const order = act.motifs.map((name, m) => ({ name, z: mean[m]! })).sort((a, b) => b.z - a.z);
  const drivers = act.motifs.filter(
    (n) => (truth.motifDrivesCellType[n]?.[type] ?? 0) > 0 && n !== 'SIM.CTCF',
  );
  const ranks = drivers.map((d) => `${d} rank ${order.findIndex((o) => o.name === d) + 1}`);
  console.log(
    `${type}: ${ranks.join(', ')} | ${order.map((o) => `${o.name} ${o.z.toFixed(2)}`).join(', ')}`,
  );
}
trained.model.dispose();
