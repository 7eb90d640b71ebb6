import * as tf from '@tensorflow/tfjs-core';
import { l2Normalize } from '@chromflow/compute';
import type { CraftModel } from './craft-model.js';
import { makeCraftBatch, type CraftPairs } from './train-craft.js';

/** CRAFT's outputs for paired cells, row-major, in the cells' order. */
export interface CraftEmbeddings {
  /** ATAC cells in the joint space, L2-normalised, n × P. */
  atac: Float32Array;
  /** RNA cells in the joint space, L2-normalised, n × P. */
  rna: Float32Array;
  /** Normalised expression decoded from the ATAC side alone, n × G. */
  imputed: Float32Array;
  projectionDim: number;
  genes: number;
}

/** Joint embeddings and imputed expression of `cells` (rows of `pairs`; default all), in inference mode. */
export function embedCraft(
  model: CraftModel,
  pairs: CraftPairs,
  cells?: ArrayLike<number>,
  batchSize = 32,
): CraftEmbeddings {
  const rows = cells ?? Int32Array.from({ length: pairs.sets.barcodes.length }, (_, i) => i);
  const p = model.config.projectionDim;
  const g = model.config.genes;
  const n = rows.length;
  const out: CraftEmbeddings = {
    atac: new Float32Array(n * p),
    rna: new Float32Array(n * p),
    imputed: new Float32Array(n * g),
    projectionDim: p,
    genes: g,
  };
  for (let lo = 0; lo < n; lo += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, n - lo) }, (_, i) => rows[lo + i]!);
    const b = makeCraftBatch(pairs, idx) as {
      tokens: Int32Array;
      n: number;
      t: number;
      rna: Float32Array;
    };
    const [a, r, y] = tf.tidy(() => {
      const joint = model.embedAtac(b.tokens, b.n, b.t);
      return [
        l2Normalize(joint),
        l2Normalize(model.embedRna(tf.tensor2d(b.rna, [b.n, g]))),
        model.impute(joint),
      ];
    });
    out.atac.set(a.dataSync(), lo * p);
    out.rna.set(r.dataSync(), lo * p);
    out.imputed.set(y.dataSync(), lo * g);
    tf.dispose([a, r, y]);
  }
  return out;
}
