// One timed counting run in its own process, so its peak RSS is its own. The
// bench bundles this file with esbuild and runs the bundle with plain `node`
// (as the built package runs), so TypeScript transpiling is not timed.
// Usage: node count-once.mjs <fragments> <peaks.bed> [method]
// Prints one JSON line: seconds, cpuSeconds, fragments, nonZero, maxRssMb, colSums.
// Files of 16 MiB and more are decompressed and parsed in a worker thread
// (scanFragments' default), while the counter runs on the main thread.
// Imports name the modules counting needs (not the package index), so no
// unrelated module (Arrow, motif code, LSI) is loaded before counting starts.
import { readBed } from '@chromflow/genome-io';
import { RegionCounter, type CountMethod } from '../src/count-matrix.js';
import { scanFragments } from '../src/scan-fragments.js';

const [fragments, peaks, method = 'fragment-overlap'] = process.argv.slice(2);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const regions = await readBed(peaks!);
const counter = new RegionCounter(regions, { method: method as CountMethod });
const n = await scanFragments(fragments!, [counter]);
const { matrix } = counter.finish();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const colSums = new Array<number>(matrix.nCols).fill(0);
for (let k = 0; k < matrix.cols.length; k++) colSums[matrix.cols[k]!]! += matrix.values[k]!;
console.log(
  JSON.stringify({
    seconds,
    cpuSeconds,
    fragments: n,
    nonZero: matrix.values.length,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    colSums,
  }),
);
