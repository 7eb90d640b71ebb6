// Throughput of the simulator's phases on the default data set. There is no
// reference tool for a simulator; the one comparison made is the fragments
// writer (genome-io's BGZF + tabix, as used here) against `bgzip` + `tabix -p bed`
// CLIs on the same text, after asserting both inflate to the same bytes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fragmentsToText, writeFragments } from '@chromflow/genome-io';
import { simulateDataset } from '../src/dataset.js';
import { makeTruth } from '../src/truth.js';
import { fragmentRecords, writeDataset } from '../src/write-dataset.js';

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const out = f();
  return [out, (performance.now() - t0) / 1000];
}

async function timeAsync(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), 'chromflow-sim-bench-'));
try {
  const [ds, simS] = time(() => simulateDataset());
  const [, truthS] = time(() => makeTruth(ds));
  const writeS = await timeAsync(() => writeDataset(join(dir, 'all'), ds));
  const nFrag = ds.fragments.starts.length;
  const results: Record<string, number | string> = {
    fixture: `default (seed 1): ${ds.cells.length} cells, ${ds.peaks.length} peaks, ${nFrag} fragments`,
    simulate_s: simS,
    truth_s: truthS,
    write_all_s: writeS,
    fragments_per_s_simulate: nFrag / simS,
  };
  let hasCli = true;
  try {
    execFileSync('bgzip', ['--version'], { stdio: 'ignore' });
    execFileSync('tabix', ['--version'], { stdio: 'ignore' });
  } catch {
    hasCli = false;
  }
  if (hasCli) {
    const text = fragmentsToText(fragmentRecords(ds));
    const ours = join(dir, 'ours.tsv.gz');
    const ref = join(dir, 'ref.tsv');
    const times: { ours: number[]; ref: number[] } = { ours: [], ref: [] };
    for (let round = 0; round < 3; round++) {
      const runOurs = (): Promise<number> =>
        timeAsync(() => writeFragments(ours, fragmentRecords(ds)));
      const runRef = (): Promise<number> =>
        Promise.resolve(
          time(() => {
            writeFileSync(ref, text);
            execFileSync('bgzip', ['-f', ref]);
            execFileSync('tabix', ['-f', '-p', 'bed', `${ref}.gz`]);
          })[1],
        );
      if (round % 2 === 0) {
        times.ours.push(await runOurs());
        times.ref.push(await runRef());
      } else {
        times.ref.push(await runRef());
        times.ours.push(await runOurs());
      }
    }
    if (!gunzipSync(readFileSync(ours)).equals(gunzipSync(readFileSync(`${ref}.gz`)))) {
      throw new Error('genome-io writer and bgzip disagree on the inflated fragments');
    }
    const best = (x: number[]): number => Math.min(...x);
    results['fragments_write_ours_s'] = best(times.ours);
    results['fragments_write_bgzip_tabix_s'] = best(times.ref);
    results['ratio_ours_over_bgzip_tabix'] = best(times.ours) / best(times.ref);
  }
  for (const [k, v] of Object.entries(results)) {
    console.log(`${k.padEnd(32)} ${typeof v === 'number' ? v.toFixed(3) : v}`);
  }
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/simulate.json', `${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
