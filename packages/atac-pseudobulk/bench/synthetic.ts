// Writes a synthetic 10x fragments file (bgzip) and a peak BED big enough to
// time counting: chr1..chr5 of 50 Mb, 20,000 peaks of 501 bp per chromosome,
// 10,000 barcodes, half the fragments starting near a peak, sizes from a
// nucleosome-like mixture. Sorted by chromosome then start (natural = lexicographic here).
import { spawn } from 'node:child_process';
import { createWriteStream, renameSync } from 'node:fs';
import { once } from 'node:events';

export interface SyntheticFiles {
  fragments: string;
  peaks: string;
}

function makeRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function writeSynthetic(
  dir: string,
  nFragments: number,
  name: string,
): Promise<SyntheticFiles> {
  const rand = makeRandom(42);
  const chroms = ['chr1', 'chr2', 'chr3', 'chr4', 'chr5'];
  const chromLen = 50_000_000;
  const peaksPerChrom = 20_000;
  const barcodes = Array.from({ length: 10_000 }, (_, i) => {
    let s = '';
    for (let k = 0, x = i * 2654435761; k < 16; k++, x = Math.floor(x / 4) + k * 7)
      s += 'ACGT'[x % 4];
    return `${s}-1`;
  });
  const peakLines: string[] = [];
  const peakStarts: Int32Array[] = [];
  for (const c of chroms) {
    // Evenly spaced slots with jitter: no two peaks overlap.
    const slot = Math.floor(chromLen / peaksPerChrom);
    const starts = new Int32Array(peaksPerChrom);
    for (let i = 0; i < peaksPerChrom; i++) {
      starts[i] = i * slot + Math.floor(rand() * (slot - 501));
      peakLines.push(`${c}\t${starts[i]}\t${starts[i]! + 501}\tpeak_${c}_${i}`);
    }
    peakStarts.push(starts);
  }
  const peaks = `${dir}/${name}.source.bed`;
  const ws = createWriteStream(peaks);
  ws.end(peakLines.join('\n') + '\n');
  await once(ws, 'finish');

  const fragments = `${dir}/${name}.fragments.tsv.gz`;
  // Written beside, renamed when complete: the bench reuses a cached file by name.
  const out = createWriteStream(`${fragments}.partial`);
  const bgzip = spawn('bgzip', ['-c', '-@', '2'], { stdio: ['pipe', 'pipe', 'inherit'] });
  bgzip.stdout.pipe(out);
  const perChrom = Math.ceil(nFragments / chroms.length);
  for (let ci = 0; ci < chroms.length; ci++) {
    const starts = new Int32Array(perChrom);
    const ps = peakStarts[ci]!;
    for (let i = 0; i < perChrom; i++) {
      starts[i] =
        rand() < 0.5
          ? Math.max(0, ps[Math.floor(rand() * ps.length)]! - 300 + Math.floor(rand() * 800))
          : Math.floor(rand() * (chromLen - 1000));
    }
    starts.sort();
    const chunk: string[] = [];
    for (let i = 0; i < perChrom; i++) {
      const u = rand();
      const len =
        u < 0.6
          ? 50 + Math.floor(rand() * 97)
          : u < 0.9
            ? 180 + Math.floor(rand() * 110)
            : 300 + Math.floor(rand() * 400);
      chunk.push(
        `${chroms[ci]}\t${starts[i]}\t${starts[i]! + len}\t${barcodes[Math.floor(rand() * barcodes.length)]}\t1\n`,
      );
      if (chunk.length === 65536) {
        if (!bgzip.stdin.write(chunk.join(''))) await once(bgzip.stdin, 'drain');
        chunk.length = 0;
      }
    }
    if (chunk.length > 0 && !bgzip.stdin.write(chunk.join(''))) await once(bgzip.stdin, 'drain');
  }
  bgzip.stdin.end();
  await once(out, 'finish');
  renameSync(`${fragments}.partial`, fragments);
  return { fragments, peaks };
}
