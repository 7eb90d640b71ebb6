import { open } from 'node:fs/promises';
import type { Dataset, Group } from 'h5wasm/node';
import { ChromflowError } from '@chromflow/core';

/**
 * Booleans the way h5py writes them — an HDF5 ENUM over int8 with members
 * FALSE = 0 and TRUE = 1, which h5py (and so anndata) reads as numpy `bool`
 * — written through h5wasm, which can read that type but not create it
 * (h5wasm 0.10.3: `create_h5_datatype_from_metadata` knows no H5T_ENUM, and
 * `H5Tenum_create` is not exported; usnistgov/h5wasm#26 added reading only).
 * Remove once h5wasm can write enum datatypes.
 *
 * How: each boolean dataset/attribute is first written with a placeholder
 * datatype of the same element size (1 byte) and the same encoded length (33
 * bytes) as the enum: a one-member compound `{PLACEHOLDER_NAME: int8}`. After
 * the file is closed, `finishBooleans` rewrites every placeholder datatype
 * message inside the object headers into the enum message and recomputes
 * those headers' checksums. The element bytes (0/1) are the same under both
 * types, so no data moves. See docs/adr/0003-h5ad-booleans-as-h5py-enums.md.
 */

/** 11 characters, so that the compound message has the enum message's 33 bytes. */
const PLACEHOLDER_NAME = 'cf_h5py_bol';
const PLACEHOLDER_DTYPE: [[string, string]] = [[PLACEHOLDER_NAME, '<b']];

/** An int8 fixed-point datatype message body (version 1, little-endian, signed, 8-bit precision). */
const INT8_TYPE = [0x10, 0x08, 0x00, 0x00, 0x01, 0, 0, 0, 0x00, 0x00, 0x08, 0x00];

const ascii = (text: string): number[] => Array.from(text, (ch) => ch.charCodeAt(0));

/** Datatype message headers: version 3 and class, class bits (member count), element size 1. */
const COMPOUND_V3_1_MEMBER = [0x36, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00];
const ENUM_V3_2_MEMBERS = [0x38, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00];

/** The placeholder as HDF5 encodes it: the header, the member name, member offset 0, int8. */
const PLACEHOLDER_MESSAGE = Uint8Array.from([
  ...COMPOUND_V3_1_MEMBER,
  ...ascii(`${PLACEHOLDER_NAME}\0`),
  0x00,
  ...INT8_TYPE,
]);

/** h5py's bool: the header, base type int8, names unpadded (version 3), values 0 and 1. */
export const H5PY_BOOL_MESSAGE = Uint8Array.from([
  ...ENUM_V3_2_MEMBERS,
  ...INT8_TYPE,
  ...ascii('FALSE\0TRUE\0'),
  0x00,
  0x01,
]);

/** Writes a boolean dataset (1-D) with the placeholder type; `finishBooleans` makes it h5py's bool. */
export function createBoolDataset(g: Group, name: string, values: ArrayLike<boolean>): Dataset {
  const data = Int8Array.from(values as ArrayLike<unknown>, (b) => (b ? 1 : 0));
  return g.create_dataset({
    name,
    data: new Map([[PLACEHOLDER_NAME, data]]),
    dtype: PLACEHOLDER_DTYPE,
  });
}

/** Writes a scalar boolean attribute with the placeholder type; `finishBooleans` makes it h5py's bool. */
export function createBoolAttribute(e: Dataset | Group, name: string, value: boolean): void {
  e.create_attribute(
    name,
    new Map([[PLACEHOLDER_NAME, Int8Array.of(value ? 1 : 0)]]),
    [],
    PLACEHOLDER_DTYPE,
  );
}

/**
 * Bob Jenkins' lookup3 `hashlittle`, as HDF5 checksums its metadata
 * (`H5_checksum_lookup3`, initval 0).
 */
export function lookup3(k: Uint8Array, initval = 0): number {
  let length = k.length;
  let a = (0xdeadbeef + length + initval) | 0;
  let b = a;
  let c = a;
  const rot = (x: number, n: number): number => (x << n) | (x >>> (32 - n));
  const u32 = (i: number): number =>
    k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24);
  let i = 0;
  while (length > 12) {
    a = (a + u32(i)) | 0;
    b = (b + u32(i + 4)) | 0;
    c = (c + u32(i + 8)) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 4);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 6);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 8);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 19);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 4);
    b = (b + a) | 0;
    length -= 12;
    i += 12;
  }
  if (length === 0) return c >>> 0;
  // The last 1–12 bytes, zero-padded (lookup3's fall-through switch).
  const tail = new Uint8Array(12);
  tail.set(k.subarray(i, i + length));
  const t = (j: number): number =>
    tail[j]! | (tail[j + 1]! << 8) | (tail[j + 2]! << 16) | (tail[j + 3]! << 24);
  a = (a + t(0)) | 0;
  b = (b + t(4)) | 0;
  c = (c + t(8)) | 0;
  c ^= b;
  c = (c - rot(b, 14)) | 0;
  a ^= c;
  a = (a - rot(c, 11)) | 0;
  b ^= a;
  b = (b - rot(a, 25)) | 0;
  c ^= b;
  c = (c - rot(b, 16)) | 0;
  a ^= c;
  a = (a - rot(c, 4)) | 0;
  b ^= a;
  b = (b - rot(a, 14)) | 0;
  c ^= b;
  c = (c - rot(b, 24)) | 0;
  return c >>> 0;
}

/** An object-header chunk: `[start, checksumAt)` is checksummed, the checksum follows. */
interface HeaderChunk {
  start: number;
  checksumAt: number;
}

const SCAN_BYTES = 1 << 24;

