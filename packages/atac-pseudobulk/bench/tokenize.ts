// npx tsx --conditions=@chromflow/source bench/tokenize.ts: fragments → token
// sets (tokenizeFragments, its own process, bundled by esbuild, plain node)
// against bedtools on the same files, in the same run, order alternating.
// bedtools has no per-cell mode; measured: (a) `intersect -sorted -wa -wb -a
// universe -b fragments` piped to awk keeping unique (region, barcode) pairs
// = every cell's `-u` set in one pass (the fair equivalent; the total token
// count must equal ours), and (b) `intersect -sorted -u` of all fragments
// pooled (one set, a lower bound on bedtools' work). Wall seconds and peak
// RSS from /usr/bin/time (for (a) the bedtools process only).
// Env: TOKENIZE_BENCH_FRAGMENTS (synthetic size, default 10,000,000), TOKENIZE_BENCH_REPS (2).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sharedDataFile } from '@chromflow/core';
import { writeSynthetic } from './synthetic.js';

const here = dirname(fileURLToPath(import.meta.url));
const work = '/tmp/chromflow-atac-bench';
mkdirSync(work, { recursive: true });
writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
const common = {
  bundle: true,
  platform: 'node' as const,
  format: 'esm' as const,
  target: 'node20',
  conditions: ['@chromflow/source'],
  logLevel: 'warning' as const,
  banner: {
    js: "import { createRequire as bundleRequire } from 'node:module'; const require = bundleRequire(import.meta.url);",
  },
};
const once = join(work, 'tokenize-once.mjs');
await build({ ...common, entryPoints: [join(here, 'tokenize-once.ts')], outfile: once });
await build({
  ...common,
  entryPoints: [join(here, '..', 'src', 'fragment-reader-worker.ts')],
  outfile: join(work, 'fragment-reader-worker.js'),
});

interface Timed {
  seconds: number;
  rssMb: number;
  stdout: string;
}

/** Runs `cmd` under /usr/bin/time -f '%e %M' (wall s, max RSS kB of the timed process). */
function timed(cmd: string): Timed {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const [e, m] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { seconds: e!, rssMb: m! / 1024, stdout: r.stdout };
}

function sortedUniverse(label: string, bed: string, fragments: string): string {
  // bedtools -sorted needs one chromosome order: the fragments'.
  const order = spawnSync(
    'sh',
    ['-c', `zcat -f '${fragments}' | cut -f1 | uniq | awk '!s[$1]++'`],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  )
    .stdout.trim()
    .split('\n');
  const rank = new Map(order.map((c, i) => [c, i]));
  const rows = readFileSync(bed, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t').slice(0, 3))
    .filter((f) => rank.has(f[0]!))
    .sort((a, b) => rank.get(a[0]!)! - rank.get(b[0]!)! || Number(a[1]) - Number(b[1]));
  const out = join(work, `${label}.universe.bed`);
  writeFileSync(out, rows.map((f) => f.join('\t')).join('\n') + '\n');
  return out;
}

function benchCase(label: string, fragments: string, bed: string, reps: number): void {
  const universe = sortedUniverse(label, bed, fragments);
  const ours: Timed[] = [];
  const pairs: Timed[] = [];
  const pooled: Timed[] = [];
  const T = "/usr/bin/time -f '%e %M'";
  const runOurs = () =>
    ours.push(timed(`${T} '${process.execPath}' '${once}' '${fragments}' '${universe}'`));
  const runPairs = () =>
    pairs.push(
      timed(
        `${T} bedtools intersect -sorted -wa -wb -a '${universe}' -b '${fragments}' | awk -F'\\t' '!s[$1 FS $2 FS $7]++' | wc -l`,
      ),
    );
  const runPooled = () =>
    pooled.push(
      timed(`${T} bedtools intersect -sorted -u -a '${universe}' -b '${fragments}' | wc -l`),
    );
  for (let i = 0; i < reps; i++) {
    if (i % 2 === 0) [runOurs, runPairs, runPooled].forEach((f) => f());
    else [runPooled, runPairs, runOurs].forEach((f) => f());
  }
  const j = JSON.parse(ours[0]!.stdout.trim().split('\n').at(-1)!) as {
    fragments: number;
    cells: number;
    tokens: number;
  };
  const pairCount = Number(pairs[0]!.stdout.trim());
  const med = (xs: Timed[]) =>
    [...xs].map((x) => x.seconds).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rss = (xs: Timed[]) => Math.max(...xs.map((x) => x.rssMb));
  console.log(
    `${label}: ${j.fragments.toLocaleString()} fragments, ${j.cells} cells → ${j.tokens.toLocaleString()} tokens; ` +
      `bedtools unique (region, barcode) pairs ${pairCount.toLocaleString()} (${pairCount === j.tokens ? 'equal' : 'DIFFERENT'})\n` +
      `  ours                 ${med(ours).toFixed(2)} s wall, ${(j.fragments / med(ours) / 1e6).toFixed(2)} M frag/s, peak RSS ${rss(ours).toFixed(0)} MB\n` +
      `  bedtools -wa -wb|awk ${med(pairs).toFixed(2)} s wall (bedtools peak RSS ${rss(pairs).toFixed(0)} MB)\n` +
      `  bedtools -u pooled   ${med(pooled).toFixed(2)} s wall (peak RSS ${rss(pooled).toFixed(0)} MB)\n` +
      `  ratio per-cell bedtools/ours ${(med(pairs) / med(ours)).toFixed(2)}, pooled/ours ${(med(pooled) / med(ours)).toFixed(2)} (>1: ours faster); median of ${reps}; load ${loadavg()[0]!.toFixed(1)}`,
  );
}

const reps = Number(process.env['TOKENIZE_BENCH_REPS'] ?? 2);
const pbFrag = sharedDataFile('atac', 'archr_pbsmall_hg19', 'PBSmall.tsv.gz');
const pbPeaks = sharedDataFile('atac', 'archr_pbsmall_hg19', 'peak_matrix_archr_peaks.bed');
if (pbFrag && pbPeaks) benchCase('archr-pbsmall', pbFrag, pbPeaks, Math.max(reps, 3));
else console.log('skipping archr-pbsmall: files absent');
const n = Number(process.env['TOKENIZE_BENCH_FRAGMENTS'] ?? 10_000_000);
if (n > 0) {
  const cached = join(work, `synthetic-${n}.fragments.tsv.gz`);
  const files = existsSync(cached)
    ? { fragments: cached, peaks: join(work, `synthetic-${n}.source.bed`) }
    : await writeSynthetic(work, n, `synthetic-${n}`);
  benchCase(`synthetic-${n}`, files.fragments, files.peaks, reps);
}
