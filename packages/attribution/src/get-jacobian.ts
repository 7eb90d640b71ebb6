import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; tfjs-layers' Node bundle registers them all.
import '@tensorflow/tfjs-layers';
import { ChromflowError, throwIfAborted, type ProgressCallback } from '@chromflow/core';
import { getWindowInput, windowPositions, type GetArrays, type GetModel } from '@chromflow/models';

/**
 * GET's Jacobian (shared/notes/get-reference.md, "Interpretation"): for a
 * gene, the derivative of the predicted expression at its TSS region(s) and
 * strand with respect to the window's region × (motif clusters,
 * accessibility) input, and with respect to each region's embedding.
 */

/**
 * Which outputs a gene's scalar averages: `gene` = the strand its TSS is on
 * (the labelled (region, strand) pairs, as GET's labels), `both` = both
 * strands of its TSS regions.
 */
export type StrandRule = 'gene' | 'both';

/** One gene's window and the outputs its scalar reads. */
export interface GeneFocus {
  gene: string;
  /** Row (genomic order, the get-features row) of the window's first region. */
  first: number;
  /** Output cells averaged: position-in-window · 2 + strand (0 = +, 1 = −). */
  outputs: Int32Array;
}

/** Gene → its labelled (row · 2 + strand) pairs, from `labelGenes` (models): comma-separated genes per pair. */
export function geneTssPairs(genesByPair: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  genesByPair.forEach((list, j) => {
    if (!list) return;
    for (const g of list.split(',')) {
      if (g === '') continue;
      const v = out.get(g);
      if (v) v.push(j);
      else out.set(g, [j]);
    }
  });
  return out;
}

/**
 * Each gene's window: `windowSize` consecutive regions of its chromosome with
 * its TSS region(s) at position ⌊T/2⌋ (GET's focus, 100 of 200), shifted
 * only as far as needed to stay inside the chromosome's windowed regions.
 * `chroms` is the chromosome of each window (the windows table's `chrom`).
 * `genes` empty: every gene with a TSS region, in order of first TSS row.
 */
export function geneFocuses(
  a: GetArrays,
  chroms: readonly string[],
  genesByPair: readonly string[],
  options: { genes?: readonly string[]; strand?: StrandRule } = {},
): GeneFocus[] {
  const T = a.windowSize;
  const strand = options.strand ?? 'gene';
  const pairs = geneTssPairs(genesByPair);
  // Windowed stretch of each chromosome: [first of its first window, end of its last).
  const spans = new Map<string, [number, number]>();
  a.windowFirsts.forEach((f, w) => {
    const s = spans.get(chroms[w]!);
    if (s) {
      s[0] = Math.min(s[0], f);
      s[1] = Math.max(s[1], f + T);
    } else spans.set(chroms[w]!, [f, f + T]);
  });
  const wanted = options.genes && options.genes.length > 0 ? options.genes : [...pairs.keys()];
  return wanted.map((gene) => {
    const js = pairs.get(gene);
    if (!js) {
      throw new ChromflowError('VALUE', `gene '${gene}' has no TSS region in the GET inputs`, {
        field: 'genes',
        expected: `a gene of the labels table (genes_plus / genes_minus), e.g. ${[...pairs.keys()].slice(0, 3).join(', ')}`,
        found: gene,
      });
    }
    const rows = js.map((j) => j >> 1);
    const lo = Math.min(...rows);
    const hi = Math.max(...rows);
    const span = [...spans.values()].find(([s, e]) => lo >= s && hi < e);
    if (!span || hi - lo >= T) {
      throw new ChromflowError('VALUE', `gene '${gene}' is in no window of the GET inputs`, {
        field: 'genes',
        expected: `TSS regions within one chromosome's ${T}-region windows`,
        found: `rows ${lo}–${hi}${span ? '' : ' (a chromosome with no window)'}`,
      });
    }
    const centre = (lo + hi) >> 1;
    const first = Math.min(Math.max(centre - (T >> 1), span[0]), span[1] - T);
    const cells =
      strand === 'gene'
        ? js.map((j) => ((j >> 1) - first) * 2 + (j & 1))
        : [...new Set(rows)].flatMap((r) => [(r - first) * 2, (r - first) * 2 + 1]);
    return { gene, first, outputs: Int32Array.from(cells) };
  });
}

