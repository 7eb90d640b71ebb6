/**
 * Replaces the rows × l matrix y by P·L of its partial-pivoting LU
 * factorisation (scipy's `lu(permute_l=True)`): same column span, unit
 * lower-trapezoidal up to the row permutation, entries ≤ 1 in magnitude.
 */
export function luNormaliseColumns(y: Float64Array, rows: number, l: number): void {
  luInPlace(y, rows, l, undefined);
}

/**
 * a·b for a rows × l and b l × k (row stride ldb), row-major, as rows × k; each entry
 * summed over j ascending from 0, as the wasm kernel `gemm` sums it (the same bits).
 */
export function timesSmall(
  a: Float64Array,
  rows: number,
  l: number,
  b: Float64Array,
  ldb: number,
  k: number,
): Float64Array {
  const c = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) {
    const ao = i * l;
    for (let col = 0; col < k; col++) {
      let s = 0;
      for (let j = 0; j < l; j++) s += a[ao + j]! * b[j * ldb + col]!;
      c[i * k + col] = s;
    }
  }
  return c;
}

/**
 * The upper triangle of YᵀY (l × l row-major, zero below the diagonal) for a rows × l
 * row-major y; each entry summed over rows ascending from 0, as the wasm kernel `gram`.
 */
export function gramUpper(y: Float64Array, rows: number, l: number): Float64Array {
  const g = new Float64Array(l * l);
  for (let a = 0; a < l; a++)
    for (let b = a; b < l; b++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += y[i * l + a]! * y[i * l + b]!;
      g[a * l + b] = s;
    }
  return g;
}

/**
 * The LU in a wasm memory: `lu` (`SPARSE_KERNEL_WAT`'s, row-major in place with the pivot
 * search fused into the update pass), `block` room for the matrix and `flags` (byte offset)
 * for one byte per row.
 */
export interface LuWorkspace {
  block: Float64Array;
  flags: number;
  lu: (y: number, rows: number, l: number, flags: number) => void;
}

export function luInPlace(
  y: Float64Array,
  rows: number,
  l: number,
  ws: LuWorkspace | undefined,
): void {
  if (ws) {
    const block = ws.block.subarray(0, rows * l);
    block.set(y.subarray(0, rows * l));
    ws.lu(block.byteOffset, rows, l, ws.flags);
    y.set(block);
    return;
  }
  // Right-looking LU on a column-major copy: every update is a long contiguous
  // axpy over all rows, with multiplier 0 for the rows already used as pivots.
  const all = new Float64Array(rows * l);
  const f = new Float64Array(rows);
  const col = (j: number): Float64Array => all.subarray(j * rows, (j + 1) * rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < l; j++) all[j * rows + i] = y[i * l + j]!;
  const isPivot = new Uint8Array(rows);
  const pivots: number[] = [];
  const kMax = Math.min(l, rows);
  for (let k = 0; k < kMax; k++) {
    const ck = col(k);
    // Ties go to the first row, as LAPACK's.
    let piv = -1;
    let pivAbs = 0;
    for (let i = 0; i < rows; i++) {
      const x = Math.abs(ck[i]!);
      if (x > pivAbs && isPivot[i] === 0) {
        pivAbs = x;
        piv = i;
      }
    }
    pivots.push(piv);
    // A zero column on the remaining rows (rank deficiency): L's column stays 0.
    if (piv < 0) continue;
    isPivot[piv] = 1;
    const inv = 1 / ck[piv]!;
    for (let i = 0; i < rows; i++) {
      const x = isPivot[i] === 0 ? ck[i]! * inv : 0;
      f[i] = x;
      if (isPivot[i] === 0) ck[i] = x;
    }
    // Four columns per pass over the multipliers.
    let j = k + 1;
    for (; j + 3 < l; j += 4) {
      const c0 = col(j);
      const c1 = col(j + 1);
      const c2 = col(j + 2);
      const c3 = col(j + 3);
      const u0 = c0[piv]!;
      const u1 = c1[piv]!;
      const u2 = c2[piv]!;
      const u3 = c3[piv]!;
      for (let i = 0; i < rows; i++) {
        const x = f[i]!;
        c0[i] = c0[i]! - x * u0;
        c1[i] = c1[i]! - x * u1;
        c2[i] = c2[i]! - x * u2;
        c3[i] = c3[i]! - x * u3;
      }
    }
    for (; j < l; j++) {
      const cj = col(j);
      const u = cj[piv]!;
      for (let i = 0; i < rows; i++) cj[i] = cj[i]! - f[i]! * u;
    }
  }
  for (let i = 0; i < rows; i++) for (let j = 0; j < l; j++) y[i * l + j] = all[j * rows + i]!;
  pivots.forEach((r, k) => {
    if (r < 0) return;
    const ro = r * l;
    y[ro + k] = 1;
    for (let j = k + 1; j < l; j++) y[ro + j] = 0;
  });
}

