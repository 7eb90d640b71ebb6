import { rename, rm } from 'node:fs/promises';
import type { Dataset, Group } from 'h5wasm/node';
import { ChromflowError, type CsrMatrix, tempPathBeside } from '@chromflow/core';
import type { AnnData, DataFrame, DenseMatrix, FrameColumn } from './anndata-types.js';
import { isCategorical } from './anndata-types.js';
import { createBoolAttribute, createBoolDataset, finishBooleans } from './hdf5-bool.js';
import {
  attrString,
  attrStrings,
  float32sOf,
  int32sOf,
  isDataset,
  isGroup,
  numbersOf,
  openHdf5,
  requireDataset,
  requireEntity,
  scalarToString,
  stringsOf,
} from './hdf5.js';
import { cooToSortedCsr, requireNonEmpty } from './tenx-mtx.js';

/** Reads `X` (csr_matrix, csc_matrix or a dense 2-D array) as CSR cells × genes. */
function readX(x: Dataset | Group, path: string): CsrMatrix {
  if (isDataset(x)) {
    const shape = x.shape ?? [];
    if (shape.length !== 2) {
      throw new ChromflowError('SCHEMA', 'X must be 2-dimensional', { path, field: '/X' });
    }
    const [n, p] = shape as [number, number];
    const dense = numbersOf(x.value, path, '/X');
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        const v = dense[i * p + j]!;
        if (v !== 0) {
          rows.push(i);
          cols.push(j);
          vals.push(v);
        }
      }
    }
    return cooToSortedCsr(
      n,
      p,
      Int32Array.from(rows),
      Int32Array.from(cols),
      Float32Array.from(vals),
    );
  }
  const enc = attrString(x, 'encoding-type') ?? attrString(x, 'h5sparse_format');
  const shapeAttr = Object.hasOwn(x.attrs, 'shape')
    ? numbersOf(x.attrs['shape']!.value, path, '/X@shape')
    : undefined;
  if (
    !shapeAttr ||
    (enc !== 'csr_matrix' && enc !== 'csc_matrix' && enc !== 'csr' && enc !== 'csc')
  ) {
    throw new ChromflowError(
      'SCHEMA',
      'X is a group but not a sparse matrix per the AnnData spec',
      {
        path,
        field: '/X',
        expected: "encoding-type 'csr_matrix' or 'csc_matrix' and a 'shape' attribute",
        found: `encoding-type ${enc ?? 'missing'}`,
      },
    );
  }
  const [n, p] = [shapeAttr[0]!, shapeAttr[1]!];
  const indptr = int32sOf(requireDataset(x, 'indptr', path, 'X/indptr').value, path, '/X/indptr');
  const indices = int32sOf(
    requireDataset(x, 'indices', path, 'X/indices').value,
    path,
    '/X/indices',
  );
  const data = float32sOf(requireDataset(x, 'data', path, 'X/data').value, path, '/X/data');
  const csr = enc.startsWith('csr');
  if (indptr.length !== (csr ? n : p) + 1) {
    throw new ChromflowError('VALUE', 'X/indptr does not match the shape', {
      path,
      field: '/X/indptr',
      expected: `${(csr ? n : p) + 1} entries`,
      found: `${indptr.length}`,
    });
  }
  if (csr) {
    const m: CsrMatrix = { nRows: n, nCols: p, indptr, indices, values: data };
    return m;
  }
  // CSC: column j holds rows indices[indptr[j]..indptr[j+1]); transpose into CSR.
  const rows = indices;
  const cols = new Int32Array(indices.length);
  for (let j = 0; j < p; j++) cols.fill(j, indptr[j], indptr[j + 1]);
  return cooToSortedCsr(n, p, rows, cols, data);
}

function readColumn(e: Dataset | Group, path: string): FrameColumn {
  if (isGroup(e)) {
    const enc = attrString(e, 'encoding-type');
    if (enc === 'categorical') {
      const categories = stringsOf(
        requireDataset(e, 'categories', path, 'categories').value,
        path,
        `${e.path}/categories`,
      );
      const codes = int32sOf(
        requireDataset(e, 'codes', path, 'codes').value,
        path,
        `${e.path}/codes`,
      );
      const ordered = e.attrs['ordered']?.value;
      return { categories, codes, ordered: ordered === true || ordered === 1 };
    }
    if (enc === 'nullable-integer' || enc === 'nullable-boolean') {
      const values = numbersOf(requireDataset(e, 'values', path, 'values').value, path, e.path);
      return enc === 'nullable-boolean' ? Array.from(values, (v) => v !== 0) : values;
    }
    throw new ChromflowError('SCHEMA', `unsupported column encoding '${enc ?? 'none'}'`, {
      path,
      field: e.path,
      expected: 'array, string-array, categorical, nullable-integer or nullable-boolean',
    });
  }
  const v = e.value;
  if (Array.isArray(v)) return v.map(scalarToString);
  if (v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array) return v;
  if (v instanceof Int8Array && e.metadata.type === 8) return Array.from(v, (x) => x !== 0);
  return numbersOf(v, path, e.path);
}

