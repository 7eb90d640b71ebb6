import h5wasm, { type Dataset, type File as H5File, type Group } from 'h5wasm/node';
import { ChromflowError, type SparseMatrix } from '@chromflow/core';
import { openHdf5ReadOnly } from './hdf5-file.js';

/**
 * A cooler (v2/v3 HDF5 contact matrix, open2c/cooler format spec). Bins and
 * chromosomes are loaded at open; pixels are read by slices through the CSR
 * index `indexes/bin1_offset`. Coordinates are 0-based half-open; pixels are
 * stored upper-triangular (bin1_id <= bin2_id).
 */
export interface Cooler {
  path: string;
  /** Fixed bin size in bp (attribute `bin-size`), undefined for variable bins. */
  binSize: number | undefined;
  chromNames: string[];
  chromLengths: Int32Array;
  /** Per bin: chromosome index, start, end (0-based half-open). */
  binChroms: Int32Array;
  binStarts: Int32Array;
  binEnds: Int32Array;
  /** First bin of each chromosome, plus the bin count at the end (`indexes/chrom_offset`). */
  chromOffsets: Float64Array;
  /** First pixel of each bin1 row, plus nnz at the end (`indexes/bin1_offset`). */
  bin1Offsets: Float64Array;
  /** Balancing weights (`bins/weight`), undefined when the file has none. */
  weights: Float64Array | undefined;
  nPixels: number;
  /** Releases the HDF5 handle. */
  close(): void;
  /** @internal pixel columns for rows [lo, hi) of the index. */
  readPixelRange(
    lo: number,
    hi: number,
  ): { bin1: Float64Array; bin2: Float64Array; count: Float64Array };
}

/** A genomic interval, 0-based half-open. */
export interface GenomicRange {
  chrom: string;
  start: number;
  end: number;
}

function numbers(v: unknown, path: string, field: string): Float64Array {
  if (v instanceof BigInt64Array || v instanceof BigUint64Array)
    return Float64Array.from(v, (x) => Number(x));
  if (ArrayBuffer.isView(v) && !(v instanceof DataView))
    return Float64Array.from(v as unknown as ArrayLike<number>);
  throw new ChromflowError('SCHEMA', 'a cooler dataset is not numeric', {
    path,
    field,
    found: typeof v,
  });
}

function dataset(root: Group, name: string, path: string): Dataset {
  const e = root.get(name);
  if (e instanceof h5wasm.Dataset) return e;
  throw new ChromflowError('SCHEMA', 'the HDF5 file is not a cooler', {
    path,
    field: `${root.path === '/' ? '' : root.path}/${name}`,
    expected: 'a cooler with bins/, chroms/, pixels/ and indexes/ (open2c cooler format)',
    found: `top-level members ${root.keys().join(', ') || 'none'}`,
    hint: 'for an .mcool pass "<file>.mcool::resolutions/<bp>"',
  });
}

/**
 * Opens a `.cool` file, or one resolution of an `.mcool` as
 * `path::resolutions/5000` (the cooler URI syntax).
 */
