import { ChromflowError } from '@chromflow/core';
import { type Cooler, type DenseMatrix, binRangeOf, fetchDense } from './cooler.js';

/**
 * CLASTER's contact-map input (RasmussenLab/CLASTER, notebook
 * `I_Data_obtention.ipynb`, `create_Micro_C_arrays`): the balanced map over
 * TSS ± 500 kb at 1.6 kb bins (626 × 626), NaN and 0 replaced by an
 * imputation value, log10; the reverse strand is the matrix flipped on both
 * axes. The rotated form turns the map 45° about its centre (the diagonal
 * becomes a row), crops rows by the first non-zero column of the first
 * non-zero row, and keeps the upper half (129 × 626 in the paper). See ADR 0003.
 */
export interface ClasterWindowOptions {
  /** Bases on each side of the TSS. Default 500,000 (CLASTER `shift`). */
  halfWindow?: number;
  /** Use balanced values (needs bins/weight). Default true, as CLASTER. */
  balance?: boolean;
  /**
   * Value for NaN and zero pixels before log10. Default: the smallest balancing
   * weight of the map (what CLASTER passes), else 1e-14 (its function default).
   */
  imputation?: number;
  /** Also return the 45°-rotated, cropped half. Default true. */
  rotate?: boolean;
}

/** Row-major float32 arrays ready for a model; `reverse` is the minus-strand view. */
export interface ClasterWindow {
  nRows: number;
  nCols: number;
  forward: Float32Array;
  reverse: Float32Array;
  rotated?: { nRows: number; nCols: number; forward: Float32Array; reverse: Float32Array };
}

/**
 * Rotates a square matrix by 45° about its centre keeping its shape (as
 * `scipy.ndimage.rotate(m, 45, reshape=False, order=1, mode='constant')`,
 * bilinear; CLASTER used scipy's default cubic spline, see ADR 0003), then
 * crops as CLASTER does and keeps the upper half.
 */
export function rotateContactMap45(m: DenseMatrix): DenseMatrix {
  if (m.nRows !== m.nCols) {
    throw new ChromflowError('VALUE', 'only a square contact map can be rotated', {
      expected: 'n × n',
      found: `${m.nRows} × ${m.nCols}`,
    });
  }
  const n = m.nRows;
  const c = (n - 1) / 2;
  const cos = Math.SQRT1_2;
  const sin = Math.SQRT1_2;
  const out = new Float64Array(n * n);
  const eps = 1e-9;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const dy = y - c;
      const dx = x - c;
      let iy = cos * dy + sin * dx + c;
      let ix = -sin * dy + cos * dx + c;
      if (iy < -eps || ix < -eps || iy > n - 1 + eps || ix > n - 1 + eps) continue;
      iy = Math.min(Math.max(iy, 0), n - 1);
      ix = Math.min(Math.max(ix, 0), n - 1);
      const y0 = Math.min(Math.floor(iy), n - 2);
      const x0 = Math.min(Math.floor(ix), n - 2);
      const fy = iy - y0;
      const fx = ix - x0;
      const v = m.values;
      out[y * n + x] =
        (1 - fy) * ((1 - fx) * v[y0 * n + x0]! + fx * v[y0 * n + x0 + 1]!) +
        fy * ((1 - fx) * v[(y0 + 1) * n + x0]! + fx * v[(y0 + 1) * n + x0 + 1]!);
    }
  }
  // crop_pixel = np.where(rotated != 0)[1][0]; rotated[crop:-crop][: half]
  let crop = 0;
  for (let k = 0; k < out.length; k++) {
    if (out[k] !== 0) {
      crop = k % n;
      break;
    }
  }
  const kept = n - 2 * crop;
  const half = Math.floor(Math.max(kept, 0) / 2);
  return { nRows: half, nCols: n, values: out.slice(crop * n, (crop + half) * n) };
}

/** Flips a row-major matrix on both axes (CLASTER's reverse-strand view). */
function flipBoth(values: Float32Array): Float32Array {
  return values.slice().reverse();
}