/** Absolute offsets of every occurrence of each needle, scanning the file in 16 MiB windows. */
async function findAll(path: string, needles: Uint8Array[]): Promise<number[][]> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const overlap = Math.max(...needles.map((n) => n.length)) - 1;
    const buf = Buffer.alloc(SCAN_BYTES + overlap);
    const hits = needles.map((): number[] => []);
    for (let at = 0; at < size; at += SCAN_BYTES) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      const view = buf.subarray(0, bytesRead);
      needles.forEach((n, j) => {
        for (let p = view.indexOf(n); p >= 0; p = view.indexOf(n, p + 1)) {
          // A hit inside the overlap is found again by the next window.
          if (p < SCAN_BYTES || at + SCAN_BYTES >= size) hits[j]!.push(at + p);
        }
      });
    }
    return hits;
  } finally {
    await fh.close();
  }
}

function readUint(b: Uint8Array, at: number, width: number): number {
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + b[at + i]!;
  return v;
}

/**
 * Rewrites every placeholder datatype written by `createBoolDataset` /
 * `createBoolAttribute` in the closed HDF5 file at `path` into h5py's bool
 * enum, in place, and re-checksums the object-header chunks it touched.
 * Returns how many it rewrote; with `expected`, finding another number is an
 * `IO` error. Expects what h5wasm writes: superblock ≥ 2 and
 * version-2 object headers (`OHDR`, continuation chunks `OCHK`).
 */
export async function finishBooleans(path: string, expected?: number): Promise<number> {
  const enc = new TextEncoder();
  const [placeholders, ohdrs] = await findAll(path, [PLACEHOLDER_MESSAGE, enc.encode('OHDR')]);
  if (expected !== undefined && placeholders!.length !== expected) {
    // E.g. an h5wasm that encodes compounds differently: never leave a placeholder behind.
    throw new ChromflowError('IO', 'cannot find every boolean written to the HDF5 file', {
      path,
      expected: `${expected} placeholder datatype messages`,
      found: `${placeholders!.length}`,
    });
  }
  if (placeholders!.length === 0) return 0;
  const fh = await open(path, 'r+');
  try {
    const sb = new Uint8Array(11);
    await fh.read(sb, 0, 11, 0);
    const [sbVersion, offsetBytes, lengthBytes] = [sb[8]!, sb[9]!, sb[10]!];
    if (sbVersion < 2) {
      throw new ChromflowError('IO', 'cannot mark booleans: unexpected HDF5 layout', {
        path,
        expected: 'superblock version ≥ 2 (as h5wasm writes)',
        found: `superblock version ${sbVersion}`,
      });
    }
    const readAt = async (at: number, n: number): Promise<Uint8Array> => {
      const b = new Uint8Array(n);
      const { bytesRead } = await fh.read(b, 0, n, at);
      return b.subarray(0, bytesRead);
    };
    // Object-header chunks: every OHDR whose checksum holds, and the OCHK chunks its
    // continuation messages (type 0x10) point to. A checksum that fails marks bytes
    // that only look like a header (e.g. inside string data) and is skipped.
    const chunks: HeaderChunk[] = [];
    const pending: HeaderChunk[] = [];
    for (const start of ohdrs!) {
      const pre = await readAt(start, 4 + 2 + 16 + 4 + 8);
      if (pre.length < 7 || pre[4] !== 2) continue;
      const flags = pre[5]!;
      let p = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
      const sizeWidth = 1 << (flags & 3);
      const size = readUint(pre, p, sizeWidth);
      p += sizeWidth;
      pending.push({ start, checksumAt: start + p + size });
    }
    while (pending.length > 0) {
      const chunk = pending.pop()!;
      const bytes = await readAt(chunk.start, chunk.checksumAt - chunk.start + 4);
      if (bytes.length !== chunk.checksumAt - chunk.start + 4) continue;
      const body = bytes.subarray(0, bytes.length - 4);
      if (lookup3(body) !== readUint(bytes, body.length, 4)) continue;
      chunks.push(chunk);
      const isOhdr = body[0] === 0x4f && body[1] === 0x48; // 'OH'
      const flags = isOhdr ? body[5]! : 0;
      let p = isOhdr
        ? 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0) + (1 << (flags & 3))
        : 4;
      const messageHeader = 4 + (flags & 0x04 ? 2 : 0);
      while (p + messageHeader <= body.length) {
        const type = body[p]!;
        const size = readUint(body, p + 1, 2);
        if (type === 0x10) {
          const addr = readUint(body, p + messageHeader, offsetBytes);
          const len = readUint(body, p + messageHeader + offsetBytes, lengthBytes);
          pending.push({ start: addr, checksumAt: addr + len - 4 });
        }
        p += messageHeader + size;
      }
    }
    const touched = new Set<HeaderChunk>();
    for (const at of placeholders!) {
      const chunk = chunks.find(
        (c) => c.start < at && at + PLACEHOLDER_MESSAGE.length <= c.checksumAt,
      );
      if (!chunk) {
        throw new ChromflowError('IO', 'a boolean placeholder lies outside every object header', {
          path,
          expected: 'datatype messages inside OHDR/OCHK chunks (compact attribute storage)',
          found: `byte ${at}`,
        });
      }
      await fh.write(H5PY_BOOL_MESSAGE, 0, H5PY_BOOL_MESSAGE.length, at);
      touched.add(chunk);
    }
    for (const c of touched) {
      const body = await readAt(c.start, c.checksumAt - c.start);
      const sum = new Uint8Array(4);
      new DataView(sum.buffer).setUint32(0, lookup3(body), true);
      await fh.write(sum, 0, 4, c.checksumAt);
    }
    return placeholders!.length;
  } finally {
    await fh.close();
  }
}
