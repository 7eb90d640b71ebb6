/**
 * `npm run bench` (from packages/attribution): XChrom attribution speed (bench/xchrom-attribution.ts)
 * on the best available backend; prints and writes bench-results/attribution.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@chromflow/compute';
import { benchXChromAttribution } from './xchrom-attribution.js';

const here = dirname(fileURLToPath(import.meta.url));
const backend = await initBackend();
const xchrom = await benchXChromAttribution();
const m = xchrom.motifActivity;
const i = xchrom.ism;
console.log(
  `motif activity: ${m.cells} cells × ${m.motifs} motifs, ${m.backgrounds} backgrounds in ${m.seconds.toFixed(2)} s = ${m.cellsMotifsPerSecond.toFixed(0)} cells×motifs/s`,
);
console.log(
  `ISM: ${i.peaks} peaks × ${i.basesPerPeak} bases × ${i.cellTypes} cell types: one pass ${i.onePassSeconds.toFixed(2)} s ` +
    `(${i.basesPerSecondOnePass.toFixed(0)} bases/s) vs per type ${i.perTypeSeconds.toFixed(2)} s (${i.basesPerSecondPerType.toFixed(0)} bases/s), ` +
    `${i.speedup.toFixed(2)}×; max |Δ raw| ${i.maxAbsDifference.toExponential(1)}`,
);
const out = join(here, '..', 'bench-results', 'attribution.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    { date: new Date().toISOString(), node: process.version, backend: backend.name, xchrom },
    null,
    1,
  ),
);
console.log(`wrote ${out}`);
