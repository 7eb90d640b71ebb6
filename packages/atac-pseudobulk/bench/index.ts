// npm run bench: counting throughput (fragments/s), CPU seconds and peak RSS
// of RegionCounter (fragment-overlap) against `bedtools intersect -c -sorted`
// on the same files, after asserting equal per-region counts. Order alternates.
// Both tools run as their own process under /usr/bin/time (user+sys CPU and
// max RSS of the whole process, start-up included); ours is count-once.ts
// bundled by esbuild and run with plain node. Then the scale check: one run
// of each on a synthetic file of ATAC_BENCH_SCALE_FRAGMENTS fragments, with
// our peak RSS against the output size (bytes per non-zero).
// Env: ATAC_BENCH_FRAGMENTS (synthetic size, default 20,000,000; 0 skips it),
// ATAC_BENCH_SCALE_FRAGMENTS (default 50,000,000; 0 skips it),
// ATAC_BENCH_REPS (default 2). Writes bench-results/atac-pseudobulk.json.
// The tokenizer's bench is bench/tokenize.ts (fragments → token sets vs bedtools), run on its own.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { sharedDataFile } from '@chromflow/core';
import { writeSynthetic } from './synthetic.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const work = '/tmp/chromflow-atac-bench';
mkdirSync(work, { recursive: true });

function ensureBedtools(): void {
  if (spawnSync('bedtools', ['--version']).status === 0) return;
  console.log('bedtools absent: apt-get install -y bedtools');
  spawnSync('apt-get', ['install', '-y', 'bedtools'], { stdio: 'inherit' });
  if (spawnSync('bedtools', ['--version']).status !== 0)
    throw new Error('bedtools could not be installed');
}

/**
 * count-once.ts as one ESM file (the package's source, no transpiler at run
 * time), with the fragment-reader worker bundled beside it as the `.js` file
 * `readFragmentsThreaded` looks for (the work dir is marked `type: module`).
 */
async function bundleCountOnce(): Promise<string> {
  writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
  const common = {
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    target: 'node20',
    conditions: ['@chromflow/source'],
    logLevel: 'warning' as const,
    // Bundled CommonJS dependencies call require().
    banner: {
      js: "import { createRequire as bundleRequire } from 'node:module'; const require = bundleRequire(import.meta.url);",
    },
  };
  const outfile = join(work, 'count-once.mjs');
  await build({ ...common, entryPoints: [join(here, 'count-once.ts')], outfile });
  await build({
    ...common,
    entryPoints: [join(pkg, 'src', 'fragment-reader-worker.ts')],
    outfile: join(work, 'fragment-reader-worker.js'),
  });
  return outfile;
}

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Run {
  seconds: number;
  /** user + system CPU seconds (less sensitive than wall time to other load on the machine). */
  cpuSeconds: number;
  maxRssMb: number;
  colSums: number[];
  fragments?: number;
  nonZero?: number;
  countSeconds?: number;
}

/** Chromosome order of a fragments file (first appearance) and each chromosome's max end. */
function chromOrder(fragments: string): Map<string, number> {
  const out = execFileSync(
    'sh',
    [
      '-c',
      `zcat '${fragments}' | awk -F'\\t' '!/^#/ {if ($3>m[$1]) m[$1]=$3; if (!($1 in o)) {o[$1]=n++; print $1}} END {for (c in m) print "#" c "\\t" m[c]}'`,
    ],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  const order: string[] = [];
  const max = new Map<string, number>();
  for (const l of out.trim().split('\n')) {
    if (l.startsWith('#')) {
      const [c, m] = l.slice(1).split('\t');
      max.set(c!, Number(m));
    } else order.push(l);
  }
  return new Map(order.map((c) => [c, max.get(c)! + 1]));
}

/** Peaks sorted in the fragments' chromosome order (bedtools -sorted needs one order), plus a genome file. */
function preparePeaks(
  label: string,
  peaks: string,
  order: Map<string, number>,
): { peaks: string; genome: string } {
  const rank = new Map([...order.keys()].map((c, i) => [c, i]));
  const text = peaks.endsWith('.gz')
    ? gunzipSync(readFileSync(peaks)).toString()
    : readFileSync(peaks, 'utf8');
  const rows = text
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => rank.has(f[0]!))
    .sort((a, b) => rank.get(a[0]!)! - rank.get(b[0]!)! || Number(a[1]) - Number(b[1]));
  const sorted = join(work, `${label}.peaks.bed`);
  writeFileSync(sorted, rows.map((f) => f.slice(0, 3).join('\t')).join('\n') + '\n');
  const genome = join(work, `${label}.genome`);
  const sizes = new Map(order);
  for (const f of rows) sizes.set(f[0]!, Math.max(sizes.get(f[0]!)!, Number(f[2]) + 1));
  writeFileSync(genome, [...sizes].map(([c, n]) => `${c}\t${n}`).join('\n') + '\n');
  return { peaks: sorted, genome };
}