/** Reads an AnnData dataframe group (`obs` or `var`): `_index` plus columns in `column-order`. */
function readDataFrame(g: Dataset | Group, path: string, name: string): DataFrame {
  if (!isGroup(g)) {
    throw new ChromflowError('SCHEMA', `${name} is not a dataframe group`, {
      path,
      field: `/${name}`,
      expected: "a group with encoding-type 'dataframe' (anndata ≥ 0.7)",
      found: 'a dataset (anndata < 0.7 compound layout)',
      hint: 'open it with anndata and write it again with anndata ≥ 0.8',
    });
  }
  const indexName = attrString(g, '_index') ?? '_index';
  const index = stringsOf(
    requireDataset(g, indexName, path, `${name} index ('${indexName}')`).value,
    path,
    `/${name}/${indexName}`,
  );
  const order =
    attrStrings(g, 'column-order') ??
    g.keys().filter((k) => k !== indexName && k !== '__categories');
  const columns: Record<string, FrameColumn> = {};
  for (const c of order) {
    const col = readColumn(requireEntity(g, c, path, `${name} column '${c}'`), path);
    const len = isCategorical(col) ? col.codes.length : col.length;
    if (len !== index.length) {
      throw new ChromflowError('VALUE', `${name} column '${c}' has the wrong length`, {
        path,
        field: `/${name}/${c}`,
        expected: `${index.length}`,
        found: `${len}`,
      });
    }
    columns[c] = col;
  }
  return { index, columns };
}

/**
 * Reads an `.h5ad` file (AnnData on-disk format ≥ 0.7): `X` as CSR (CSR, CSC
 * and dense X accepted), `obs`/`var` dataframes with their `_index`, numeric,
 * string, categorical and nullable columns, and the dense 2-D arrays of `obsm`.
 * `layers`, `obsp`, `varm`, `varp` and nested `uns` are not read.
 */
export async function readH5ad(path: string): Promise<AnnData> {
  const f = await openHdf5(path);
  try {
    const X = readX(requireEntity(f, 'X', path, 'X matrix'), path);
    const obs = readDataFrame(requireEntity(f, 'obs', path, 'obs dataframe'), path, 'obs');
    const vr = readDataFrame(requireEntity(f, 'var', path, 'var dataframe'), path, 'var');
    if (obs.index.length !== X.nRows || vr.index.length !== X.nCols) {
      throw new ChromflowError('VALUE', 'obs/var lengths do not match the shape of X', {
        path,
        field: obs.index.length !== X.nRows ? '/obs/_index' : '/var/_index',
        expected: `${X.nRows} cells × ${X.nCols} genes`,
        found: `${obs.index.length} obs, ${vr.index.length} var`,
      });
    }
    const obsm: Record<string, DenseMatrix> = {};
    const om = f.keys().includes('obsm') ? f.get('obsm') : null;
    if (isGroup(om)) {
      for (const k of om.keys()) {
        const d = om.get(k);
        if (!isDataset(d) || d.shape?.length !== 2) continue;
        const [r, c] = d.shape as [number, number];
        const v = d.value;
        obsm[k] = {
          nRows: r,
          nCols: c,
          values: v instanceof Float32Array ? v : numbersOf(v, path, `/obsm/${k}`),
        };
      }
    }
    const uns: Record<string, string | number> = {};
    const un = f.keys().includes('uns') ? f.get('uns') : null;
    if (isGroup(un)) {
      for (const k of un.keys()) {
        const d = un.get(k);
        if (!isDataset(d) || (d.shape?.length ?? 0) !== 0) continue;
        const v = d.value;
        if (typeof v === 'string' || typeof v === 'number') uns[k] = v;
        else if (typeof v === 'bigint') uns[k] = Number(v);
      }
    }
    requireNonEmpty(X, path);
    return { X, obs, var: vr, obsm, uns };
  } finally {
    f.close();
  }
}

function setEncoding(e: Dataset | Group, type: string, version: string): void {
  e.create_attribute('encoding-type', type);
  e.create_attribute('encoding-version', version);
}

function writeStringArray(g: Group, name: string, values: readonly string[]): void {
  // h5wasm writes string[] as variable-length UTF-8, as anndata expects for 'string-array'.
  const d = g.create_dataset({ name, data: [...values] });
  setEncoding(d, 'string-array', '0.2.0');
}

