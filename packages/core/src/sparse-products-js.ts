import { gramUpper, luNormaliseColumns, svdSmall, timesSmall } from './dense-linalg.js';
import type { CsrMatrix } from './sparse-matrix.js';
import type { SparseProducts } from './sparse-products.js';

/** The transpose of a CSR matrix, as CSR (that is, the matrix in CSC form). */
export function transposeCsr(a: CsrMatrix): CsrMatrix {
  const indptr = new Int32Array(a.nCols + 1);
  for (let q = 0; q < a.indices.length; q++) indptr[a.indices[q]! + 1]!++;
  for (let c = 0; c < a.nCols; c++) indptr[c + 1]! += indptr[c]!;
  const next = indptr.slice(0, a.nCols);
  const indices = new Int32Array(a.indices.length);
  const values = new Float32Array(a.indices.length);
  for (let r = 0; r < a.nRows; r++) {
    for (let q = a.indptr[r]!; q < a.indptr[r + 1]!; q++) {
      const dst = next[a.indices[q]!]!++;
      indices[dst] = r;
      values[dst] = a.values[q]!;
    }
  }
  return { nRows: a.nCols, nCols: a.nRows, indptr, indices, values };
}

/**
 * out (rows × l) = a · m (cols × l), all row-major. Each output row is
 * accumulated in a local array while the row's non-zeros are read once for
 * all l columns; `shift` (length l), when given, is subtracted from every row.
 */
export function csrTimesDense(
  a: CsrMatrix,
  m: Float64Array,
  l: number,
  out: Float64Array = new Float64Array(a.nRows * l),
  shift?: Float64Array,
): Float64Array {
  const { indptr, indices, values } = a;
  const acc = new Float64Array(l);
  for (let r = 0; r < a.nRows; r++) {
    if (shift) for (let j = 0; j < l; j++) acc[j] = -shift[j]!;
    else acc.fill(0);
    const end = indptr[r + 1]!;
    for (let q = indptr[r]!; q < end; q++) {
      const v = values[q]!;
      const o = indices[q]! * l;
      let j = 0;
      for (; j + 3 < l; j += 4) {
        acc[j]! += v * m[o + j]!;
        acc[j + 1]! += v * m[o + j + 1]!;
        acc[j + 2]! += v * m[o + j + 2]!;
        acc[j + 3]! += v * m[o + j + 3]!;
      }
      for (; j < l; j++) acc[j]! += v * m[o + j]!;
    }
    out.set(acc, r * l);
  }
  return out;
}

/** `csrTimesDense` in float32 arithmetic (m rounded to float32, each product and sum rounded). */
function csrTimesDenseFloat32(a: CsrMatrix, m: Float64Array, l: number): Float64Array {
  const m32 = Float32Array.from(m);
  const out = new Float64Array(a.nRows * l);
  const acc = new Float32Array(l);
  for (let r = 0; r < a.nRows; r++) {
    acc.fill(0);
    for (let q = a.indptr[r]!; q < a.indptr[r + 1]!; q++) {
      const v = a.values[q]!;
      const o = a.indices[q]! * l;
      for (let j = 0; j < l; j++) acc[j] = acc[j]! + Math.fround(v * m32[o + j]!);
    }
    out.set(acc, r * l);
  }
  return out;
}

/**
 * The JavaScript backend of `makeSparseProducts` (no WebAssembly, or `backend: 'js'`):
 * the same sums in the same order as the wasm kernels, so the same numbers.
 */
export function makeJsProducts(x: CsrMatrix, f32: boolean): SparseProducts {
  const xt = transposeCsr(x);
  const product = f32 ? csrTimesDenseFloat32 : csrTimesDense;
  return {
    backend: 'js',
    times: (m, w, centre) => {
      const out = product(x, m, w);
      if (centre) {
        const shift = new Float64Array(w);
        for (let c = 0; c < centre.length; c++) {
          const f = centre[c]!;
          if (f === 0) continue;
          for (let j = 0; j < w; j++) shift[j]! += f * m[c * w + j]!;
        }
        for (let o = 0; o < out.length; o += w)
          for (let j = 0; j < w; j++) out[o + j]! -= shift[j]!;
      }
      return out;
    },
    transposeTimes: (y, w, centre) => {
      const out = product(xt, y, w);
      if (centre) {
        const colSum = new Float64Array(w);
        for (let o = 0; o < y.length; o += w) for (let j = 0; j < w; j++) colSum[j]! += y[o + j]!;
        for (let c = 0; c < centre.length; c++) {
          const f = centre[c]!;
          if (f === 0) continue;
          for (let j = 0; j < w; j++) out[c * w + j]! -= f * colSum[j]!;
        }
      }
      return out;
    },
    luNormalise: luNormaliseColumns,
    powerIterations(z, w, iterations, centre, normalise, onProduct) {
      for (let it = 0; it < iterations; it++) {
        const y = this.times(z, w, centre);
        onProduct?.();
        if (normalise) luNormaliseColumns(y, x.nRows, w);
        z = this.transposeTimes(y, w, centre);
        onProduct?.();
        if (normalise) luNormaliseColumns(z, x.nCols, w);
      }
      return z;
    },
    timesSmall,
    gramUpper,
    svdSmall: (bt, n, w) => svdSmall(bt, n, w),
    close: () => undefined,
  };
}