function runOurs(fragments: string, peaks: string): Run {
  const t0 = performance.now();
  const r = spawnSync(
    'sh',
    [
      '-c',
      `/usr/bin/time -f '%U %S %M' '${process.execPath}' '${countOnce}' '${fragments}' '${peaks}'`,
    ],
    { cwd: pkg, encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`count-once failed: ${r.stderr}`);
  const [user, sys, rssKb] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  const line = r.stdout.trim().split('\n').at(-1)!;
  const j = JSON.parse(line) as {
    seconds: number;
    colSums: number[];
    fragments: number;
    nonZero: number;
  };
  return {
    seconds,
    cpuSeconds: user! + sys!,
    countSeconds: j.seconds,
    maxRssMb: rssKb! / 1024,
    colSums: j.colSums,
    fragments: j.fragments,
    nonZero: j.nonZero,
  };
}

function runBedtools(fragments: string, peaks: string, genome: string): Run {
  const out = join(work, 'bedtools.out');
  const t0 = performance.now();
  const r = spawnSync(
    'sh',
    [
      '-c',
      `/usr/bin/time -f '%U %S %M' bedtools intersect -c -sorted -g '${genome}' -a '${peaks}' -b '${fragments}' > '${out}'`,
    ],
    {
      encoding: 'utf8',
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`bedtools failed: ${r.stderr}`);
  const [user, sys, rssKb] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  const maxRssMb = rssKb! / 1024;
  const cpuSeconds = user! + sys!;
  const colSums = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => Number(l.split('\t').at(-1)));
  return { seconds, cpuSeconds, maxRssMb, colSums };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function benchCase(label: string, fragments: string, rawPeaks: string, reps: number) {
  const loadBefore = load();
  const order = chromOrder(fragments);
  const { peaks, genome } = preparePeaks(label, rawPeaks, order);
  const ours: Run[] = [];
  const theirs: Run[] = [];
  for (let i = 0; i < reps; i++) {
    // Alternate which tool runs first.
    if (i % 2 === 0) {
      ours.push(runOurs(fragments, peaks));
      theirs.push(runBedtools(fragments, peaks, genome));
    } else {
      theirs.push(runBedtools(fragments, peaks, genome));
      ours.push(runOurs(fragments, peaks));
    }
  }
  const a = ours[0]!.colSums;
  const b = theirs[0]!.colSums;
  const equal = a.length === b.length && a.every((v, i) => v === b[i]);
  if (!equal) throw new Error(`${label}: per-region counts differ from bedtools`);
  const n = ours[0]!.fragments!;
  const nonZero = ours[0]!.nonZero!;
  const oursS = median(ours.map((r) => r.seconds));
  const oursCountS = median(ours.map((r) => r.countSeconds!));
  const theirsS = median(theirs.map((r) => r.seconds));
  const result = {
    label,
    fragments: n,
    regions: a.length,
    nonZero,
    fileBytes: statSync(fragments).size,
    equalToBedtools: equal,
    ours: {
      wallSeconds: oursS,
      countSeconds: oursCountS,
      fragmentsPerSecond: n / oursS,
      cpuSeconds: median(ours.map((r) => r.cpuSeconds)),
      peakRssMb: Math.max(...ours.map((r) => r.maxRssMb)),
      bytesPerNonZero: (Math.max(...ours.map((r) => r.maxRssMb)) * 2 ** 20) / Math.max(1, nonZero),
    },
    bedtools: {
      wallSeconds: theirsS,
      fragmentsPerSecond: n / theirsS,
      cpuSeconds: median(theirs.map((r) => r.cpuSeconds)),
      peakRssMb: Math.max(...theirs.map((r) => r.maxRssMb)),
    },
    speedup: theirsS / oursS,
    cpuRatio: median(theirs.map((r) => r.cpuSeconds)) / median(ours.map((r) => r.cpuSeconds)),
    loadAverage: loadavg()[0] ?? 0,
    loadBefore,
    loadAfter: load(),
    reps,
  };
  console.log(
    `${label}: ${n.toLocaleString()} fragments × ${a.length} regions → ${nonZero.toLocaleString()} non-zeros; counts equal to bedtools (median of ${reps})\n` +
      `  ours     ${oursS.toFixed(2)} s wall (${oursCountS.toFixed(2)} s in-process) ${(n / oursS / 1e6).toFixed(2)} M frag/s, ${result.ours.cpuSeconds.toFixed(2)} CPU s, peak RSS ${result.ours.peakRssMb.toFixed(0)} MB (${result.ours.bytesPerNonZero.toFixed(0)} B/non-zero)\n` +
      `  bedtools ${theirsS.toFixed(2)} s wall ${(n / theirsS / 1e6).toFixed(2)} M frag/s, ${result.bedtools.cpuSeconds.toFixed(2)} CPU s, peak RSS ${result.bedtools.peakRssMb.toFixed(0)} MB\n` +
      `  ratio bedtools/ours = ${result.speedup.toFixed(2)} (wall), ${result.cpuRatio.toFixed(2)} (CPU) — >1 means ours is faster; load average before ${loadBefore}, after ${result.loadAfter}`,
  );
  return result;
}

ensureBedtools();
const countOnce = await bundleCountOnce();
console.log(`load average at start: ${load()} (${cpus().length} CPUs)`);
const reps = Number(process.env['ATAC_BENCH_REPS'] ?? 2);
const results: ReturnType<typeof benchCase>[] = [];
const real: [string, string | undefined, string | undefined][] = [
  [
    'archr-pbsmall',
    sharedDataFile('atac', 'archr_pbsmall_hg19', 'PBSmall.tsv.gz'),
    sharedDataFile('atac', 'archr_pbsmall_hg19', 'peak_matrix_archr_peaks.bed'),
  ],
  [
    'muon-pbmc-multiome',
    sharedDataFile('multiome', 'muon_pbmc_10x_multiome', 'fragments.tsv.gz'),
    sharedDataFile('multiome', 'muon_pbmc_10x_multiome', 'peaks.bed'),
  ],
  [
    'test-data',
    join(pkg, '../../test-data/fragments.tsv.gz'),
    join(pkg, '../../test-data/peaks.bed'),
  ],
];
for (const [label, f, p] of real) {
  if (!f || !p || !existsSync(f) || !existsSync(p)) {
    console.log(`skipping ${label}: files absent`);
    continue;
  }
  results.push(benchCase(label, f, p, Math.max(reps, 3)));
}
/** The synthetic file of `n` fragments (generated once into the work dir, then reused). */
async function synthetic(n: number): Promise<{ fragments: string; peaks: string }> {
  const t0 = performance.now();
  const cached = join(work, `synthetic-${n}.fragments.tsv.gz`);
  const files = existsSync(cached)
    ? { fragments: cached, peaks: join(work, `synthetic-${n}.source.bed`) }
    : await writeSynthetic(work, n, `synthetic-${n}`);
  console.log(
    `synthetic file ready in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${files.fragments}`,
  );
  return files;
}

const nSynthetic = Number(process.env['ATAC_BENCH_FRAGMENTS'] ?? 20_000_000);
if (nSynthetic > 0) {
  const files = await synthetic(nSynthetic);
  results.push(benchCase(`synthetic-${nSynthetic}`, files.fragments, files.peaks, reps));
}
// Scale check: memory must follow the output (non-zeros), not the fragment count.
const nScale = Number(process.env['ATAC_BENCH_SCALE_FRAGMENTS'] ?? 50_000_000);
if (nScale > 0) {
  const files = await synthetic(nScale);
  const r = benchCase(`scale-${nScale}`, files.fragments, files.peaks, 1);
  console.log(
    `  scale check: ${nScale.toLocaleString()} fragments counted in ${r.ours.peakRssMb.toFixed(0)} MB peak RSS = ` +
      `${r.ours.bytesPerNonZero.toFixed(0)} bytes per non-zero of the output (${r.nonZero.toLocaleString()} non-zeros; ` +
      `${((r.ours.peakRssMb * 2 ** 20) / r.fragments).toFixed(1)} bytes per fragment)`,
  );
  results.push(r);
}
mkdirSync(join(pkg, 'bench-results'), { recursive: true });
const outPath = join(pkg, 'bench-results', 'atac-pseudobulk.json');
writeFileSync(
  outPath,
  JSON.stringify({ date: new Date().toISOString(), method: 'fragment-overlap', results }, null, 2),
);
console.log(`wrote ${outPath}`);
