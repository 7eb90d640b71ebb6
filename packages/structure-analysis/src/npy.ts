import { ChromflowError } from '@chromflow/core';

/**
 * NumPy `.npy` files (numpy/doc "A Simple File Format for NumPy Arrays",
 * `numpy.lib.format`): magic `\x93NUMPY`, version, little-endian header
 * length (u16 in v1.0, u32 in v2/v3), a Python-literal dict header padded
 * with spaces to a 64-byte boundary and ended by `\n`, then the raw data.
 */
export interface NpyArray {
  shape: number[];
  /** Row-major (C order) values; a Fortran-order file is transposed on read. */
  data: Float32Array | Float64Array | Int32Array | Uint8Array;
  /** numpy dtype string of the file, e.g. `<f4`. */
  descr: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function bad(path: string, field: string, expected: string, found: string): ChromflowError {
  return new ChromflowError('PARSE', 'not a supported .npy array', {
    path,
    field,
    expected,
    found,
  });
}

/** Parses `.npy` bytes; supports `<f4`, `<f8`, `<i4` (and `<i8` read as float64). */
export function parseNpy(bytes: Uint8Array, path = '<bytes>'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m))
    throw bad(
      path,
      'magic',
      '\\x93NUMPY',
      JSON.stringify(String.fromCharCode(...bytes.slice(0, 6))),
    );
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (major < 1 || major > 3) throw bad(path, 'version', '1.0, 2.0 or 3.0', `${major}.${bytes[7]}`);
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined)
    throw bad(path, 'header', "{'descr', 'fortran_order', 'shape'}", header.trim());
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const off = headerStart + headerLen;
  const size = { '<f4': 4, '<f8': 8, '<i4': 4, '<i8': 8, '|u1': 1 }[descr];
  if (!size) throw bad(path, 'descr', "'<f4', '<f8', '<i4', '<i8' or '|u1'", `'${descr}'`);
  if (bytes.length < off + n * size)
    throw bad(path, 'data', `${n * size} bytes`, `${bytes.length - off} bytes`);
  // copy: a Node Buffer's slice() is a view on a shared pool, not a fresh ArrayBuffer
  const raw = new Uint8Array(bytes.subarray(off, off + n * size)).buffer;
  let data: Float32Array | Float64Array | Int32Array | Uint8Array =
    descr === '|u1'
      ? new Uint8Array(raw)
      : descr === '<f4'
        ? new Float32Array(raw)
        : descr === '<f8'
          ? new Float64Array(raw)
          : descr === '<i4'
            ? new Int32Array(raw)
            : Float64Array.from(new BigInt64Array(raw), (x) => Number(x));
  if (fortran === 'True' && shape.length > 1) data = fortranToC(data, shape);
  return { shape, data, descr };
}

/** Reorders column-major values to row-major for any rank. */
function fortranToC<T extends Float32Array | Float64Array | Int32Array | Uint8Array>(
  src: T,
  shape: number[],
): T {
  const out = new (src.constructor as new (n: number) => T)(src.length);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let c = 0; c < src.length; c++) {
    // c is the row-major index of idx; compute its column-major position
    let f = 0;
    let stride = 1;
    for (let d = 0; d < rank; d++) {
      f += idx[d]! * stride;
      stride *= shape[d]!;
    }
    out[c] = src[f]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = idx[d]! + 1;
      if (idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Encodes a C-order `.npy` v1.0 file (`<f4` Float32Array, `<f8` Float64Array, `<i4` Int32Array, `|u1` Uint8Array). */
export function encodeNpy(
  data: Float32Array | Float64Array | Int32Array | Uint8Array,
  shape: number[],
): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) {
    throw new ChromflowError('VALUE', 'the array does not have the given shape', {
      field: 'shape',
      expected: `${n} values for (${shape.join(', ')})`,
      found: `${data.length} values`,
    });
  }
  const descr =
    data instanceof Float32Array
      ? '<f4'
      : data instanceof Float64Array
        ? '<f8'
        : data instanceof Uint8Array
          ? '|u1'
          : '<i4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // pad so that magic(6) + version(2) + length(2) + header + '\n' is a multiple of 64
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
