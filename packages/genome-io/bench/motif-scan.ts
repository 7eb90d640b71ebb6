/**
 * Motif-scan throughput: JASPAR 2018 CORE vertebrates non-redundant (579
 * motifs), both strands, p ≤ 1e-4, over
 *  - real sequence: hg38 chr2:1-2,333,275 (shared data; the first 10 kb are N),
 *  - random sequence of MOTIF_BENCH_BASES bases (default 10,000,000) drawn with
 *    FIMO's --nrdb-- composition (A .275 C .225 G .225 T .275), in 1,344-bp regions.
 * FIMO cannot be installed here (no Debian package, no network), so the
 * reference is a simple scanner stated below, run in the same process on a
 * 200-kb slice after asserting both give the same hits.
 *
 * Run alone: `npx tsx --conditions=@chromflow/source bench/motif-scan.ts`
 * (from packages/genome-io); `bench/index.ts` calls `benchMotifScan`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { sharedDataFile } from '@chromflow/core';
import {
  codesFromSequence,
  intScoreThreshold,
  makeMotifScanner,
  readMotifs,
  scanMotifs,
} from '../src/index.js';
import type { MotifHits, MotifScanner, SequenceBatch } from '../src/index.js';

/**
 * The reference: the textbook scan — every window, every strand, the sum of
 * per-base integer scores over all w positions (no 5-mer tables, no early
 * abandoning, one thread), kept when ≥ the p-value threshold's score.
 */
function scanSimple(scanner: MotifScanner, batch: SequenceBatch): string[] {
  const out: string[] = [];
  const n = batch.offsets.length - 1;
  const { codes } = batch;
  for (let r = 0; r < n; r++) {
    const a = batch.offsets[r]!;
    const b = batch.offsets[r + 1]!;
    scanner.motifs.forEach((m, mi) => {
      const pwms = [scanner.forward[mi]!, scanner.reverse[mi]!];
      pwms.forEach((pwm, strand) => {
        const t = intScoreThreshold(pwm, scanner.pValue);
        const w = m.width;
        const table = pwm.intScores;
        for (let p = a; p + w <= b; p++) {
          let s = 0;
          for (let i = 0; i < w; i++) s += table[i * 5 + codes[p + i]!]!;
          if (s >= t) out.push(`${r}:${mi}:${strand}:${p - a}`);
        }
      });
    });
  }
  return out.sort();
}

const keys = (h: MotifHits): string[] =>
  Array.from(
    { length: h.count },
    (_, i) => `${h.regions[i]}:${h.motifs[i]}:${h.strands[i]}:${h.starts[i]}`,
  ).sort();

function randomBatch(bases: number, regionLength: number, seed: number): SequenceBatch {
  let x = seed >>> 0;
  const codes = new Uint8Array(bases);
  const cut = [0.275, 0.5, 0.725].map((c) => c * 2 ** 32);
  for (let i = 0; i < bases; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    codes[i] = x < cut[0]! ? 0 : x < cut[1]! ? 1 : x < cut[2]! ? 2 : 3;
  }
  const n = Math.ceil(bases / regionLength);
  const offsets = Int32Array.from({ length: n + 1 }, (_, i) => Math.min(bases, i * regionLength));
  return { codes, offsets };
}

function readChr2(): SequenceBatch | undefined {
  const path = sharedDataFile('genome', 'hg38_chr2_1-2333275', 'chr2_1-2333275.fa.gz');
  if (!path) return undefined;
  const text = gunzipSync(readFileSync(path)).toString('latin1');
  const seq = text.slice(text.indexOf('\n') + 1).replace(/\s+/g, '');
  const codes = codesFromSequence(seq);
  return { codes, offsets: Int32Array.of(0, codes.length) };
}

interface Timing {
  wallS: number;
  cpuS: number;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, Timing]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  const wallS = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return [out, { wallS, cpuS: (c.user + c.system) / 1e6 }];
}