export async function openCooler(uri: string): Promise<Cooler> {
  const [path, groupPath] = uri.split('::') as [string, string | undefined];
  const file: H5File = await openHdf5ReadOnly(path);
  try {
    let root: Group = file;
    if (groupPath && groupPath !== '/') {
      const g = file.get(groupPath.replace(/^\//, ''));
      if (!(g instanceof h5wasm.Group)) {
        throw new ChromflowError('VALUE', 'the file has no such cooler group', {
          path,
          field: groupPath,
          found: `top-level members ${file.keys().join(', ')}`,
        });
      }
      root = g;
    }
    const read = (name: string): Float64Array =>
      numbers(dataset(root, name, path).value, path, name);
    const names = dataset(root, 'chroms/name', path).value;
    const chromNames = Array.isArray(names) ? names.map(String) : [];
    const binChroms = Int32Array.from(read('bins/chrom'));
    const binStarts = Int32Array.from(read('bins/start'));
    const binEnds = Int32Array.from(read('bins/end'));
    const bin1Offsets = read('indexes/bin1_offset');
    const chromOffsets = read('indexes/chrom_offset');
    const weightDs = root.get('bins/weight');
    const weights =
      weightDs instanceof h5wasm.Dataset ? numbers(weightDs.value, path, 'bins/weight') : undefined;
    const bin1Ds = dataset(root, 'pixels/bin1_id', path);
    const bin2Ds = dataset(root, 'pixels/bin2_id', path);
    const countDs = dataset(root, 'pixels/count', path);
    const nPixels = bin1Ds.shape?.[0] ?? 0;
    if (
      bin1Offsets.length !== binStarts.length + 1 ||
      bin1Offsets[bin1Offsets.length - 1] !== nPixels
    ) {
      throw new ChromflowError('PARSE', 'the cooler index does not match its pixels', {
        path,
        field: 'indexes/bin1_offset',
        expected: `${binStarts.length + 1} offsets ending at nnz=${nPixels}`,
        found: `${bin1Offsets.length} offsets ending at ${bin1Offsets[bin1Offsets.length - 1]}`,
      });
    }
    const binSizeAttr = root.attrs['bin-size']?.value;
    return {
      path: uri,
      binSize:
        typeof binSizeAttr === 'number' || typeof binSizeAttr === 'bigint'
          ? Number(binSizeAttr)
          : undefined,
      chromNames,
      chromLengths: Int32Array.from(read('chroms/length')),
      binChroms,
      binStarts,
      binEnds,
      chromOffsets,
      bin1Offsets,
      weights,
      nPixels,
      close: () => void file.close(),
      readPixelRange(lo, hi) {
        if (hi <= lo)
          return {
            bin1: new Float64Array(0),
            bin2: new Float64Array(0),
            count: new Float64Array(0),
          };
        const r: [number, number][] = [[lo, hi]];
        return {
          bin1: numbers(bin1Ds.slice(r), path, 'pixels/bin1_id'),
          bin2: numbers(bin2Ds.slice(r), path, 'pixels/bin2_id'),
          count: numbers(countDs.slice(r), path, 'pixels/count'),
        };
      },
    };
  } catch (e) {
    file.close();
    throw e;
  }
}

/** All pixels in file order (bin1_id, bin2_id, count), as stored (upper triangle). */
export function readCoolerPixels(cool: Cooler): {
  bin1: Float64Array;
  bin2: Float64Array;
  count: Float64Array;
} {
  return cool.readPixelRange(0, cool.nPixels);
}

/**
 * Parses `chr:start-end` (0-based half-open, commas allowed) or `chr` (whole
 * chromosome) against the cooler's chromosomes.
 */
export function parseRegion(cool: Cooler, text: string): GenomicRange {
  const m = /^([^:]+)(?::([\d,]+)-([\d,]+))?$/.exec(text.trim());
  const ci = m ? cool.chromNames.indexOf(m[1]!) : -1;
  if (!m || ci < 0) {
    throw new ChromflowError('VALUE', 'the region is not on a chromosome of the contact map', {
      path: cool.path,
      field: 'region',
      expected: `chrom or chrom:start-end with chrom one of ${cool.chromNames.slice(0, 5).join(', ')}…`,
      found: `'${text}'`,
    });
  }
  const len = cool.chromLengths[ci]!;
  if (m[2] === undefined) return { chrom: m[1]!, start: 0, end: len };
  return {
    chrom: m[1]!,
    start: Number(m[2].replace(/,/g, '')),
    end: Number(m[3]!.replace(/,/g, '')),
  };
}

/** Bins [lo, hi) overlapping a range; a VALUE error when the range is outside the map. */
export function binRangeOf(cool: Cooler, r: GenomicRange): [number, number] {
  const ci = cool.chromNames.indexOf(r.chrom);
  const len = ci >= 0 ? cool.chromLengths[ci]! : 0;
  if (ci < 0 || !(r.start >= 0 && r.end > r.start && r.end <= len)) {
    throw new ChromflowError('VALUE', 'the region lies outside the contact map', {
      path: cool.path,
      field: 'region',
      expected:
        ci < 0
          ? `a chromosome of the map (${cool.chromNames.length} of them)`
          : `0 <= start < end <= ${len} on ${r.chrom}`,
      found: `${r.chrom}:${r.start}-${r.end}`,
    });
  }
  let lo = cool.chromOffsets[ci]!;
  let hi = cool.chromOffsets[ci + 1]!;
  while (lo < hi && cool.binEnds[lo]! <= r.start) lo++;
  while (hi > lo && cool.binStarts[hi - 1]! >= r.end) hi--;
  return [lo, hi];
}

export interface FetchOptions {
  /** Multiply counts by the balancing weights w[i]·w[j]. Default false; an error when the file has no weights. */
  balance?: boolean;
}

function collectPixels(
  cool: Cooler,
  rows: [number, number],
  cols: [number, number],
  balance: boolean,
) {
  const w = cool.weights;
  if (balance && !w) {
    throw new ChromflowError('VALUE', 'the cooler has no balancing weights (bins/weight)', {
      path: cool.path,
      field: 'balance',
      hint: 'run `cooler balance` on the file or fetch raw counts',
    });
  }
  const out = { rows: [] as number[], cols: [] as number[], values: [] as number[] };
  const pass = (r: [number, number], c: [number, number], transpose: boolean): void => {
    const px = cool.readPixelRange(cool.bin1Offsets[r[0]]!, cool.bin1Offsets[r[1]]!);
    for (let k = 0; k < px.bin1.length; k++) {
      const i = px.bin1[k]!;
      const j = px.bin2[k]!;
      if (j < c[0] || j >= c[1] || (transpose && i === j)) continue;
      const v = balance ? px.count[k]! * w![i]! * w![j]! : px.count[k]!;
      out.rows.push((transpose ? j : i) - rows[0]);
      out.cols.push((transpose ? i : j) - cols[0]);
      out.values.push(v);
    }
  };
  pass(rows, cols, false); // stored upper-triangle entries (i in rows, j in cols)
  pass(cols, rows, true); // their mirror images (j in rows, i in cols)
  return out;
}

/**
 * The contact matrix between two ranges (rows = bins of `region1`, columns =
 * bins of `region2`, default `region1`) as a sparse COO matrix with both
 * triangles filled, as cooler's `matrix(sparse=True).fetch(region1, region2)`.
 */
export function fetchSparse(
  cool: Cooler,
  region1: GenomicRange,
  region2?: GenomicRange,
  options: FetchOptions = {},
): SparseMatrix {
  const rows = binRangeOf(cool, region1);
  const cols = region2 ? binRangeOf(cool, region2) : rows;
  const p = collectPixels(cool, rows, cols, options.balance ?? false);
  return {
    nRows: rows[1] - rows[0],
    nCols: cols[1] - cols[0],
    rows: Int32Array.from(p.rows),
    cols: Int32Array.from(p.cols),
    values: Float32Array.from(p.values),
  };
}

/** A dense row-major matrix with its shape. */
export interface DenseMatrix {
  nRows: number;
  nCols: number;
  values: Float64Array;
}

/**
 * The same as `fetchSparse` but dense (row-major, float64, zeros where there
 * are no pixels). With `balance`, rows and columns of bins whose weight is NaN
 * are NaN, as cooler's balanced dense fetch.
 */
export function fetchDense(
  cool: Cooler,
  region1: GenomicRange,
  region2?: GenomicRange,
  options: FetchOptions = {},
): DenseMatrix {
  const rows = binRangeOf(cool, region1);
  const cols = region2 ? binRangeOf(cool, region2) : rows;
  const nRows = rows[1] - rows[0];
  const nCols = cols[1] - cols[0];
  const values = new Float64Array(nRows * nCols);
  const balance = options.balance ?? false;
  const p = collectPixels(cool, rows, cols, balance);
  for (let k = 0; k < p.rows.length; k++) values[p.rows[k]! * nCols + p.cols[k]!] = p.values[k]!;
  if (balance) {
    const w = cool.weights!;
    for (let i = 0; i < nRows; i++) {
      for (let j = 0; j < nCols; j++) {
        if (Number.isNaN(w[rows[0] + i]!) || Number.isNaN(w[cols[0] + j]!))
          values[i * nCols + j] = NaN;
      }
    }
  }
  return { nRows, nCols, values };
}