function writeColumn(g: Group, name: string, col: FrameColumn): void {
  if (isCategorical(col)) {
    const c = g.create_group(name);
    setEncoding(c, 'categorical', '0.2.0');
    // The spec's 'ordered' is a bool attribute (h5py's enum); current anndata refuses an int8 one.
    createBoolAttribute(c, 'ordered', col.ordered);
    writeStringArray(c, 'categories', col.categories);
    const codes = col.categories.length < 127 ? Int8Array.from(col.codes) : col.codes;
    setEncoding(c.create_dataset({ name: 'codes', data: codes }), 'array', '0.2.0');
    return;
  }
  if (Array.isArray(col) && (col.length === 0 || typeof col[0] === 'string')) {
    writeStringArray(g, name, col as string[]);
    return;
  }
  // Booleans as numpy bool (h5py's enum): stored as uint8, `adata[:, adata.var.highly_variable]`
  // would index genes by position 0/1 instead of selecting them.
  const d = Array.isArray(col)
    ? createBoolDataset(g, name, col as boolean[])
    : g.create_dataset({ name, data: col });
  setEncoding(d, 'array', '0.2.0');
}

/** How many h5py-bool elements `writeColumn` writes for `df`: boolean columns and categorical `ordered`. */
function countBooleans(df: DataFrame): number {
  return Object.values(df.columns).filter(
    (c) => isCategorical(c) || (Array.isArray(c) && c.length > 0 && typeof c[0] !== 'string'),
  ).length;
}

function writeDataFrame(parent: Group, name: string, df: DataFrame): void {
  const g = parent.create_group(name);
  setEncoding(g, 'dataframe', '0.2.0');
  g.create_attribute('_index', '_index');
  const cols = Object.keys(df.columns);
  // anndata writes an empty column order as an empty array; a zero-length
  // string attribute makes h5wasm print an HDF5 warning, so a float64 one is used, as anndata does.
  if (cols.length > 0) g.create_attribute('column-order', cols);
  else g.create_attribute('column-order', new Float64Array(0), [0], '<d');
  writeStringArray(g, '_index', df.index);
  for (const c of cols) writeColumn(g, c, df.columns[c]!);
}

/**
 * Writes an `.h5ad` file per the AnnData on-disk spec (anndata 0.8+ layout):
 * root `encoding-type: anndata` 0.1.0; `X` a `csr_matrix` 0.1.0 group
 * (`data` float32, `indices`/`indptr` int32, `shape` attribute); `obs`/`var`
 * `dataframe` 0.2.0 groups with `_index` and `column-order`, boolean columns
 * and categorical `ordered` as h5py's bool (see hdf5-bool.ts); `obsm`, `uns`,
 * `layers`, `obsp`, `varm`, `varp` `dict` 0.1.0 groups. Written to a temporary
 * file beside `path` and renamed into place, so a failure leaves no half file.
 */
export async function writeH5ad(path: string, ad: AnnData): Promise<void> {
  const tmp = tempPathBeside(path);
  const f = await openHdf5(tmp, 'w');
  try {
    setEncoding(f, 'anndata', '0.1.0');
    const x = f.create_group('X');
    setEncoding(x, 'csr_matrix', '0.1.0');
    x.create_attribute('shape', new BigInt64Array([BigInt(ad.X.nRows), BigInt(ad.X.nCols)]));
    x.create_dataset({ name: 'data', data: ad.X.values });
    x.create_dataset({ name: 'indices', data: ad.X.indices });
    x.create_dataset({ name: 'indptr', data: ad.X.indptr });
    writeDataFrame(f, 'obs', ad.obs);
    writeDataFrame(f, 'var', ad.var);
    const obsm = f.create_group('obsm');
    setEncoding(obsm, 'dict', '0.1.0');
    for (const [k, m] of Object.entries(ad.obsm)) {
      const d = obsm.create_dataset({ name: k, data: m.values, shape: [m.nRows, m.nCols] });
      setEncoding(d, 'array', '0.2.0');
    }
    const uns = f.create_group('uns');
    setEncoding(uns, 'dict', '0.1.0');
    for (const [k, v] of Object.entries(ad.uns)) {
      const d = uns.create_dataset({ name: k, data: v });
      if (typeof v === 'string') setEncoding(d, 'string', '0.2.0');
      else setEncoding(d, 'numeric-scalar', '0.2.0');
    }
    for (const k of ['layers', 'obsp', 'varm', 'varp'])
      setEncoding(f.create_group(k), 'dict', '0.1.0');
  } catch (e) {
    f.close();
    await rm(tmp, { force: true });
    throw new ChromflowError('IO', 'cannot write the h5ad file', { path, cause: e });
  }
  f.close();
  try {
    await finishBooleans(tmp, countBooleans(ad.obs) + countBooleans(ad.var));
  } catch (e) {
    await rm(tmp, { force: true });
    throw new ChromflowError('IO', 'cannot write the h5ad file', { path, cause: e });
  }
  await rename(tmp, path);
}