/**
 * Orthonormalises the columns of a rows × l row-major matrix in place
 * (Gram–Schmidt, classical within blocks of four columns and modified across
 * them, run twice — "twice is enough"). A column in the span
 * of the earlier ones (below 1e-10 of its first-pass norm) becomes zero.
 */
export function orthonormaliseColumns(y: Float64Array, rows: number, l: number): void {
  const cols: Float64Array[] = [];
  const norm0 = new Float64Array(l);
  for (let j = 0; j < l; j++) {
    const c = new Float64Array(rows);
    let s = 0;
    for (let i = 0; i < rows; i++) {
      const x = y[i * l + j]!;
      c[i] = x;
      s += x * x;
    }
    norm0[j] = Math.sqrt(s);
    cols.push(c);
  }
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < l; j++) {
      const cj = cols[j]!;
      let k = 0;
      // Four earlier columns at a time (classical within the four, modified across).
      for (; k + 3 < j; k += 4) {
        const c0 = cols[k]!;
        const c1 = cols[k + 1]!;
        const c2 = cols[k + 2]!;
        const c3 = cols[k + 3]!;
        let d0 = 0;
        let d1 = 0;
        let d2 = 0;
        let d3 = 0;
        for (let i = 0; i < rows; i++) {
          const x = cj[i]!;
          d0 += c0[i]! * x;
          d1 += c1[i]! * x;
          d2 += c2[i]! * x;
          d3 += c3[i]! * x;
        }
        for (let i = 0; i < rows; i++) {
          cj[i] = cj[i]! - d0 * c0[i]! - d1 * c1[i]! - d2 * c2[i]! - d3 * c3[i]!;
        }
      }
      for (; k < j; k++) {
        const ck = cols[k]!;
        let d = 0;
        for (let i = 0; i < rows; i++) d += ck[i]! * cj[i]!;
        if (d === 0) continue;
        for (let i = 0; i < rows; i++) cj[i]! -= d * ck[i]!;
      }
      let nrm = 0;
      for (let i = 0; i < rows; i++) nrm += cj[i]! * cj[i]!;
      nrm = Math.sqrt(nrm);
      const inv = nrm > 1e-10 * norm0[j]! && nrm > 0 ? 1 / nrm : 0;
      for (let i = 0; i < rows; i++) cj[i]! *= inv;
      norm0[j] = 1;
    }
  }
  for (let j = 0; j < l; j++) {
    const c = cols[j]!;
    for (let i = 0; i < rows; i++) y[i * l + j] = c[i]!;
  }
}

/** The Givens rotation (x, y) ← (c·x − s·y, s·x + c·y) of v[a … a+n) and v[b … b+n), as the wasm `jacobi` kernel does it. */
function rotatePair(v: Float64Array, a: number, b: number, n: number, c: number, s: number): void {
  for (let i = 0; i < n; i++) {
    const x = v[a + i]!;
    const y = v[b + i]!;
    v[a + i] = c * x - s * y;
    v[b + i] = s * x + c * y;
  }
}

/**
 * One-sided Jacobi rotations on the l columns of `cols` (column-major, n rows each),
 * applied to the columns of W as well (`wt` holds Wᵀ, so W's columns are contiguous),
 * until every pair is orthogonal to 1e-15 (at most 60 sweeps). Dot products are summed
 * in two lanes (even and odd rows, then added), as the wasm kernel `jacobi`: the same bits.
 */
