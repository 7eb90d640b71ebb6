import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError } from '@chromflow/core';
import { computeCellEmbeddings, type XChromModel } from '@chromflow/models';
import type { ScalarModel } from './gradient-times-input.js';
import type { MultiOutputModel } from './in-silico-mutagenesis.js';

/**
 * The scalar an attribution explains for one group of cells: the mean XChrom
 * logit over the group's cells. The logit is linear in the cell embedding, so
 * this equals peak·mean(cell embedding) + mean depth term exactly, and one
 * forward pass serves the whole group. Inference mode (BN moving statistics,
 * no dropout). Caller disposes the returned `dispose`.
 */
export async function xchromGroupLogit(
  model: XChromModel,
  cellInputs: Float32Array,
  depth: Float32Array,
  cells: ArrayLike<number>,
): Promise<{ f: ScalarModel; dispose: () => void }> {
  const heads = await xchromGroupLogits(model, cellInputs, depth, [cells]);
  return { f: heads.scalar(0), dispose: heads.dispose };
}

/**
 * `xchromGroupLogit` for K groups at once: `f` maps a one-hot batch to [B, K]
 * mean logits (one peak-embedding pass serves every group, which is what makes
 * ISM of several cell types cost one), `scalar(g)` is group g's head alone.
 */
export async function xchromGroupLogits(
  model: XChromModel,
  cellInputs: Float32Array,
  depth: Float32Array,
  groups: readonly ArrayLike<number>[],
): Promise<{ f: MultiOutputModel; scalar: (g: number) => ScalarModel; dispose: () => void }> {
  const E = model.config.embeddingDim;
  const D = model.config.cellInputDim;
  const K = groups.length;
  const emb = await computeCellEmbeddings(model, cellInputs);
  const mean = new Float32Array(K * E);
  const meanDepth = new Float32Array(K);
  groups.forEach((cells, g) => {
    if (cells.length === 0) {
      throw new ChromflowError('VALUE', 'the cell group is empty', {
        expected: 'at least one cell',
        found: '0',
      });
    }
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i] as number;
      if (!(c >= 0 && c < cellInputs.length / D)) {
        throw new ChromflowError('VALUE', 'cell index out of range', {
          expected: `0 … ${cellInputs.length / D - 1}`,
          found: String(c),
        });
      }
      for (let k = 0; k < E; k++) mean[g * E + k]! += (emb[c * E + k] as number) / cells.length;
      meanDepth[g]! += (depth[c] as number) / cells.length;
    }
  });
  const cellT = tf.tensor2d(mean, [K, E]);
  const depthT = tf.tensor1d(meanDepth);
  const f: MultiOutputModel = (onehot) =>
    tf.tidy(() => model.logits(model.peakEmbedding(onehot, false), cellT, depthT));
  const scalar =
    (g: number): ScalarModel =>
    (onehot) =>
      tf.tidy(() =>
        tf.reshape<tf.Rank.R1>(
          model.logits(
            model.peakEmbedding(onehot, false),
            tf.slice(cellT, [g, 0], [1, E]),
            tf.slice(depthT, [g], [1]),
          ),
          [-1],
        ),
      );
  return {
    f,
    scalar,
    dispose: () => {
      cellT.dispose();
      depthT.dispose();
    },
  };
}
