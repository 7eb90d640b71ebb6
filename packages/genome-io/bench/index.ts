/**
 * `npm run bench` (from packages/genome-io): genome-io against the reference
 * tools, measured in the same run, alternating order, after asserting equal
 * output. Writes bench-results/genome-io.json.
 *
 * 1. window extraction: 1344-bp windows, ours (openFasta + readWindowSequences)
 *    vs `samtools faidx -r regions.txt`, on hg38 chr2:1-2,333,275 as bgzip
 *    (shared data) and as plain FASTA (decompressed into a temp dir);
 * 2. fragment streaming: readFragments over the whole file vs `gzip -dc | wc -l`;
 * 3. per-peak fragment counts: readFragments + a sorted sweep vs
 *    `bedtools intersect -c` (and `-sorted`);
 * on the muon PBMC fragments (shared data) and a synthetic bgzip file of
 * GENOME_IO_BENCH_FRAGMENTS fragments (default 5,000,000) generated into a temp dir;
 * 4. the motif helper's `benchMotifScan()` from bench/motif-scan.ts when present.
 * Wall times include the reference tools' process start; ours run in-process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { sharedDataFile } from '@chromflow/core';
import {
  makeWindows,
  openFasta,
  readBed,
  readFragments,
  readWindowSequences,
  regionsFromRecords,
} from '../src/index.js';
import type { Regions } from '../src/index.js';
import { writeSyntheticFragments } from './synthetic.js';

const here = dirname(fileURLToPath(import.meta.url));
const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };

function sh(cmd: string): string {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'latin1', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return r.stdout;
}

function ensureTools(): void {
  const missing = ['bedtools', 'samtools', 'tabix'].filter(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0,
  );
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(', ')} with apt-get`);
  spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq bedtools samtools tabix'], {
    stdio: 'inherit',
  });
}

async function seconds(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Times `ours` and `theirs` `reps` times each, alternating which goes first; returns medians. */
async function race(
  reps: number,
  ours: () => unknown,
  theirs: () => unknown,
): Promise<{ ours: number; theirs: number }> {
  const o: number[] = [];
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    if (r % 2 === 0) {
      o.push(await seconds(ours));
      t.push(await seconds(theirs));
    } else {
      t.push(await seconds(theirs));
      o.push(await seconds(ours));
    }
  }
  return { ours: median(o), theirs: median(t) };
}

function report(
  key: string,
  label: string,
  unit: string,
  amount: number,
  r: { ours: number; theirs: number },
  tool: string,
): void {
  const ratio = r.theirs / r.ours;
  console.log(
    `  ${label}: ours ${r.ours.toFixed(3)} s (${(amount / r.ours / 1e6).toFixed(2)} M ${unit}/s), ${tool} ${r.theirs.toFixed(3)} s (${(amount / r.theirs / 1e6).toFixed(2)} M ${unit}/s) → ours is ${ratio.toFixed(2)}× ${ratio >= 1 ? 'faster' : 'slower'}`,
  );
  results[key] = {
    label,
    unit,
    amount,
    oursS: r.ours,
    referenceS: r.theirs,
    reference: tool,
    speedup: ratio,
  };
}

