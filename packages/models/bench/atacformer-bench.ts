import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@chromflow/core';
import type { AdamWOptions, HostBatch, Trainable, TrainableFactory } from '@chromflow/compute';
import type { BenchSubjectSpec } from '../../compute/bench/subject.js';
import { atacformerConfig, type AtacformerConfig } from '../src/atacformer/config.js';
import { AtacformerModel } from '../src/atacformer/model.js';

/**
 * The Atacformer rows of the compute benchmark (`packages/compute/bench/index.ts` imports
 * this module by path): the model `trainAtacformer` trains, on a random replaced-token batch
 * over a vocabulary the size of the Granja universe, and its PyTorch twin
 * (`test/twins/atacformer_twin.py`, mode `bench`). A sample is a cell of `tokens` tokens.
 * Atacformer trains in one process (its token table is sparse: `fit`'s sparse step, no
 * data-parallel engine), so chromflow runs on one thread here.
 */

/** The Granja universe's 10,000 regions + 7 special tokens. */
export const benchVocabulary = 10_007;

export const atacformerShapes = {
  'atacformer-small': { size: 'small', batch: 16, tokens: 512 },
  // The published context is 8,192; at 1 × 2,048 tokens tfjs-wasm's 4 GB heap overflows
  // (RuntimeError: memory access out of bounds: the [1, 8, T, T] attention and its gradients).
  'atacformer-published': { size: 'published', batch: 1, tokens: 1024 },
} as const;
export type AtacformerBenchShape = keyof typeof atacformerShapes;

/** AdamW as `trainAtacformer` (peak rate 1e-3 in its stage), SparseAdam at the same rate. */
const adamw: AdamWOptions = {
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0.01,
};

/** AtacformerModel with inference outputs: the replaced-token logits [B, T]. */
class AtacformerBenchModel extends AtacformerModel {
  predictBatch(batch: HostBatch): tf.Tensor {
    const { tokens, n, t } = batch as { tokens: Int32Array; n: number; t: number };
    return this.rtdLogits(this.encode(tokens, n, t));
  }
}

export const makeAtacformerBench: TrainableFactory = (config, seed) =>
  new AtacformerBenchModel(config as AtacformerConfig, seed);

export function atacformerSubject(shape: string): BenchSubjectSpec {
  const s = atacformerShapes[shape as AtacformerBenchShape];
  if (s === undefined) throw new Error(`unknown Atacformer bench shape '${shape}'`);
  const config = atacformerConfig(s.size, benchVocabulary, { contextLength: s.tokens });
  const rng = new SeededRandom(1);
  const total = s.batch * s.tokens;
  const batch: HostBatch = {
    tokens: Int32Array.from({ length: total }, () => rng.int(7, benchVocabulary)),
    labels: Float32Array.from({ length: total }, () =>
      rng.uniform() < config.replaceProbability ? 1 : 0,
    ),
    n: s.batch,
    t: s.tokens,
  };
  return {
    module: fileURLToPath(import.meta.url),
    factory: 'makeAtacformerBench',
    config,
    batch,
    n: s.batch,
    /** Single process: `fit`'s sparse-table step with SparseAdam at the AdamW rate. */
    sparse: true,
    optimizer: { kind: 'adamw', options: adamw },
    extra: {
      tokens_per_sample: s.tokens,
      ...(s.size === 'published'
        ? { note: 'context 1,024 tokens (published 8,192; 2,048 overflow the 4 GB wasm heap)' }
        : {}),
    },
    twin: {
      script: fileURLToPath(new URL('../test/twins/atacformer_twin.py', import.meta.url)),
      request: (_model: Trainable) => ({
        config,
        batch: s.batch,
        tokens: s.tokens,
        learningRate: adamw.learningRate,
        weightDecay: adamw.weightDecay,
      }),
    },
  };
}
