import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip, gunzip } from 'node:zlib';
import { ChromflowError, throwIfAborted } from '@chromflow/core';
import { BGZF_EOF, isBgzfBlockStart } from './bgzf.js';
import type { LongRunOptions } from '@chromflow/core';

/**
 * Byte streams of text files that may be plain, gzip or bgzip (bgzip is
 * multi-member gzip, which Node's gunzip reads to the end). Errors become
 * ChromflowErrors about the file: missing (IO), truncated gzip (IO), corrupt
 * gzip (PARSE).
 */

/** True when the file starts with the gzip magic bytes 1f 8b. */
export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch((e: unknown) => {
    throw new ChromflowError('IO', 'cannot open file', { path, cause: e, hint: 'check the path' });
  });
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function gzipError(path: string, e: unknown): ChromflowError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/unexpected end of file/i.test(msg)) {
    return new ChromflowError('IO', 'gzip stream ends early: the file is truncated', {
      path,
      cause: e,
      hint: 'the download or copy was cut short; fetch the file again (`gzip -t` confirms)',
    });
  }
  return new ChromflowError('PARSE', `file is not valid gzip (${msg})`, {
    path,
    cause: e,
    hint: '`gzip -t` shows the damage; fetch the file again',
  });
}

/**
 * The file's bytes, inflated when gzip/bgzip, in chunks of about `chunkSize`
 * (default 256 KiB). Reports progress in compressed bytes read of the file size.
 */
export async function* readByteChunks(
  path: string,
  options: LongRunOptions & { chunkSize?: number } = {},
): AsyncGenerator<Uint8Array> {
  const gz = await isGzipFile(path);
  const total = (await stat(path)).size;
  const bgzf = gz && (await checkBgzfComplete(path, total));
  const chunkSize = options.chunkSize ?? 1 << 18;
  if (bgzf) {
    try {
      yield* readBgzfInflated(path, total, options);
    } catch (e) {
      // A corrupt block (bad deflate data, CRC or size) fails inside zlib.
      if (e instanceof ChromflowError) throw e;
      throw gzipError(path, e);
    }
    return;
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  let read = 0;
  let inflated = 0;
  raw.on('data', (b) => {
    read += b.length;
  });
  const source = gz ? raw.pipe(createGunzip({ chunkSize })) : raw;
  if (gz) raw.on('error', (e) => source.destroy(e));
  options.onProgress?.(0, total);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      throwIfAborted(options.signal);
      inflated += chunk.length;
      yield chunk;
      options.onProgress?.(read, total);
    }
  } catch (e) {
    if (e instanceof ChromflowError) throw e;
    if (gz) throw gzipError(path, e);
    throw new ChromflowError('IO', 'cannot read file', { path, cause: e });
  } finally {
    raw.destroy();
    if (source !== raw) source.destroy();
  }
  if (gz && !bgzf) await checkGzipSize(path, total, inflated);
  options.onProgress?.(total, total);
}

/** Inflated bytes per group of BGZF blocks handed to one zlib call (≈ 16 blocks). */
const BGZF_GROUP_BYTES = 1 << 20;
/** Groups being inflated on the libuv thread pool while the caller parses. */
const BGZF_IN_FLIGHT = 3;
/** Compressed bytes per file read. */
const BGZF_READ_BYTES = 1 << 22;

/** Inflates whole gzip members (BGZF blocks) of `outBytes` total size on the thread pool, in one output buffer. */
function inflateMembers(members: Uint8Array, outBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(members, { chunkSize: Math.max(1024, outBytes) }, (e, out) => {
      if (e) reject(e);
      else resolve(out);
    });
  });
}

/**
 * A BGZF file's bytes (the caller has checked that it starts with a BGZF block
 * and is complete). Blocks are cut from the file by their BSIZE field, grouped
 * by their ISIZE to ~1 MiB of output, and `BGZF_IN_FLIGHT` groups are inflated
 * with zlib's asynchronous API, i.e. on libuv's thread pool: decompression
 * runs on another core while the caller parses the previous group. Each group
 * is one `gunzip` call with an output buffer of exactly its size (CRC checked
 * by zlib). A non-BGZF gzip member later in the file is inflated by the
 * streaming gunzip from there on.
 */