async function benchWindows(tmp: string): Promise<void> {
  const genome = sharedDataFile('genome', 'hg38_chr2_1-2333275', 'chr2_1-2333275.fa.gz');
  if (!genome) return;
  const plain = join(tmp, 'chr2.fa');
  writeFileSync(plain, gunzipSync(readFileSync(genome)));
  const n = Number(process.env['GENOME_IO_BENCH_WINDOWS'] ?? 20_000);
  let x = 12345;
  const rnd = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x / 2 ** 32);
  const size = 2_333_275;
  // Edge-biased: the first and last windows touch the chromosome ends.
  const recs = Array.from({ length: n }, (_, i) => {
    const mid = i === 0 ? 672 : i === 1 ? size - 672 : 672 + Math.floor(rnd() * (size - 1344));
    return { chrom: 'chr2', start: mid, end: mid + 1 };
  });
  const regions: Regions = regionsFromRecords(recs);
  const regionFile = join(tmp, 'windows.txt');
  console.log(
    `window extraction: ${n} random 1344-bp windows on hg38 chr2:1-2,333,275 (${(n * 1344) / 1e6} Mb)`,
  );
  for (const [kind, path] of [
    ['plain', plain],
    ['bgzip', genome],
  ] as const) {
    const fa = await openFasta(path, { writeIndex: kind === 'plain' });
    const windows = makeWindows(regions, fa.chromSizes, { width: 1344, edge: 'error' });
    writeFileSync(
      regionFile,
      Array.from(windows.starts, (s, i) => `chr2:${s + 1}-${windows.ends[i]}\n`).join(''),
    );
    const samtools = (): string[] =>
      sh(`samtools faidx -n 1000000 ${path} -r ${regionFile}`)
        .split('>')
        .slice(1)
        .map((r) => r.slice(r.indexOf('\n') + 1).replace(/\n/g, ''));
    const ours = await readWindowSequences(fa, windows, { case: 'keep' });
    const ref = samtools();
    if (ours.length !== ref.length || ours.some((s, i) => s !== ref[i]))
      throw new Error(`windows differ from samtools faidx (${kind})`);
    const r = await race(3, () => readWindowSequences(fa, windows, { case: 'keep' }), samtools);
    report(
      `windows_${kind}`,
      `${kind} FASTA, ${n} windows (equal to samtools)`,
      'bases',
      n * 1344,
      r,
      'samtools faidx -r',
    );
    await fa.close();
  }
}

/** Per-peak counts of fragments overlapping each peak (bedtools intersect -c semantics: ≥1 bp overlap). */
async function countOverlaps(fragments: string, peaks: Regions): Promise<Int32Array> {
  const counts = new Int32Array(peaks.length);
  // per chromosome: peak indices sorted by start; the longest peak bounds the backward scan
  const byChrom = new Map<string, { idx: Int32Array; starts: Int32Array; maxLen: number }>();
  for (let c = 0; c < peaks.chromNames.length; c++) {
    const idx = Int32Array.from(
      Array.from({ length: peaks.length }, (_, i) => i).filter((i) => peaks.chromIds[i] === c),
    ).sort((a, b) => peaks.starts[a]! - peaks.starts[b]!);
    let maxLen = 0;
    for (const i of idx) maxLen = Math.max(maxLen, peaks.ends[i]! - peaks.starts[i]!);
    byChrom.set(peaks.chromNames[c]!, {
      idx,
      starts: Int32Array.from(idx, (i) => peaks.starts[i]!),
      maxLen,
    });
  }
  for await (const b of readFragments(fragments, { batchSize: 1 << 16 })) {
    let lastChrom = -1;
    let table: { idx: Int32Array; starts: Int32Array; maxLen: number } | undefined;
    for (let k = 0; k < b.length; k++) {
      if (b.chromIds[k] !== lastChrom) {
        lastChrom = b.chromIds[k]!;
        table = byChrom.get(b.chromNames[lastChrom]!);
      }
      if (!table) continue;
      const s = b.starts[k]!;
      const e = b.ends[k]!;
      // first peak starting at or after e
      let lo = 0;
      let hi = table.starts.length;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if (table.starts[m]! < e) lo = m + 1;
        else hi = m;
      }
      for (let j = lo - 1; j >= 0 && table.starts[j]! > s - table.maxLen; j--) {
        const p = table.idx[j]!;
        if (peaks.ends[p]! > s) counts[p]!++;
      }
    }
  }
  return counts;
}

