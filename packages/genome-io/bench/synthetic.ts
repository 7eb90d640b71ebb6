import { openSync, closeSync, writeSync } from 'node:fs';
import { BGZF_BLOCK_DATA_SIZE, BGZF_EOF, bgzfBlockFromBytes } from '../src/index.js';

/**
 * A synthetic 10x fragments file (bgzip, sorted) of `n` fragments over
 * chromosomes chr1..chr4 of 50 Mb each, 5,000 barcodes with Zipf-like
 * popularity, fragment lengths 30–700 bp (nucleosome-ish mixture), counts 1–4.
 * Deterministic for a seed. Written in 100k-line slices so memory stays flat.
 */
export function writeSyntheticFragments(path: string, n: number, seed = 1): void {
  let x = seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const barcodes = Array.from({ length: 5000 }, (_, i) => {
    let s = '';
    let v = i * 2654435761;
    for (let k = 0; k < 16; k++) {
      s += 'ACGT'[v & 3];
      v = Math.floor(v / 4) ^ (k * 97);
    }
    return `${s}-1`;
  });
  const chroms = ['chr1', 'chr2', 'chr3', 'chr4'];
  const perChrom = Math.ceil(n / chroms.length);
  const step = 50_000_000 / perChrom;
  const fd = openSync(path, 'w');
  let pending = Buffer.alloc(0);
  const flush = (final: boolean): void => {
    let off = 0;
    while (pending.length - off >= BGZF_BLOCK_DATA_SIZE || (final && off < pending.length)) {
      const end = Math.min(pending.length, off + BGZF_BLOCK_DATA_SIZE);
      writeSync(fd, bgzfBlockFromBytes(pending.subarray(off, end)));
      off = end;
    }
    pending = pending.subarray(off);
  };
  let written = 0;
  for (const chrom of chroms) {
    let pos = 10_000;
    let lines: string[] = [];
    for (let i = 0; i < perChrom && written < n; i++, written++) {
      pos += Math.floor(rnd() * 2 * step);
      const len = rnd() < 0.6 ? 30 + Math.floor(rnd() * 150) : 180 + Math.floor(rnd() * 520);
      const bc = barcodes[Math.floor(5000 * rnd() ** 2)]!;
      lines.push(`${chrom}\t${pos}\t${pos + len}\t${bc}\t${1 + Math.floor(rnd() ** 3 * 4)}\n`);
      if (lines.length === 100_000) {
        pending = Buffer.concat([pending, Buffer.from(lines.join(''), 'latin1')]);
        lines = [];
        flush(false);
      }
    }
    pending = Buffer.concat([pending, Buffer.from(lines.join(''), 'latin1')]);
    flush(false);
  }
  flush(true);
  writeSync(fd, BGZF_EOF);
  closeSync(fd);
}