/** Flips each row left-right (CLASTER's reverse view of the rotated map). */
function flipRows(values: Float32Array, nRows: number, nCols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < nRows; r++) {
    for (let x = 0; x < nCols; x++) out[r * nCols + x] = values[r * nCols + nCols - 1 - x]!;
  }
  return out;
}

/** CLASTER's contact-map window around one TSS (0-based position on `chrom`). */
export function makeClasterWindow(
  cool: Cooler,
  chrom: string,
  tss: number,
  options: ClasterWindowOptions = {},
): ClasterWindow {
  const half = options.halfWindow ?? 500_000;
  const region = { chrom, start: tss - half, end: tss + half };
  binRangeOf(cool, region); // a VALUE error when the window leaves the chromosome
  const dense = fetchDense(cool, region, undefined, { balance: options.balance ?? true });
  return windowFromDense(cool, dense, options);
}

/**
 * A fixed-size window for stacking many genes: `nBins` map bins starting at the
 * bin holding `tss − halfWindow` (default ⌈2·halfWindow / binSize⌉ + 1 = 626 at
 * 1.6 kb, CLASTER's size). Bins off the chromosome are padded with NaN, which
 * becomes the imputation value like any missing pixel; `paddedBins` counts them.
 */
export function makeClasterWindowPadded(
  cool: Cooler,
  chrom: string,
  tss: number,
  options: ClasterWindowOptions & { nBins?: number } = {},
): ClasterWindow & { paddedBins: number } {
  const half = options.halfWindow ?? 500_000;
  const bs = cool.binSize;
  const ci = cool.chromNames.indexOf(chrom);
  if (bs === undefined || ci < 0) {
    throw new ChromflowError(
      'VALUE',
      'a padded contact window needs fixed bins and the chromosome',
      {
        path: cool.path,
        field: bs === undefined ? 'bin-size' : 'chrom',
        expected: bs === undefined ? 'a fixed bin size' : `a chromosome of the map`,
        found: bs === undefined ? 'variable bins' : chrom,
      },
    );
  }
  const n = options.nBins ?? Math.ceil((2 * half) / bs) + 1;
  const first = Math.floor((tss - half) / bs);
  const chromBins = cool.chromOffsets[ci + 1]! - cool.chromOffsets[ci]!;
  const lo = Math.max(0, first);
  const hi = Math.min(chromBins, first + n);
  const values = new Float64Array(n * n).fill(NaN);
  if (hi > lo) {
    const len = cool.chromLengths[ci]!;
    const region = { chrom, start: lo * bs, end: Math.min(hi * bs, len) };
    const d = fetchDense(cool, region, undefined, { balance: options.balance ?? true });
    const o = lo - first;
    for (let i = 0; i < d.nRows; i++) {
      for (let j = 0; j < d.nCols; j++) values[(o + i) * n + o + j] = d.values[i * d.nCols + j]!;
    }
  }
  const w = windowFromDense(cool, { nRows: n, nCols: n, values }, options);
  return { ...w, paddedBins: n - (hi - lo) };
}

function windowFromDense(
  cool: Cooler,
  dense: DenseMatrix,
  options: ClasterWindowOptions,
): ClasterWindow {
  let imputation = options.imputation;
  if (imputation === undefined) {
    let min = Infinity;
    for (const w of cool.weights ?? []) if (w < min) min = w;
    imputation = Number.isFinite(min) && min > 0 ? min : 1e-14;
  }
  const logged = new Float64Array(dense.values.length);
  for (let k = 0; k < logged.length; k++) {
    const v = dense.values[k]!;
    logged[k] = Math.log10(Number.isNaN(v) || v === 0 ? imputation : v);
  }
  const forward = Float32Array.from(logged);
  const result: ClasterWindow = {
    nRows: dense.nRows,
    nCols: dense.nCols,
    forward,
    reverse: flipBoth(forward),
  };
  if (options.rotate ?? true) {
    const r = rotateContactMap45({ nRows: dense.nRows, nCols: dense.nCols, values: logged });
    const rf = Float32Array.from(r.values);
    result.rotated = {
      nRows: r.nRows,
      nCols: r.nCols,
      forward: rf,
      reverse: flipRows(rf, r.nRows, r.nCols),
    };
  }
  return result;
}