export function jacobiSweeps(cols: Float64Array, n: number, l: number, wt: Float64Array): void {
  const n2 = n & ~1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let a = 0; a < l - 1; a++) {
      const ao = a * n;
      for (let b = a + 1; b < l; b++) {
        const bo = b * n;
        let alpha0 = 0;
        let alpha1 = 0;
        let beta0 = 0;
        let beta1 = 0;
        let gamma0 = 0;
        let gamma1 = 0;
        for (let i = 0; i < n2; i += 2) {
          const x0 = cols[ao + i]!;
          const x1 = cols[ao + i + 1]!;
          const y0 = cols[bo + i]!;
          const y1 = cols[bo + i + 1]!;
          alpha0 += x0 * x0;
          alpha1 += x1 * x1;
          beta0 += y0 * y0;
          beta1 += y1 * y1;
          gamma0 += x0 * y0;
          gamma1 += x1 * y1;
        }
        if (n2 < n) {
          const x = cols[ao + n2]!;
          const y = cols[bo + n2]!;
          alpha0 += x * x;
          beta0 += y * y;
          gamma0 += x * y;
        }
        const alpha = alpha0 + alpha1;
        const beta = beta0 + beta1;
        const gamma = gamma0 + gamma1;
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        rotatePair(cols, ao, bo, n, cs, sn);
        rotatePair(wt, a * l, b * l, l, cs, sn);
      }
    }
    if (off < 1e-15) break;
  }
}

/** Room in a wasm memory for the small SVD's columns and Wᵀ, and the `jacobi` kernel. */
export interface JacobiWorkspace {
  /** At least n·l float64. */
  cols: Float64Array;
  /** At least l·l float64. */
  wt: Float64Array;
  jacobi: (cols: number, n: number, l: number, wt: number) => void;
}

/**
 * Thin SVD of a small matrix B (l × n) given as its transpose bt (n × l,
 * row-major), by one-sided Jacobi rotations on bt's columns (`jacobiSweeps`, or
 * the wasm kernel in `ws`: the same numbers). Returns singular
 * values (descending), U (l × l, row-major, columns = left vectors of B) and
 * Vt (l × n, rows = right vectors of B).
 */
export function svdSmall(
  bt: Float64Array,
  n: number,
  l: number,
  ws?: JacobiWorkspace,
): { s: Float64Array; U: Float64Array; Vt: Float64Array } {
  const cols = ws ? ws.cols.subarray(0, n * l) : new Float64Array(n * l);
  const wt = ws ? ws.wt.subarray(0, l * l) : new Float64Array(l * l);
  for (let j = 0; j < l; j++) for (let i = 0; i < n; i++) cols[j * n + i] = bt[i * l + j]!;
  wt.fill(0);
  for (let j = 0; j < l; j++) wt[j * l + j] = 1;
  if (ws) ws.jacobi(cols.byteOffset, n, l, wt.byteOffset);
  else jacobiSweeps(cols, n, l, wt);
  // bt·W = columns with norms s: bt = (cols/s)·diag(s)·Wᵀ, so B = W·diag(s)·(cols/s)ᵀ.
  const norms = Array.from({ length: l }, (_, j) => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += cols[j * n + i]! * cols[j * n + i]!;
    return Math.sqrt(acc);
  });
  const order = norms.map((_, j) => j).sort((x, y) => norms[y]! - norms[x]!);
  const s = new Float64Array(l);
  const U = new Float64Array(l * l);
  const Vt = new Float64Array(l * n);
  order.forEach((j, k) => {
    const nrm = norms[j]!;
    s[k] = nrm;
    for (let i = 0; i < l; i++) U[i * l + k] = wt[j * l + i]!;
    const inv = nrm > 0 ? 1 / nrm : 0;
    for (let i = 0; i < n; i++) Vt[k * n + i] = cols[j * n + i]! * inv;
  });
  return { s, U, Vt };
}

/**
 * Orthonormalises the rows × l matrix y in place (y becomes Q) and returns R
 * (l × l, row-major) with y_before = Q·R, by modified Gram–Schmidt twice.
 */
export function upperFactorOfColumns(y: Float64Array, rows: number, l: number): Float64Array {
  const before = y.slice();
  orthonormaliseColumns(y, rows, l);
  // R = Qᵀ·y_before: exact for the kept columns, and for dropped (dependent) ones too.
  const r = new Float64Array(l * l);
  for (let i = 0; i < rows; i++) {
    const o = i * l;
    for (let a = 0; a < l; a++) {
      const qa = y[o + a]!;
      if (qa === 0) continue;
      for (let b = 0; b < l; b++) r[a * l + b]! += qa * before[o + b]!;
    }
  }
  return r;
}
