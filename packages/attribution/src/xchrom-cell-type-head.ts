import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError } from '@chromflow/core';
import { computeCellEmbeddings, type XChromModel } from '@chromflow/models';
import type { ScalarModel } from './gradient-times-input.js';

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
  const E = model.config.embeddingDim;
  const D = model.config.cellInputDim;
  if (cells.length === 0) {
    throw new ChromflowError('VALUE', 'the cell group is empty', {
      expected: 'at least one cell',
      found: '0',
    });
  }
  const emb = await computeCellEmbeddings(model, cellInputs);
  const mean = new Float32Array(E);
  let meanDepth = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i] as number;
    if (c < 0 || c >= cellInputs.length / D) {
      throw new ChromflowError('VALUE', 'cell index out of range', {
        expected: `0 … ${cellInputs.length / D - 1}`,
        found: String(c),
      });
    }
    for (let k = 0; k < E; k++) mean[k]! += (emb[c * E + k] as number) / cells.length;
    meanDepth += (depth[c] as number) / cells.length;
  }
  const cellT = tf.tensor2d(mean, [1, E]);
  const depthT = tf.tensor1d([meanDepth]);
  const f: ScalarModel = (onehot) =>
    tf.tidy(() =>
      tf.reshape<tf.Rank.R1>(model.logits(model.peakEmbedding(onehot, false), cellT, depthT), [-1]),
    );
  return {
    f,
    dispose: () => {
      cellT.dispose();
      depthT.dispose();
    },
  };
}
