import * as tf from '@tensorflow/tfjs-core';
import type { TokenSets } from '@chromflow/atac-pseudobulk';
import { meanPool, type AtacformerModel } from './model.js';
import { padCells } from './replaced-tokens.js';

/** What `embedAtacformer` computes in one pass over the cells. */
export interface AtacformerEmbeddings {
  /** Cell embeddings, row-major n × D: mean of each cell's contextual token embeddings. */
  cells: Float32Array;
  /**
   * Region embeddings, row-major vocabSize × D: each token's contextual
   * embedding averaged over the cells holding it (0 where `regionCells` is 0).
   */
  regions: Float32Array;
  /** Cells each token occurred in. */
  regionCells: Int32Array;
  dim: number;
}

/**
 * Cell and region embeddings of model-ready token sets (`atacformerInputs`)
 * in inference mode, `batchSize` cells at a time (cells sorted by length
 * first so batches pad little; outputs are in the input order).
 */
export function embedAtacformer(
  model: AtacformerModel,
  sets: TokenSets,
  batchSize = 32,
): AtacformerEmbeddings {
  const n = sets.barcodes.length;
  const d = model.config.dim;
  const len = (r: number): number => sets.offsets[r + 1]! - sets.offsets[r]!;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => len(a) - len(b) || a - b);
  const cells = new Float32Array(n * d);
  const sums = new Float64Array(model.config.vocabSize * d);
  const regionCells = new Int32Array(model.config.vocabSize);
  for (let lo = 0; lo < n; lo += batchSize) {
    const idx = order.slice(lo, lo + batchSize);
    const { tokens, t } = padCells(sets, idx);
    const h = model.encode(tokens, idx.length, t);
    const pooled = meanPool(h, tokens);
    const hv = h.dataSync();
    const pv = pooled.dataSync();
    tf.dispose([h, pooled]);
    idx.forEach((r, i) => {
      cells.set(pv.subarray(i * d, i * d + d), r * d);
      for (let j = 0; j < t; j++) {
        const id = tokens[i * t + j]!;
        if (id === 0) continue;
        regionCells[id]!++;
        const src = (i * t + j) * d;
        for (let c = 0; c < d; c++) sums[id * d + c]! += hv[src + c]!;
      }
    });
  }
  const regions = new Float32Array(sums.length);
  for (let id = 0; id < regionCells.length; id++) {
    const k = regionCells[id]!;
    if (k > 0) for (let c = 0; c < d; c++) regions[id * d + c] = sums[id * d + c]! / k;
  }
  return { cells, regions, regionCells, dim: d };
}
