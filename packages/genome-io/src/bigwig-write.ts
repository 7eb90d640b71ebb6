import { deflateSync } from 'node:zlib';
import { ChromflowError, writeFileAtomic } from '@chromflow/core';
import type { SignalIntervals } from './bigwig.js';

/**
 * A zoom-less bigWig writer following the UCSC bbi layout (Kent et al. 2010,
 * Bioinformatics 26:2204, supplement; `bwgCreate.c`): 64-byte header, total
 * summary, chromosome B+ tree (one leaf level per 256 names), zlib-compressed
 * bedGraph sections of up to `itemsPerSlot` intervals, and a cirTree R-tree
 * index over the sections. No zoom levels: browsers and pyBigWig read it
 * (summaries are computed from base data). Little-endian throughout.
 */
export interface BigWigTrack {
  /** Chromosomes in output order with their lengths (bp). */
  chroms: { name: string; length: number }[];
  /** Per chromosome name: sorted, non-overlapping 0-based half-open intervals. */
  intervals: Map<string, SignalIntervals>;
}

export interface BigWigWriteOptions {
  /** Intervals per data section. Default 1024 (bedGraphToBigWig's). */
  itemsPerSlot?: number;
  /** Children per R-tree / B+ tree node. Default 256. */
  blockSize?: number;
  /** zlib-compress sections. Default true. */
  compress?: boolean;
}

const BIGWIG_MAGIC = 0x888ffc26;
const CHROM_TREE_MAGIC = 0x78ca8c91;
const CIR_TREE_MAGIC = 0x2468ace0;