async function* readBgzfInflated(
  path: string,
  total: number,
  options: LongRunOptions,
): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  const pending: Promise<Buffer>[] = [];
  const enqueue = (members: Uint8Array, outBytes: number): void => {
    const p = inflateMembers(members, outBytes);
    p.catch(() => undefined); // awaited below; this only keeps an abandoned one from being unhandled
    pending.push(p);
  };
  let carry: Uint8Array = new Uint8Array(0);
  let pos = 0;
  let consumed = 0;
  let rest = -1;
  try {
    while (rest < 0) {
      throwIfAborted(options.signal);
      const buf = Buffer.allocUnsafe(BGZF_READ_BYTES);
      const { bytesRead } = await fh.read(buf, 0, BGZF_READ_BYTES, pos);
      pos += bytesRead;
      const data: Uint8Array =
        carry.length > 0
          ? Buffer.concat([carry, buf.subarray(0, bytesRead)])
          : buf.subarray(0, bytesRead);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const base = pos - data.length;
      let off = 0;
      let start = 0;
      let out = 0;
      while (off + 18 <= data.length) {
        if (!isBgzfBlockStart(data, off)) {
          rest = base + off;
          break;
        }
        const size = view.getUint16(off + 16, true) + 1;
        if (off + size > data.length) break;
        out += view.getUint32(off + size - 4, true);
        off += size;
        if (out >= BGZF_GROUP_BYTES) {
          enqueue(data.subarray(start, off), out);
          start = off;
          out = 0;
        }
      }
      if (off > start) enqueue(data.subarray(start, off), out);
      consumed = base + off;
      carry = data.slice(off);
      while (pending.length > (rest < 0 && bytesRead > 0 ? BGZF_IN_FLIGHT : 0)) {
        const chunk = await pending.shift()!;
        if (chunk.length > 0) yield chunk;
        options.onProgress?.(Math.min(consumed, total), total);
      }
      if (bytesRead === 0) break;
    }
    if (rest >= 0) {
      // Not BGZF from here on (e.g. a plain gzip member appended): stream it.
      const raw = createReadStream(path, { start: rest, highWaterMark: 1 << 20 });
      const source = raw.pipe(createGunzip({ chunkSize: 1 << 18 }));
      raw.on('error', (e) => source.destroy(e));
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) yield chunk;
      } finally {
        raw.destroy();
        source.destroy();
      }
    } else if (carry.length > 0) {
      throw new ChromflowError('IO', 'bgzip file is truncated: its last block is incomplete', {
        path,
        field: `byte ${consumed}`,
        hint: TRUNCATED_HINT,
      });
    }
  } finally {
    await fh.close();
  }
}

const TRUNCATED_HINT =
  'the download or copy was cut short; fetch the file again (`gzip -t` confirms)';

/**
 * Node's gunzip stream ends quietly on a truncated input (no "unexpected end
 * of file" error), so completeness is checked from the file itself. For a
 * BGZF file: true when it ends with the EOF block or its block chain ends
 * exactly at the file end, IO error otherwise; false for non-BGZF gzip.
 */
async function checkBgzfComplete(path: string, size: number): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(18);
    await fh.read(head, 0, 18, 0);
    if (!(head[3]! & 4 && head[12] === 0x42 && head[13] === 0x43)) return false;
    const tail = Buffer.alloc(28);
    if (size >= 28) await fh.read(tail, 0, 28, size - 28);
    if (size >= 28 && Buffer.from(BGZF_EOF).equals(tail)) return true;
    // No EOF marker (older writers omit it): walk the block headers.
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(head, 0, 18, off);
      if (bytesRead < 18 || head[0] !== 0x1f || head[1] !== 0x8b) break;
      off += head.readUInt16LE(16) + 1;
    }
    if (off !== size) {
      throw new ChromflowError('IO', 'bgzip file is truncated: its last block is incomplete', {
        path,
        field: `byte ${off}`,
        hint: TRUNCATED_HINT,
      });
    }
    return true;
  } finally {
    await fh.close();
  }
}

/**
 * A gzip member ends with ISIZE, its uncompressed size mod 2^32. A truncated
 * file ends inside deflate data, so its last 4 bytes are (almost surely) not a
 * size we could have produced: more than what was inflated. Valid
 * concatenations of members pass (their last ISIZE ≤ the total).
 */
async function checkGzipSize(path: string, size: number, inflated: number): Promise<void> {
  if (size < 18 || inflated >= 2 ** 32) return;
  const fh = await open(path, 'r');
  try {
    const tail = Buffer.alloc(4);
    await fh.read(tail, 0, 4, size - 4);
    if (tail.readUInt32LE(0) > inflated) {
      throw new ChromflowError('IO', 'gzip stream ends early: the file is truncated', {
        path,
        expected: `${tail.readUInt32LE(0)} bytes uncompressed (gzip trailer)`,
        found: `${inflated}`,
        hint: TRUNCATED_HINT,
      });
    }
  } finally {
    await fh.close();
  }
}

/** A line of a text file with its 1-based number (without the newline). */
export interface NumberedLine {
  text: string;
  lineNumber: number;
}

/**
 * The file's lines as strings in batches (streaming, UTF-8 decoded in
 * streaming mode, the partial last line carried). A line ending in CR LF
 * throws PARSE naming the line: chromflow reads Unix text only.
 */
export async function* readLineBatches(
  path: string,
  options: LongRunOptions = {},
): AsyncGenerator<NumberedLine[]> {
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  let lineNumber = 0;
  const cut = (text: string, final: boolean): NumberedLine[] => {
    const parts = (carry + text).split('\n');
    carry = final ? '' : (parts.pop() ?? '');
    if (final && parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return parts.map((t) => {
      lineNumber++;
      if (t.endsWith('\r')) {
        throw new ChromflowError('PARSE', 'line ends with CR LF (Windows line endings)', {
          path,
          line: lineNumber,
          column: t.length,
          hint: "convert the file to Unix line endings: `dos2unix FILE` or `sed -i 's/\\r$//' FILE`",
        });
      }
      return { text: t, lineNumber };
    });
  };
  for await (const chunk of readByteChunks(path, options)) {
    const lines = cut(decoder.decode(chunk, { stream: true }), false);
    if (lines.length > 0) yield lines;
  }
  const last = cut(decoder.decode(), true);
  if (last.length > 0) yield last;
}
