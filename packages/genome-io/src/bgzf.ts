import { readFile } from 'node:fs/promises';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { ChromflowError, writeFileAtomic } from '@chromflow/core';

/**
 * BGZF (SAM/BAM specification §4.1): a series of gzip members of at most 64 KiB
 * each, whose extra field `BC` records the member's size, ending with a fixed
 * 28-byte empty member (the EOF marker). Any gzip reader reads it as one
 * stream; `bgzip -d`, htslib and @gmod/bgzf-filehandle can seek in it.
 */

/** Uncompressed bytes per block; htslib's `BGZF_BLOCK_SIZE` (0xff00) so a block never exceeds 64 KiB. */
export const BGZF_BLOCK_DATA_SIZE = 0xff00;

/** The 28-byte empty block htslib writes last and checks for. */
export const BGZF_EOF = Uint8Array.from([
  0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
  0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
]);

const HEADER_SIZE = 18;
const FOOTER_SIZE = 8;

/** One BGZF block around `data` (at most `BGZF_BLOCK_DATA_SIZE` bytes). */
export function bgzfBlockFromBytes(data: Uint8Array, level = 6): Uint8Array {
  if (data.length > 0x10000) throw new RangeError('a BGZF block holds at most 65536 bytes');
  let deflated: Uint8Array = deflateRawSync(data, { level });
  // Incompressible input can grow past 64 KiB; store it (level 0) instead, as htslib does.
  if (deflated.length + HEADER_SIZE + FOOTER_SIZE > 0x10000) {
    deflated = deflateRawSync(data, { level: 0 });
  }
  const total = HEADER_SIZE + deflated.length + FOOTER_SIZE;
  const block = new Uint8Array(total);
  const view = new DataView(block.buffer);
  block.set([0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00]);
  view.setUint16(16, total - 1, true);
  block.set(deflated, HEADER_SIZE);
  view.setUint32(total - 8, crc32(data) >>> 0, true);
  view.setUint32(total - 4, data.length, true);
  return block;
}

/** Where each block of a BGZF file starts: compressed and uncompressed offsets. */
export interface BgzfLayout {
  /** Compressed byte offset of each block (the last entry is the EOF block). */
  compressedOffsets: number[];
  /** Uncompressed byte offset where each block's data begins. */
  uncompressedOffsets: number[];
}

/**
 * `bytes` compressed as BGZF with the EOF marker, plus the block layout.
 * `breakAt` (sorted uncompressed offsets, e.g. line starts) lets a caller keep
 * blocks ending on line boundaries; by default blocks are cut every 0xff00 bytes
 * as `bgzip` does.
 */
export function bgzfFromBytes(
  bytes: Uint8Array,
  options: { level?: number } = {},
): { data: Uint8Array; layout: BgzfLayout } {
  const parts: Uint8Array[] = [];
  const compressedOffsets: number[] = [];
  const uncompressedOffsets: number[] = [];
  let coff = 0;
  for (let off = 0; off < bytes.length; off += BGZF_BLOCK_DATA_SIZE) {
    const block = bgzfBlockFromBytes(
      bytes.subarray(off, Math.min(bytes.length, off + BGZF_BLOCK_DATA_SIZE)),
      options.level,
    );
    compressedOffsets.push(coff);
    uncompressedOffsets.push(off);
    parts.push(block);
    coff += block.length;
  }
  compressedOffsets.push(coff);
  uncompressedOffsets.push(bytes.length);
  parts.push(BGZF_EOF);
  coff += BGZF_EOF.length;
  const data = new Uint8Array(coff);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { data, layout: { compressedOffsets, uncompressedOffsets } };
}

/** The opposite of `bgzfFromBytes`: every block inflated and concatenated. */
export function bgzfToBytes(data: Uint8Array, path?: string): Uint8Array {
  const out: Uint8Array[] = [];
  let total = 0;
  for (const block of bgzfBlocks(data, path)) {
    out.push(block.data);
    total += block.data.length;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const b of out) {
    bytes.set(b, at);
    at += b.length;
  }
  return bytes;
}

/** Writes `text` as a BGZF file (atomically), readable by `bgzip -d`, `tabix`, htslib and @gmod/bgzf-filehandle. */
export async function writeBgzf(path: string, text: Uint8Array | string): Promise<BgzfLayout> {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const { data, layout } = bgzfFromBytes(bytes);
  await writeFileAtomic(path, data);
  return layout;
}

/** One inflated block: where it sits in the file and its data. */
export interface BgzfBlock {
  /** Compressed offset of the block in the file. */
  compressedOffset: number;
  /** Size of the block in the file. */
  compressedSize: number;
  data: Uint8Array;
}

/** Is `data` (at `offset`) the header of a BGZF block? */
export function isBgzfBlockStart(data: Uint8Array, offset = 0): boolean {
  return (
    data.length >= offset + HEADER_SIZE &&
    data[offset] === 0x1f &&
    data[offset + 1] === 0x8b &&
    data[offset + 2] === 8 &&
    ((data[offset + 3] ?? 0) & 4) !== 0 &&
    data[offset + 12] === 0x42 &&
    data[offset + 13] === 0x43
  );
}

/** Iterates the blocks of an in-memory BGZF file, checking each header and CRC. */
export function* bgzfBlocks(data: Uint8Array, path?: string): Generator<BgzfBlock> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  while (off < data.length) {
    if (!isBgzfBlockStart(data, off)) {
      throw new ChromflowError('PARSE', 'file is not BGZF (blocked gzip) at this byte offset', {
        path,
        field: `byte ${off}`,
        expected: 'a gzip header with a BC extra field',
        hint: 'compress it with `bgzip` (htslib), not plain `gzip`',
      });
    }
    const size = view.getUint16(off + 16, true) + 1;
    if (off + size > data.length) {
      throw new ChromflowError('IO', 'BGZF file is truncated inside a block', {
        path,
        field: `byte ${off}`,
        expected: `${size} bytes of block`,
        found: `${data.length - off}`,
        hint: 'the file was cut short; re-download or re-compress it',
      });
    }
    const inflated = inflateRawSync(data.subarray(off + HEADER_SIZE, off + size - FOOTER_SIZE));
    const isize = view.getUint32(off + size - 4, true);
    if (
      inflated.length !== isize ||
      crc32(inflated) >>> 0 !== view.getUint32(off + size - 8, true)
    ) {
      throw new ChromflowError('PARSE', 'BGZF block fails its CRC/size check', {
        path,
        field: `byte ${off}`,
        hint: 'the file is corrupt; re-download or re-compress it',
      });
    }
    yield {
      compressedOffset: off,
      compressedSize: size,
      data: new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.length),
    };
    off += size;
  }
}

/** Reads a whole BGZF file into memory and inflates it. */
export async function readBgzf(path: string): Promise<Uint8Array> {
  let data: Uint8Array;
  try {
    data = await readFile(path);
  } catch (e) {
    throw new ChromflowError('IO', 'cannot read file', { path, cause: e });
  }
  return bgzfToBytes(data, path);
}