/** Growable little-endian byte buffer. */
class Bytes {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.grow(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u16(v: number): void {
    this.grow(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.grow(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.grow(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  f32(v: number): void {
    this.grow(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  f64(v: number): void {
    this.grow(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  setU64At(at: number, v: number): void {
    this.view.setBigUint64(at, BigInt(v), true);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

interface Section {
  chromId: number;
  start: number;
  end: number;
  offset: number;
  size: number;
}

function checkIntervals(name: string, length: number, iv: SignalIntervals): void {
  const n = iv.starts.length;
  if (iv.ends.length !== n || iv.values.length !== n) {
    throw new ChromflowError('VALUE', 'interval columns differ in length', {
      field: `intervals.${name}`,
      expected: `${n} ends and values`,
      found: `${iv.ends.length} ends, ${iv.values.length} values`,
    });
  }
  let prevEnd = 0;
  for (let k = 0; k < n; k++) {
    const s = iv.starts[k]!;
    const e = iv.ends[k]!;
    if (!(s >= prevEnd && e > s && e <= length)) {
      throw new ChromflowError(
        'VALUE',
        'bigWig intervals must be sorted, non-overlapping and inside the chromosome',
        {
          field: `intervals.${name}[${k}]`,
          expected: `start >= ${prevEnd}, start < end <= ${length}`,
          found: `${s}-${e}`,
        },
      );
    }
    prevEnd = e;
  }
}

/** Writes the chromosome B+ tree (keys = names zero-padded to the longest). */
function writeChromTree(out: Bytes, chroms: { name: string; length: number }[], blockSize: number) {
  const enc = new TextEncoder();
  const keys = chroms.map((c) => enc.encode(c.name));
  const keySize = Math.max(1, ...keys.map((k) => k.length));
  // Sorted by name bytes, as bbiChromInfo is (the tree is searched by key).
  const order = chroms.map((_, i) => i).sort((a, b) => Buffer.compare(keys[a]!, keys[b]!));
  const n = chroms.length;
  const bs = Math.max(2, Math.min(blockSize, n));
  out.u32(CHROM_TREE_MAGIC);
  out.u32(bs);
  out.u32(keySize);
  out.u32(8);
  out.u64(n);
  out.u64(0);
  // Levels bottom-up: leaves hold items; upper nodes hold (first key, child offset).
  let level: number[][] = [];
  for (let i = 0; i < n; i += bs) level.push(order.slice(i, i + bs));
  const levels: number[][][] = [level];
  while (level.length > 1) {
    const up: number[][] = [];
    for (let i = 0; i < level.length; i += bs) up.push(level.slice(i, i + bs).map((_, k) => i + k));
    levels.push(up);
    level = up;
  }
  // Leaf items (key, id u32, size u32) and inner items (key, offset u64) are both keySize + 8.
  const nodeSize = () => 4 + bs * (keySize + 8);
  // Node offsets, root level first.
  const start = out.length;
  const offsets: number[][] = [];
  let at = start;
  for (let l = levels.length - 1; l >= 0; l--) {
    offsets[l] = levels[l]!.map(() => {
      const o = at;
      at += nodeSize();
      return o;
    });
  }
  const firstKey = (l: number, node: number): number => {
    let idx = node;
    for (let ll = l; ll > 0; ll--) idx = levels[ll]![idx]![0]!;
    return levels[0]![idx]![0]!;
  };
  const key = (i: number) => {
    const k = new Uint8Array(keySize);
    k.set(keys[i]!);
    return k;
  };
  for (let l = levels.length - 1; l >= 0; l--) {
    for (const node of levels[l]!) {
      const nodeStart = out.length;
      out.u8(l === 0 ? 1 : 0);
      out.u8(0);
      out.u16(node.length);
      for (const item of node) {
        if (l === 0) {
          out.bytes(key(item));
          out.u32(item);
          out.u32(chroms[item]!.length);
        } else {
          out.bytes(key(firstKey(l - 1, item)));
          out.u64(offsets[l - 1]![item]!);
        }
      }
      while (out.length < nodeStart + nodeSize()) out.u8(0); // fixed-size nodes
    }
  }
}

/** Writes the cirTree index over the data sections (bottom-up levels, written root first). */
function writeRTree(
  out: Bytes,
  sections: Section[],
  blockSize: number,
  itemsPerSlot: number,
  dataEnd: number,
) {
  const n = sections.length;
  const first = sections[0];
  const last = sections[n - 1];
  out.u32(CIR_TREE_MAGIC);
  out.u32(blockSize);
  out.u64(n);
  out.u32(first?.chromId ?? 0);
  out.u32(first?.start ?? 0);
  out.u32(last?.chromId ?? 0);
  out.u32(last?.end ?? 0);
  out.u64(dataEnd);
  out.u32(itemsPerSlot);
  out.u32(0);
  type Box = { sc: number; ss: number; ec: number; ee: number; children: number[] };
  let level: Box[] = [];
  for (let i = 0; i < Math.max(n, 1); i += blockSize) {
    const kids = sections.slice(i, i + blockSize);
    level.push({
      sc: kids[0]?.chromId ?? 0,
      ss: kids[0]?.start ?? 0,
      ec: kids[kids.length - 1]?.chromId ?? 0,
      ee: kids[kids.length - 1]?.end ?? 0,
      children: kids.map((_, k) => i + k),
    });
  }
  const levels: Box[][] = [level];
  while (level.length > 1) {
    const up: Box[] = [];
    for (let i = 0; i < level.length; i += blockSize) {
      const kids = level.slice(i, i + blockSize);
      up.push({
        sc: kids[0]!.sc,
        ss: kids[0]!.ss,
        ec: kids[kids.length - 1]!.ec,
        ee: kids[kids.length - 1]!.ee,
        children: kids.map((_, k) => i + k),
      });
    }
    levels.push(up);
    level = up;
  }
  const nodeBytes = (l: number, node: Box) => 4 + node.children.length * (l === 0 ? 32 : 24);
  const offsets: number[][] = [];
  let at = out.length;
  for (let l = levels.length - 1; l >= 0; l--) {
    offsets[l] = levels[l]!.map((node) => {
      const o = at;
      at += nodeBytes(l, node);
      return o;
    });
  }
  for (let l = levels.length - 1; l >= 0; l--) {
    for (const node of levels[l]!) {
      out.u8(l === 0 ? 1 : 0);
      out.u8(0);
      out.u16(node.children.length);
      for (const c of node.children) {
        if (l === 0) {
          const s = sections[c]!;
          out.u32(s.chromId);
          out.u32(s.start);
          out.u32(s.chromId);
          out.u32(s.end);
          out.u64(s.offset);
          out.u64(s.size);
        } else {
          const b = levels[l - 1]![c]!;
          out.u32(b.sc);
          out.u32(b.ss);
          out.u32(b.ec);
          out.u32(b.ee);
          out.u64(offsets[l - 1]![c]!);
        }
      }
    }
  }
}

/** The bigWig bytes for a track (see {@link writeBigWig}). */
export function encodeBigWig(track: BigWigTrack, options: BigWigWriteOptions = {}): Uint8Array {
  const itemsPerSlot = options.itemsPerSlot ?? 1024;
  const blockSize = options.blockSize ?? 256;
  const compress = options.compress ?? true;
  const chroms = track.chroms;
  for (const name of track.intervals.keys()) {
    if (!chroms.some((c) => c.name === name)) {
      throw new ChromflowError(
        'VALUE',
        'intervals on a chromosome missing from the chromosome list',
        {
          field: 'intervals',
          expected: chroms
            .map((c) => c.name)
            .slice(0, 8)
            .join(', '),
          found: name,
        },
      );
    }
  }
  const out = new Bytes();
  out.bytes(new Uint8Array(64)); // header, filled at the end
  const totalSummaryOffset = out.length;
  out.bytes(new Uint8Array(40));
  const chromTreeOffset = out.length;
  writeChromTree(out, chroms, blockSize);
  const dataOffset = out.length;
  out.u64(0); // section count, filled below
  const sections: Section[] = [];
  let maxRaw = 0;
  let bases = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  chroms.forEach((c, chromId) => {
    const iv = track.intervals.get(c.name);
    if (!iv) return;
    checkIntervals(c.name, c.length, iv);
    for (let i = 0; i < iv.starts.length; i += itemsPerSlot) {
      const m = Math.min(itemsPerSlot, iv.starts.length - i);
      const raw = new DataView(new ArrayBuffer(24 + 12 * m));
      const start = iv.starts[i]!;
      const end = iv.ends[i + m - 1]!;
      raw.setUint32(0, chromId, true);
      raw.setUint32(4, start, true);
      raw.setUint32(8, end, true);
      raw.setUint32(12, 0, true); // itemStep: unused for bedGraph sections
      raw.setUint32(16, 0, true); // itemSpan
      raw.setUint8(20, 1); // type 1 = bedGraph
      raw.setUint16(22, m, true);
      for (let k = 0; k < m; k++) {
        const s = iv.starts[i + k]!;
        const e = iv.ends[i + k]!;
        const v = iv.values[i + k]!;
        raw.setUint32(24 + 12 * k, s, true);
        raw.setUint32(28 + 12 * k, e, true);
        raw.setFloat32(32 + 12 * k, v, true);
        const span = e - s;
        const f = Math.fround(v);
        bases += span;
        if (f < min) min = f;
        if (f > max) max = f;
        sum += f * span;
        sumSq += f * f * span;
      }
      const rawBytes = new Uint8Array(raw.buffer);
      maxRaw = Math.max(maxRaw, rawBytes.length);
      const body = compress ? deflateSync(rawBytes) : rawBytes;
      sections.push({ chromId, start, end, offset: out.length, size: body.length });
      out.bytes(body);
    }
  });
  out.setU64At(dataOffset, sections.length);
  const indexOffset = out.length;
  writeRTree(out, sections, blockSize, itemsPerSlot, indexOffset);
  const bytes = out.result();
  const h = new DataView(bytes.buffer);
  h.setUint32(0, BIGWIG_MAGIC, true);
  h.setUint16(4, 4, true); // version
  h.setUint16(6, 0, true); // zoom levels
  h.setBigUint64(8, BigInt(chromTreeOffset), true);
  h.setBigUint64(16, BigInt(dataOffset), true);
  h.setBigUint64(24, BigInt(indexOffset), true);
  h.setUint16(32, 0, true); // fieldCount
  h.setUint16(34, 0, true); // definedFieldCount
  h.setBigUint64(36, 0n, true); // autoSql
  h.setBigUint64(44, BigInt(totalSummaryOffset), true);
  h.setUint32(52, compress ? maxRaw : 0, true); // uncompressBufSize
  h.setBigUint64(56, 0n, true); // extension
  h.setBigUint64(totalSummaryOffset, BigInt(bases), true);
  h.setFloat64(totalSummaryOffset + 8, bases ? min : 0, true);
  h.setFloat64(totalSummaryOffset + 16, bases ? max : 0, true);
  h.setFloat64(totalSummaryOffset + 24, sum, true);
  h.setFloat64(totalSummaryOffset + 32, sumSq, true);
  return bytes;
}

/** Writes a bigWig atomically; read it with {@link openBigWig} or any UCSC-compatible reader. */
export async function writeBigWig(
  path: string,
  track: BigWigTrack,
  options: BigWigWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeBigWig(track, options));
}