async function benchFragments(
  label: string,
  key: string,
  fragments: string,
  peaks: Regions,
  peaksBed: string,
): Promise<void> {
  let n = 0;
  for await (const b of readFragments(fragments)) n += b.length;
  const expected = Number(sh(`gzip -dc ${fragments} | grep -vc '^#'`).trim());
  if (n !== expected) throw new Error(`${label}: ${n} fragments, grep counts ${expected}`);
  console.log(
    `${label}: ${n.toLocaleString('en')} fragments, ${peaks.length.toLocaleString('en')} peaks`,
  );
  const ours = async (): Promise<void> => {
    let m = 0;
    for await (const b of readFragments(fragments)) m += b.length;
    if (m !== n) throw new Error('count changed');
  };
  report(
    `${key}_stream`,
    `${label}: stream all fragments`,
    'fragments',
    n,
    await race(3, ours, () => sh(`gzip -dc ${fragments} | wc -l`)),
    'gzip -dc | wc -l',
  );

  const counts = await countOverlaps(fragments, peaks);
  const bt = (sorted: boolean): Int32Array =>
    Int32Array.from(
      sh(`bedtools intersect ${sorted ? '-sorted ' : ''}-c -a ${peaksBed} -b ${fragments}`)
        .trimEnd()
        .split('\n')
        .map((l) => Number(l.slice(l.lastIndexOf('\t') + 1))),
    );
  const ref = bt(false);
  if (ref.length !== counts.length || ref.some((c, i) => c !== counts[i]))
    throw new Error(`${label}: peak counts differ from bedtools intersect -c`);
  const total = counts.reduce((a, c) => a + c, 0);
  console.log(
    `  per-peak counts equal bedtools intersect -c (${total.toLocaleString('en')} overlaps)`,
  );
  report(
    `${key}_count`,
    `${label}: count fragments per peak`,
    'fragments',
    n,
    await race(
      3,
      () => countOverlaps(fragments, peaks),
      () => bt(false),
    ),
    'bedtools intersect -c',
  );
  try {
    bt(true);
  } catch {
    console.log(
      '  (bedtools -sorted refuses these inputs: peaks or fragments not in one sort order; skipped)',
    );
    return;
  }
  report(
    `${key}_count_sorted`,
    `${label}: count fragments per peak`,
    'fragments',
    n,
    await race(
      3,
      () => countOverlaps(fragments, peaks),
      () => bt(true),
    ),
    'bedtools intersect -sorted -c',
  );
}

async function main(): Promise<void> {
  ensureTools();
  const tmp = mkdtempSync(join(tmpdir(), 'genome-io-bench-'));
  try {
    await benchWindows(tmp);
    if (process.env['GENOME_IO_BENCH_ONLY'] === 'windows') return;
    const muon = sharedDataFile('multiome', 'muon_pbmc_10x_multiome', 'fragments.tsv.gz');
    const muonPeaks = sharedDataFile('multiome', 'muon_pbmc_10x_multiome', 'peaks.bed');
    if (muon && muonPeaks)
      await benchFragments(
        'muon PBMC fragments.tsv.gz (3.6 MB)',
        'muon',
        muon,
        await readBed(muonPeaks),
        muonPeaks,
      );

    const nSynth = Number(process.env['GENOME_IO_BENCH_FRAGMENTS'] ?? 5_000_000);
    const synth = join(tmp, 'fragments.tsv.gz');
    const t = await seconds(() => writeSyntheticFragments(synth, nSynth, 1));
    console.log(`synthetic fragments written in ${t.toFixed(1)} s`);
    // 50,000 sorted 500-bp peaks, 4 kb apart, on the synthetic chromosomes
    const recs = ['chr1', 'chr2', 'chr3', 'chr4'].flatMap((chrom) =>
      Array.from({ length: 12_500 }, (_, i) => ({
        chrom,
        start: 10_000 + i * 4000,
        end: 10_500 + i * 4000,
      })),
    );
    const peaksBed = join(tmp, 'peaks.bed');
    writeFileSync(peaksBed, recs.map((r) => `${r.chrom}\t${r.start}\t${r.end}\n`).join(''));
    await benchFragments(
      `synthetic bgzip fragments (${(nSynth / 1e6).toFixed(1)} M)`,
      'synthetic',
      synth,
      regionsFromRecords(recs),
      peaksBed,
    );

    const motifBench = join(here, 'motif-scan.ts');
    if (existsSync(motifBench)) {
      const mod = (await import(pathToFileURL(motifBench).href)) as {
        benchMotifScan?: () => Promise<Record<string, number>>;
      };
      if (mod.benchMotifScan) results['motifScan'] = await mod.benchMotifScan();
      else console.log('bench/motif-scan.ts has no benchMotifScan export; skipped');
    } else console.log('skipping motif scan: bench/motif-scan.ts is not there');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const out = join(here, '..', 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'genome-io.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${join(out, 'genome-io.json')}`);
}

await main();