/** One batch of genes' Jacobians (row-major, genes first). */
export interface GetJacobianBatch {
  focuses: GeneFocus[];
  /** The inputs [B, T, F]. */
  x: Float32Array;
  /** ∂f/∂x [B, T, F]. */
  inputGradient: Float32Array;
  /** ∂f/∂(region embedding) [B, T, D]. */
  embeddingGradient: Float32Array;
  /** f [B]: the predicted expression the gradients are of. */
  prediction: Float32Array;
}

export interface GetJacobianOptions {
  /** Genes per backward pass (default 16). */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** The checks every GET attribution needs: an expression model whose features match the inputs. */
export function requireExpressionGet(model: GetModel, a: GetArrays, path?: string): void {
  if (model.config.task !== 'expression') {
    throw new ChromflowError('VALUE', 'GET attribution needs an expression model', {
      path,
      field: 'task',
      expected: "'expression' (models.get-finetune)",
      found: `'${model.config.task}'`,
    });
  }
  if (a.clusters.length + 1 !== model.config.features) {
    throw new ChromflowError('SCHEMA', 'the inputs have a different feature count than the model', {
      path,
      field: 'features',
      expected: `${model.config.features - 1} motif clusters + accessibility (the checkpoint's)`,
      found: `${a.clusters.length} clusters + accessibility`,
    });
  }
}

/**
 * Jacobians of cell type `cellType`'s predicted expression for every focus,
 * one forward and one backward per batch of genes (windows are independent
 * examples, so the gradient of the batch's sum is each gene's own). `f` is the
 * mean of the gene's output cells. Calls `each` per batch, so memory stays
 * at one batch of [B, T, F] arrays.
 */
export function forEachGetJacobianBatch(
  model: GetModel,
  a: GetArrays,
  cellType: number,
  focuses: readonly GeneFocus[],
  each: (batch: GetJacobianBatch) => void,
  options: GetJacobianOptions = {},
): void {
  requireExpressionGet(model, a);
  const T = a.windowSize;
  const F = model.config.features;
  const D = model.config.dim;
  const size = Math.max(1, options.batchSize ?? 16);
  for (let lo = 0; lo < focuses.length; lo += size) {
    throwIfAborted(options.signal);
    const part = focuses.slice(lo, lo + size);
    const B = part.length;
    const x = new Float32Array(B * T * F);
    const weights = new Float32Array(B * T * 2);
    // `positional: relative` models read region centres (bp from the window's first).
    const pos = model.config.positional === 'relative' ? new Float32Array(B * T) : undefined;
    part.forEach((g, i) => {
      const at = { ...a, windowFirsts: Int32Array.of(g.first) };
      x.set(getWindowInput(at, cellType, 0), i * T * F);
      pos?.set(windowPositions(at, 0), i * T);
      for (const c of g.outputs) weights[i * T * 2 + c]! += 1 / g.outputs.length;
    });
    const [gx, gh, f] = tf.tidy(() => {
      const xt = tf.tensor3d(x, [B, T, F]);
      const w = tf.tensor3d(weights, [B, T, 2]);
      const delta = tf.zeros([B, T, D]);
      const pt = pos && tf.tensor2d(pos, [B, T]);
      const scalar = (xi: tf.Tensor, di: tf.Tensor): tf.Tensor1D =>
        tf.sum(
          tf.mul(
            model.forwardEmbedded(
              tf.add<tf.Tensor3D>(model.embedRegions(xi as tf.Tensor3D), di),
              undefined,
              undefined,
              pt,
            ),
            w,
          ),
          [1, 2],
        );
      // ∂/∂x and ∂/∂h of Σ_b f_b (dy = 1 per gene) in one backward; δ = 0 marks the embedding.
      const { value, grads } = tf.valueAndGrads(scalar)([xt, delta]);
      return [grads[0]!, grads[1]!, value];
    });
    each({
      focuses: part,
      x,
      inputGradient: gx.dataSync() as Float32Array,
      embeddingGradient: gh.dataSync() as Float32Array,
      prediction: f.dataSync() as Float32Array,
    });
    tf.dispose([gx, gh, f]);
    options.onProgress?.(Math.min(focuses.length, lo + size), focuses.length);
  }
}
