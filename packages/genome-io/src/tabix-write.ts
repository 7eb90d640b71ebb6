import { readFile } from 'node:fs/promises';
import { ChromflowError, writeFileAtomic } from '@chromflow/core';
import { bgzfBlocks, bgzfFromBytes } from './bgzf.js';

/**
 * A tabix (`.tbi`) index writer for BED-like BGZF files (BED, narrowPeak,
 * bedGraph, 10x fragments): columns 1–3 are chrom, start (0-based), end
 * (exclusive), `#` lines are headers. The layout follows the tabix paper /
 * htslib's `tbx_index` with the `bed` preset: binning index (UCSC bins, 14-bit
 * minimum shift, 5 levels), 16-kbp linear index, the 37450 pseudo-bin of
 * offsets and counts, and the trailing unplaced count. Readable by `tabix`
 * and @gmod/tabix.
 */

const MIN_SHIFT = 14;
const PSEUDO_BIN = 37450;
/** tabix `format` field: generic (0) with the UCSC flag (0x10000) = 0-based half-open starts. */
const FORMAT_BED = 0x10000;

/** The UCSC bin of the 0-based half-open interval [beg, end) (SAM spec §5.3 `reg2bin`). */
export function binFromInterval(beg: number, end: number): number {
  const e = end - 1;
  if (beg >> 14 === e >> 14) return ((1 << 15) - 1) / 7 + (beg >> 14);
  if (beg >> 17 === e >> 17) return ((1 << 12) - 1) / 7 + (beg >> 17);
  if (beg >> 20 === e >> 20) return ((1 << 9) - 1) / 7 + (beg >> 20);
  if (beg >> 23 === e >> 23) return ((1 << 6) - 1) / 7 + (beg >> 23);
  if (beg >> 26 === e >> 26) return ((1 << 3) - 1) / 7 + (beg >> 26);
  return 0;
}

interface RefIndex {
  bins: Map<number, number[]>; // flat [beg0, end0, beg1, end1, …] virtual offsets
  linear: number[];
  offBeg: number;
  offEnd: number;
  nMapped: number;
}

/** Virtual offset = compressed block offset × 2^16 + offset inside the inflated block (kept as a JS number, exact below 2^53). */
function voffset(coffset: number, uoffset: number): number {
  return coffset * 65536 + uoffset;
}

function pushChunk(ref: RefIndex, bin: number, beg: number, end: number): void {
  let chunks = ref.bins.get(bin);
  if (!chunks) ref.bins.set(bin, (chunks = []));
  const n = chunks.length;
  // Adjacent chunks merge (htslib does the same when it compresses the index).
  if (n > 0 && chunks[n - 1] === beg) chunks[n - 1] = end;
  else chunks.push(beg, end);
}

