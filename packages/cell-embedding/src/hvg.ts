import { ChromflowError, type CsrMatrix } from '@chromflow/core';
import { computeColumnMoments } from './normalise.js';

/** Per-gene statistics and the selection of highly variable genes. */
export interface HvgResult {
  /** 1 where the gene is selected. */
  highlyVariable: Uint8Array;
  /** Selected gene indices, ascending. */
  selected: Int32Array;
  means: Float64Array;
  /** seurat_v3: variance of counts (ddof 1); seurat: log dispersion. */
  dispersions: Float64Array;
  /** seurat_v3: clipped standardised variance; seurat: normalised dispersion. */
  scores: Float64Array;
}

function selectTop(scores: Float64Array, nTop: number): Int32Array {
  const order = Array.from(scores.keys()).sort((a, b) => {
    const sa = Number.isNaN(scores[a]!) ? -Infinity : scores[a]!;
    const sb = Number.isNaN(scores[b]!) ? -Infinity : scores[b]!;
    return sb - sa || a - b;
  });
  return Int32Array.from(order.slice(0, Math.min(nTop, scores.length))).sort();
}

/**
 * Local quadratic regression (loess, degree 2, tricube weights over the
 * ⌊span·n⌋ nearest x values), evaluated exactly at every x — the "direct"
 * surface. scikit-misc's default (`surface='interpolate'`) approximates this
 * fit on a k-d tree, so fitted values can differ from scanpy's in late digits.
 */
export function fitLoess(x: Float64Array, y: Float64Array, span = 0.3): Float64Array {
  const n = x.length;
  const order = Array.from(x.keys()).sort((a, b) => x[a]! - x[b]!);
  const xs = Float64Array.from(order, (i) => x[i]!);
  const ys = Float64Array.from(order, (i) => y[i]!);
  const q = Math.max(3, Math.min(n, Math.floor(span * n)));
  const fitted = new Float64Array(n);
  let lo = 0;
  for (let t = 0; t < n; t++) {
    const x0 = xs[t]!;
    // Slide the q-wide window [lo, lo+q) so that it holds the q nearest x to x0.
    while (lo + q < n && x0 - xs[lo]! > xs[lo + q]! - x0) lo++;
    const hi = lo + q;
    const dmax = Math.max(x0 - xs[lo]!, xs[hi - 1]! - x0) || 1;
    // Weighted normal equations for y ≈ b0 + b1·d + b2·d², d = x − x0.
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, t0 = 0, t1 = 0, t2 = 0; // prettier-ignore
    for (let i = lo; i < hi; i++) {
      const d = xs[i]! - x0;
      const u = Math.abs(d) / dmax;
      const w = u < 1 ? (1 - u * u * u) ** 3 : 0;
      const d2 = d * d;
      s0 += w;
      s1 += w * d;
      s2 += w * d2;
      s3 += w * d2 * d;
      s4 += w * d2 * d2;
      t0 += w * ys[i]!;
      t1 += w * d * ys[i]!;
      t2 += w * d2 * ys[i]!;
    }
    // Solve the 3×3 system by Cramer's rule for b0 (the value at x0).
    const det = s0 * (s2 * s4 - s3 * s3) - s1 * (s1 * s4 - s3 * s2) + s2 * (s1 * s3 - s2 * s2);
    const b0 =
      Math.abs(det) > 1e-300
        ? (t0 * (s2 * s4 - s3 * s3) - s1 * (t1 * s4 - s3 * t2) + s2 * (t1 * s3 - s2 * t2)) / det
        : t0 / (s0 || 1);
    fitted[order[t]!] = b0;
  }
  return fitted;
}

/**
 * Highly variable genes, scanpy flavour `seurat_v3` (Stuart et al. 2019), on
 * raw counts: fit log10(variance) ~ log10(mean) by loess (span 0.3), clip each
 * count at mean + √n·σ̂ (σ̂ the fitted standard deviation), and rank genes by
 * the variance of the clipped counts standardised by σ̂²; the `nTop` highest
 * are selected.
 */