export async function benchMotifScan(): Promise<Record<string, number>> {
  const motifPath = sharedDataFile(
    'motifs',
    'JASPAR2018_CORE_vertebrates_non-redundant_pfms_meme.txt',
  );
  if (!motifPath) return {};
  const { motifs } = await readMotifs(motifPath);
  const bases = Number(process.env['MOTIF_BENCH_BASES'] ?? 10_000_000);
  const [scanner, build] = await timed(() => makeMotifScanner(motifs, { pValue: 1e-4 }));
  const results: Record<string, number> = { motifs: motifs.length, scannerBuildS: build.wallS };
  console.log(
    `motif-scan: ${motifs.length} JASPAR 2018 motifs, both strands, p ≤ 1e-4; scanner built in ${build.wallS.toFixed(2)} s`,
  );

  // Same output first, then the reference and ours alternating (ref, ours, ref, ours).
  const slice = randomBatch(200_000, 1344, 7);
  const ours0 = await scanMotifs(scanner, slice, { threads: 1 });
  const ref0 = scanSimple(scanner, slice);
  if (keys(ours0).join('\n') !== ref0.join('\n'))
    throw new Error(
      `motif-scan: hits differ from the simple scanner (${ours0.count} vs ${ref0.length})`,
    );
  const refTimes: number[] = [];
  const ourTimes: number[] = [];
  for (let round = 0; round < 2; round++) {
    refTimes.push((await timed(() => scanSimple(scanner, slice)))[1].cpuS);
    ourTimes.push((await timed(() => scanMotifs(scanner, slice, { threads: 1 })))[1].cpuS);
  }
  const refBest = Math.min(...refTimes);
  const ourBest = Math.min(...ourTimes);
  const work = slice.codes.length * motifs.length;
  results['simpleRefBasesMotifsPerCpuS'] = work / refBest;
  results['oursBasesMotifsPerCpuS_200kb'] = work / ourBest;
  results['speedupVsSimple'] = refBest / ourBest;
  console.log(
    `  random 200 kb, 1 thread, CPU time: simple ${(work / refBest).toExponential(3)} bases×motifs/s, ours ${(work / ourBest).toExponential(3)} — ${(refBest / ourBest).toFixed(1)}× (same ${ours0.count} hits)`,
  );

  const chr2 = readChr2();
  if (chr2) {
    for (const threads of [1, 2]) {
      const [hits, t] = await timed(() => scanMotifs(scanner, chr2, { threads }));
      const w = chr2.codes.length * motifs.length;
      results[`chr2_2.33Mb_threads${threads}_basesMotifsPerS`] = w / t.wallS;
      results[`chr2_2.33Mb_threads${threads}_wallS`] = t.wallS;
      results[`chr2_2.33Mb_threads${threads}_cpuS`] = t.cpuS;
      console.log(
        `  hg38 chr2:1-2,333,275, ${threads} thread(s): ${t.wallS.toFixed(1)} s wall, ${t.cpuS.toFixed(1)} s CPU, ${(w / t.wallS).toExponential(3)} bases×motifs/s wall, ${hits.count} hits`,
      );
    }
  }

  const big = randomBatch(bases, 1344, 11);
  const [hits, t] = await timed(() => scanMotifs(scanner, big, { threads: 2 }));
  const w = bases * motifs.length;
  results['random_basesMotifsPerS_threads2'] = w / t.wallS;
  results['random_wallS_threads2'] = t.wallS;
  results['random_cpuS_threads2'] = t.cpuS;
  results['random_bases'] = bases;
  console.log(
    `  random ${(bases / 1e6).toFixed(1)} Mb in 1,344-bp regions, 2 threads: ${t.wallS.toFixed(1)} s wall, ${t.cpuS.toFixed(1)} s CPU (all threads), ${(w / t.wallS).toExponential(3)} bases×motifs/s, ${hits.count} hits`,
  );
  mkdirSync(join(import.meta.dirname, '..', 'bench-results'), { recursive: true });
  writeFileSync(
    join(import.meta.dirname, '..', 'bench-results', 'motif-scan.json'),
    JSON.stringify(results, null, 2),
  );
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchMotifScan();
}
