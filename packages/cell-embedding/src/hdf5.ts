import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type h5wasmModule from 'h5wasm/node';
import type { Dataset, File as H5File, Group, OutputData } from 'h5wasm/node';
import { ChromflowError } from '@chromflow/core';

type H5wasm = typeof h5wasmModule;
let h5wasmLoaded: H5wasm | undefined;

/**
 * h5wasm, loaded on the first HDF5 file rather than with the package: its
 * 4 MB module costs 0.3 s in node (3 s through tsx from source), which
 * callers that never touch HDF5 should not pay.
 */
async function loadH5wasm(): Promise<H5wasm> {
  if (!h5wasmLoaded) {
    const m = await import('h5wasm/node');
    await m.default.ready;
    h5wasmLoaded = m.default;
  }
  return h5wasmLoaded;
}

/** Opens an HDF5 file with h5wasm, turning failures into IO errors about `path`. */
export async function openHdf5(path: string, mode: 'r' | 'w' = 'r'): Promise<H5File> {
  const h5wasm = await loadH5wasm();
  if (mode === 'r' && !existsSync(path)) {
    throw new ChromflowError('IO', 'the HDF5 file does not exist', { path });
  }
  if (mode === 'r' && !(await hasHdf5Signature(path))) {
    throw new ChromflowError('IO', 'the file is not HDF5', {
      path,
      expected: 'the HDF5 signature \\x89HDF\\r\\n\\x1a\\n',
      hint: 'is it an .h5/.h5ad file, and complete?',
    });
  }
  try {
    return new h5wasm.File(path, mode);
  } catch (e) {
    throw new ChromflowError('IO', 'cannot open the file as HDF5', {
      path,
      cause: e,
      hint: 'is it an .h5/.h5ad file, and complete?',
    });
  }
}

export function isGroup(e: unknown): e is Group {
  return h5wasmLoaded !== undefined && e instanceof h5wasmLoaded.Group;
}

export function isDataset(e: unknown): e is Dataset {
  return h5wasmLoaded !== undefined && e instanceof h5wasmLoaded.Dataset;
}

/** The object at `name` under `g`, or a SCHEMA error naming the file and field. */
export function requireEntity(g: Group, name: string, path: string, what: string): Dataset | Group {
  const e = g.keys().includes(name.split('/')[0]!) ? g.get(name) : null;
  if (isDataset(e) || isGroup(e)) return e;
  throw new ChromflowError('SCHEMA', `the file has no ${what}`, {
    path,
    field: `${g.path === '/' ? '' : g.path}/${name}`,
    expected: what,
    found: `members ${g.keys().join(', ') || 'none'}`,
  });
}

export function requireDataset(g: Group, name: string, path: string, what: string): Dataset {
  const e = requireEntity(g, name, path, what);
  if (isDataset(e)) return e;
  throw new ChromflowError('SCHEMA', `${what} is a group, not a dataset`, {
    path,
    field: e.path,
    expected: 'an HDF5 dataset',
  });
}

/** An attribute's value as a string, or undefined. Fixed and variable-length strings alike. */
export function attrString(e: Dataset | Group, name: string): string | undefined {
  if (!Object.hasOwn(e.attrs, name)) return undefined;
  const v = e.attrs[name]?.value;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** An attribute's values as strings ([] for an empty or numeric-empty array). */
export function attrStrings(e: Dataset | Group, name: string): string[] | undefined {
  if (!Object.hasOwn(e.attrs, name)) return undefined;
  const v = e.attrs[name]?.value;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map(scalarToString);
  if (ArrayBuffer.isView(v)) return [];
  return undefined;
}

/** Numeric data (any width, int64 included) as float64. */
export function numbersOf(v: OutputData | null, path: string, field: string): Float64Array {
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    return Float64Array.from(v, (x) => Number(x));
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return Float64Array.from(v as ArrayLike<number>);
  }
  if (typeof v === 'number' || typeof v === 'bigint') return Float64Array.of(Number(v));
  throw new ChromflowError('SCHEMA', 'expected a numeric dataset', { path, field });
}

/** Integer data as int32; values beyond int32 raise a VALUE error. */
export function int32sOf(v: OutputData | null, path: string, field: string): Int32Array {
  if (v instanceof Int32Array) return v;
  const f = numbersOf(v, path, field);
  const out = new Int32Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const x = f[i]!;
    if (x > 2147483647 || x < -2147483648) {
      throw new ChromflowError('VALUE', 'an index does not fit in 32 bits', { path, field });
    }
    out[i] = x;
  }
  return out;
}

export function float32sOf(v: OutputData | null, path: string, field: string): Float32Array {
  if (v instanceof Float32Array) return v;
  return Float32Array.from(numbersOf(v, path, field));
}

/** String data (vlen or fixed-length) as a string array. */
export function stringsOf(v: OutputData | null, path: string, field: string): string[] {
  if (Array.isArray(v)) return v.map(scalarToString);
  if (typeof v === 'string') return [v];
  throw new ChromflowError('SCHEMA', 'expected a string dataset', {
    path,
    field,
    expected: 'strings',
    found: v === null ? 'nothing' : typeof v,
  });
}

/** One element of h5wasm output as text (strings as they are, numbers formatted, nested arrays joined). */
export function scalarToString(x: OutputData): string {
  if (typeof x === 'string') return x;
  if (typeof x === 'number' || typeof x === 'bigint' || typeof x === 'boolean') return String(x);
  if (Array.isArray(x)) return x.map(scalarToString).join(',');
  return ArrayBuffer.isView(x) ? Array.from(x as ArrayLike<number>).join(',') : '';
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when the HDF5 superblock signature sits at byte 0, 512, 1024, … (HDF5 spec §II.A). */
export async function hasHdf5Signature(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = new Uint8Array(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      await fh.read(buf, 0, 8, at);
      if (SIGNATURE.every((b, i) => buf[i] === b)) return true;
    }
    return false;
  } finally {
    await fh.close();
  }
}