export function selectHvgSeuratV3(counts: CsrMatrix, nTop: number, span = 0.3): HvgResult {
  const n = counts.nRows;
  const p = counts.nCols;
  const { means, variances } = computeColumnMoments(counts);
  const notConst: number[] = [];
  for (let c = 0; c < p; c++) if (variances[c]! > 0) notConst.push(c);
  if (notConst.length < 3) {
    throw new ChromflowError(
      'VALUE',
      'fewer than 3 genes vary; cannot fit the mean–variance trend',
      {
        field: 'n_hvg',
      },
    );
  }
  const fit = fitLoess(
    Float64Array.from(notConst, (c) => Math.log10(means[c]!)),
    Float64Array.from(notConst, (c) => Math.log10(variances[c]!)),
    span,
  );
  const estimated = new Float64Array(p);
  notConst.forEach((c, i) => (estimated[c] = fit[i]!));
  const regStd = Float64Array.from(estimated, (e) => Math.sqrt(10 ** e));
  const clip = Float64Array.from(regStd, (s, c) => s * Math.sqrt(n) + means[c]!);
  const sum = new Float64Array(p);
  const sq = new Float64Array(p);
  for (let q = 0; q < counts.indices.length; q++) {
    const c = counts.indices[q]!;
    const v = Math.min(counts.values[q]!, clip[c]!);
    sum[c]! += v;
    sq[c]! += v * v;
  }
  const scores = new Float64Array(p);
  for (let c = 0; c < p; c++) {
    const m = means[c]!;
    scores[c] = (1 / ((n - 1) * regStd[c]! ** 2)) * (n * m * m + sq[c]! - 2 * sum[c]! * m);
  }
  const selected = selectTop(scores, nTop);
  const highlyVariable = new Uint8Array(p);
  selected.forEach((c) => (highlyVariable[c] = 1));
  return { highlyVariable, selected, means, dispersions: variances, scores };
}

/**
 * Highly variable genes, scanpy flavour `seurat` (Satija et al. 2015), on
 * log1p-normalised data: per gene, mean and variance (ddof 1) of expm1(x),
 * dispersion = ln(var/mean) and mean ↦ ln(1 + mean); genes are put in `nBins`
 * equal-width bins of that mean (pandas `cut`), and the dispersion is
 * z-scored within its bin (a bin with one gene: std := its mean, mean := 0).
 * With `nTop`, genes whose normalised dispersion is ≥ the nTop-th largest are
 * selected; otherwise scanpy's cut-offs (mean in (0.0125, 3), normalised
 * dispersion > 0.5).
 */
export function selectHvgSeurat(logData: CsrMatrix, nTop?: number, nBins = 20): HvgResult {
  const expm1: CsrMatrix = { ...logData, values: Float32Array.from(logData.values, Math.expm1) };
  const { means: rawMeans, variances } = computeColumnMoments(expm1);
  const p = logData.nCols;
  const means = new Float64Array(p);
  const dispersions = new Float64Array(p);
  for (let c = 0; c < p; c++) {
    const m = rawMeans[c]! === 0 ? 1e-12 : rawMeans[c]!;
    const d = variances[c]! / m;
    dispersions[c] = d === 0 ? NaN : Math.log(d);
    means[c] = Math.log1p(m);
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of means) {
    lo = Math.min(lo, m);
    hi = Math.max(hi, m);
  }
  const width = (hi - lo) / nBins;
  const bins = Int32Array.from(means, (m) =>
    width > 0 ? Math.min(nBins - 1, Math.max(0, Math.ceil((m - lo) / width) - 1)) : 0,
  );
  const bs = new Float64Array(nBins);
  const bss = new Float64Array(nBins);
  const bn = new Float64Array(nBins);
  for (let c = 0; c < p; c++) {
    const d = dispersions[c]!;
    if (Number.isNaN(d)) continue;
    bs[bins[c]!]! += d;
    bss[bins[c]!]! += d * d;
    bn[bins[c]!]!++;
  }
  const scores = new Float64Array(p);
  for (let c = 0; c < p; c++) {
    const b = bins[c]!;
    const k = bn[b]!;
    let mean = bs[b]! / k;
    let sd = k > 1 ? Math.sqrt(Math.max(0, (bss[b]! - k * mean * mean) / (k - 1))) : NaN;
    if (Number.isNaN(sd)) {
      sd = mean;
      mean = 0;
    }
    scores[c] = (dispersions[c]! - mean) / sd;
  }
  let selected: Int32Array;
  if (nTop !== undefined) {
    const sorted = Array.from(scores)
      .filter((v) => !Number.isNaN(v))
      .sort((a, b) => b - a);
    const cut = sorted[Math.min(nTop, sorted.length) - 1] ?? Infinity;
    selected = Int32Array.from(
      Array.from(scores.keys()).filter((c) => (Number.isNaN(scores[c]!) ? 0 : scores[c]!) >= cut),
    );
  } else {
    selected = Int32Array.from(
      Array.from(scores.keys()).filter(
        (c) => means[c]! > 0.0125 && means[c]! < 3 && scores[c]! > 0.5,
      ),
    );
  }
  const highlyVariable = new Uint8Array(p);
  selected.forEach((c) => (highlyVariable[c] = 1));
  return { highlyVariable, selected, means, dispersions, scores };
}
