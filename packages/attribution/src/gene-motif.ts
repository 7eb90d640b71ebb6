import type { GetArrays, GetModel } from '@chromflow/models';
import {
  forEachGetJacobianBatch,
  type GeneFocus,
  type GetJacobianOptions,
} from './get-jacobian.js';

/**
 * GET's gene × motif matrix and region importance (get-reference.md,
 * "Interpretation") from the Jacobians of `get-jacobian.ts`.
 */

/** How input × gradient is pooled over a window's regions: GET's note allows either. */
export type RegionReduce = 'sum' | 'mean';

/**
 * Input × gradient pooled over regions: for each of `B` windows of `T`
 * regions × `F` features, out[b, f] = Σ_t x[b,t,f]·∂f_b/∂x[b,t,f] (÷ T for `mean`).
 */
export function inputTimesGradient(
  x: Float32Array,
  gradient: Float32Array,
  B: number,
  T: number,
  F: number,
  reduce: RegionReduce = 'sum',
): Float32Array {
  const out = new Float32Array(B * F);
  const scale = reduce === 'mean' ? 1 / T : 1;
  for (let b = 0; b < B; b++)
    for (let f = 0; f < F; f++) {
      let s = 0;
      for (let t = 0; t < T; t++) {
        const i = (b * T + t) * F + f;
        s += x[i]! * gradient[i]!;
      }
      out[b * F + f] = s * scale;
    }
  return out;
}

/**
 * Region importance: the ℓ2 norm of ∂f_b/∂(embedding of region t) over the
 * `D` embedding dimensions, divided by the window's maximum (so the most
 * important region is 1; all 0 where the gradient is 0). [B, T].
 */
export function regionImportance(
  embeddingGradient: Float32Array,
  B: number,
  T: number,
  D: number,
): Float32Array {
  const out = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    let max = 0;
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += embeddingGradient[(b * T + t) * D + d]! ** 2;
      out[b * T + t] = Math.sqrt(s);
      max = Math.max(max, out[b * T + t]!);
    }
    if (max > 0) for (let t = 0; t < T; t++) out[b * T + t]! /= max;
  }
  return out;
}

/** One cell type's gene × motif matrix and region importance. */
export interface GeneMotifMatrix {
  genes: string[];
  /** Column names: the motif clusters, then `accessibility`. */
  features: string[];
  /** [G × F] input × gradient pooled over the window (`reduce`). */
  scores: Float32Array;
  /** [G × T] region importance (normalised by each gene's max). */
  regionImportance: Float32Array;
  /** [G] the window's first row (genomic order) per gene. */
  firsts: Int32Array;
  /** [G] the predicted expression explained. */
  prediction: Float32Array;
  windowSize: number;
  reduce: RegionReduce;
}

export const ACCESSIBILITY_FEATURE = 'accessibility';

/** GET's gene × motif matrix of cell type `cellType` for `focuses` (see `geneFocuses`). */
export function getGeneMotif(
  model: GetModel,
  a: GetArrays,
  cellType: number,
  focuses: readonly GeneFocus[],
  options: GetJacobianOptions & { reduce?: RegionReduce } = {},
): GeneMotifMatrix {
  const T = a.windowSize;
  const F = model.config.features;
  const D = model.config.dim;
  const G = focuses.length;
  const reduce = options.reduce ?? 'sum';
  const scores = new Float32Array(G * F);
  const importance = new Float32Array(G * T);
  const prediction = new Float32Array(G);
  let at = 0;
  forEachGetJacobianBatch(
    model,
    a,
    cellType,
    focuses,
    (b) => {
      const B = b.focuses.length;
      scores.set(inputTimesGradient(b.x, b.inputGradient, B, T, F, reduce), at * F);
      importance.set(regionImportance(b.embeddingGradient, B, T, D), at * T);
      prediction.set(b.prediction, at);
      at += B;
    },
    options,
  );
  return {
    genes: focuses.map((g) => g.gene),
    features: [...a.clusters, ACCESSIBILITY_FEATURE],
    scores,
    regionImportance: importance,
    firsts: Int32Array.from(focuses.map((g) => g.first)),
    prediction,
    windowSize: T,
    reduce,
  };
}