function parseIntField(line: Uint8Array, from: number, to: number): number {
  if (from >= to) return NaN;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = line[i]! - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Builds the `.tbi` bytes (BGZF-compressed) for a BGZF file held in memory.
 * Throws UNSORTED when records are not grouped by chromosome and sorted by start,
 * and PARSE when a record lacks integer start/end columns.
 */
export function tabixIndexFromBgzf(data: Uint8Array, path?: string): Uint8Array {
  const names: string[] = [];
  const refs: RefIndex[] = [];
  const decoder = new TextDecoder('latin1');
  let cur: RefIndex | undefined;
  let curName = '';
  let lastBeg = -1;
  let lineNo = 0;
  let lastBin = -1;
  let chunkBeg = 0;

  const onLine = (line: Uint8Array, vBeg: number, vEnd: number): void => {
    lineNo++;
    if (line.length === 0 || line[0] === 35 /* # */) return;
    let len = line.length;
    if (line[len - 1] === 13) len--; // CRLF
    const t1 = line.indexOf(9);
    const t2 = t1 < 0 ? -1 : line.indexOf(9, t1 + 1);
    let t3 = t2 < 0 ? -1 : line.indexOf(9, t2 + 1);
    if (t3 < 0 || t3 > len) t3 = len;
    const beg = t2 < 0 ? NaN : parseIntField(line, t1 + 1, t2);
    let end = t2 < 0 ? NaN : parseIntField(line, t2 + 1, t3);
    if (!Number.isFinite(beg) || !Number.isFinite(end)) {
      throw new ChromflowError('PARSE', 'record has no integer start and end in columns 2 and 3', {
        path,
        line: lineNo,
        source: decoder.decode(line),
        expected: 'chrom<TAB>start<TAB>end…',
      });
    }
    if (end <= beg) end = beg + 1;
    const name = decoder.decode(line.subarray(0, t1));
    if (name !== curName || !cur) {
      if (cur && lastBin >= 0) pushChunk(cur, lastBin, chunkBeg, vBeg);
      if (names.includes(name)) {
        throw new ChromflowError('UNSORTED', `chromosome ${name} appears again after ${curName}`, {
          path,
          line: lineNo,
          hint: 'sort with `sort -k1,1 -k2,2n` (records of one chromosome must be contiguous)',
        });
      }
      names.push(name);
      cur = { bins: new Map(), linear: [], offBeg: vBeg, offEnd: vEnd, nMapped: 0 };
      refs.push(cur);
      curName = name;
      lastBeg = -1;
      lastBin = -1;
    }
    if (beg < lastBeg) {
      throw new ChromflowError(
        'UNSORTED',
        `start ${beg} is less than the previous start ${lastBeg}`,
        {
          path,
          line: lineNo,
          field: 'start',
          hint: 'sort with `sort -k1,1 -k2,2n` and compress again with bgzip',
        },
      );
    }
    lastBeg = beg;
    const bin = binFromInterval(beg, end);
    if (bin !== lastBin) {
      if (lastBin >= 0) pushChunk(cur, lastBin, chunkBeg, vBeg);
      lastBin = bin;
      chunkBeg = vBeg;
    }
    for (let w = beg >> MIN_SHIFT, last = (end - 1) >> MIN_SHIFT; w <= last; w++) {
      if (cur.linear[w] === undefined) cur.linear[w] = vBeg;
    }
    cur.offEnd = vEnd;
    cur.nMapped++;
  };

  // Walk the inflated blocks, cutting lines and tracking each line's start virtual offset.
  const blocks = [...bgzfBlocks(data, path)];
  let carry: Uint8Array[] = [];
  let lineStart = 0;
  for (let b = 0; b < blocks.length; b++) {
    const { compressedOffset, compressedSize, data: bytes } = blocks[b]!;
    let from = 0;
    for (;;) {
      const nl = bytes.indexOf(10, from);
      if (nl < 0) break;
      const piece = bytes.subarray(from, nl);
      const line = carry.length === 0 ? piece : concat([...carry, piece]);
      carry = [];
      const next =
        nl + 1 === bytes.length
          ? voffset(compressedOffset + compressedSize, 0)
          : voffset(compressedOffset, nl + 1);
      onLine(line, lineStart, next);
      lineStart = next;
      from = nl + 1;
    }
    if (from < bytes.length) carry.push(bytes.subarray(from));
  }
  if (carry.length > 0) {
    const last = blocks[blocks.length - 1];
    onLine(
      concat(carry),
      lineStart,
      last ? voffset(last.compressedOffset + last.compressedSize, 0) : 0,
    );
  }
  if (cur && lastBin >= 0) pushChunk(cur, lastBin, chunkBeg, cur.offEnd);

  return bgzfFromBytes(encodeTbi(names, refs)).data;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const N_LEVELS = 5;
/** htslib `HTS_MIN_MARKER_DIST`: bins spanning less than this many compressed bytes fold into their parent. */
const MIN_MARKER_DIST = 0x10000;

function firstBinOfLevel(level: number): number {
  return ((1 << (3 * level)) - 1) / 7;
}

/**
 * htslib's `compress_binning`: from the deepest level up, a bin whose chunks
 * span under 64 KiB of compressed file moves its chunks into its parent (when
 * the parent exists); then chunks that touch the same BGZF block merge. The
 * result is the index `tabix` writes, so the two can be compared byte for byte.
 */
function compressBinning(ref: RefIndex): void {
  const { bins } = ref;
  const sortChunks = (c: number[]): number[] => {
    const pairs: [number, number][] = [];
    for (let i = 0; i < c.length; i += 2) pairs.push([c[i]!, c[i + 1]!]);
    pairs.sort((a, b) => a[0] - b[0]);
    return pairs.flat();
  };
  for (let level = N_LEVELS; level > 0; level--) {
    const first = firstBinOfLevel(level);
    for (const bin of [...bins.keys()].sort((a, b) => a - b)) {
      if (bin < first) continue;
      let chunks = bins.get(bin)!;
      if (level < N_LEVELS && chunks.length > 2) bins.set(bin, (chunks = sortChunks(chunks)));
      const span = Math.floor(chunks[chunks.length - 1]! / 65536) - Math.floor(chunks[0]! / 65536);
      if (span < MIN_MARKER_DIST) {
        const parent = bins.get((bin - 1) >> 3);
        if (!parent) continue;
        parent.push(...chunks);
        bins.delete(bin);
      }
    }
  }
  const root = bins.get(0);
  if (root) bins.set(0, sortChunks(root));
  for (const [bin, c] of bins) {
    const out: number[] = [c[0]!, c[1]!];
    for (let i = 2; i < c.length; i += 2) {
      const m = out.length - 2;
      if (Math.floor(out[m + 1]! / 65536) >= Math.floor(c[i]! / 65536)) {
        if (out[m + 1]! < c[i + 1]!) out[m + 1] = c[i + 1]!;
      } else out.push(c[i]!, c[i + 1]!);
    }
    bins.set(bin, out);
  }
}

function encodeTbi(names: string[], refs: RefIndex[]): Uint8Array {
  for (const r of refs) compressBinning(r);
  const nameBytes = new TextEncoder().encode(names.map((n) => `${n}\0`).join(''));
  let size = 4 + 4 * 7 + 4 + nameBytes.length + 8;
  for (const r of refs) {
    size += 4;
    for (const chunks of r.bins.values()) size += 8 + chunks.length * 8;
    size += 8 + 2 * 16; // pseudo-bin
    size += 4 + r.linear.length * 8;
  }
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let p = 0;
  const i32 = (x: number): void => {
    v.setInt32(p, x, true);
    p += 4;
  };
  const u64 = (x: number): void => {
    v.setBigUint64(p, BigInt(x), true);
    p += 8;
  };
  out.set([0x54, 0x42, 0x49, 0x01], 0); // "TBI\1"
  p = 4;
  i32(refs.length);
  i32(FORMAT_BED);
  i32(1); // col_seq
  i32(2); // col_beg
  i32(3); // col_end
  i32(35); // meta char '#'
  i32(0); // skip
  i32(nameBytes.length);
  out.set(nameBytes, p);
  p += nameBytes.length;
  for (const r of refs) {
    i32(r.bins.size + 1);
    for (const bin of [...r.bins.keys()].sort((a, b) => a - b)) {
      const chunks = r.bins.get(bin)!;
      v.setUint32(p, bin, true);
      p += 4;
      i32(chunks.length / 2);
      for (const c of chunks) u64(c);
    }
    v.setUint32(p, PSEUDO_BIN, true);
    p += 4;
    i32(2);
    u64(r.offBeg);
    u64(r.offEnd);
    u64(r.nMapped);
    u64(0);
    // Windows no record covers take the offset of the window to their left, leading ones the
    // chromosome's first offset (htslib `update_loff`).
    i32(r.linear.length);
    let prev = r.offBeg;
    for (let w = 0; w < r.linear.length; w++) {
      const x = r.linear[w] ?? prev;
      prev = x;
      u64(x);
    }
  }
  u64(0); // n_no_coor
  return out.subarray(0, p);
}

/** Reads the BGZF file at `path` and writes its tabix index to `<path>.tbi` (or `indexPath`), atomically. */
export async function writeTabixIndex(path: string, indexPath = `${path}.tbi`): Promise<void> {
  let data: Uint8Array;
  try {
    data = await readFile(path);
  } catch (e) {
    throw new ChromflowError('IO', 'cannot read file to index', { path, cause: e });
  }
  await writeFileAtomic(indexPath, tabixIndexFromBgzf(data, path));
}
