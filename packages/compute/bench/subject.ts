import type { OptimizerSpec } from '../src/train/fit.js';
import type { HostBatch, Trainable } from '../src/train/trainable.js';

/**
 * What a model's bench module (models' `bench/atacformer-bench.ts`, `bench/claster-bench.ts`,
 * imported by path: compute imports no model) gives the compute benchmark for one row:
 * the trainable to build, one batch, the optimizer its training uses, and its PyTorch twin.
 */
export interface BenchSubjectSpec {
  /** Module exporting `factory` (a `TrainableFactory`); the engine's workers import it too. */
  module: string;
  factory: string;
  config: unknown;
  batch: HostBatch;
  /** Samples in `batch`. */
  n: number;
  /**
   * The model has sparse tables (`Trainable.sparseTables`): one process, `fit`'s sparse
   * step; else the data-parallel engine (`shardedStep`, `predict`).
   */
  sparse?: boolean;
  optimizer: OptimizerSpec;
  /** Extra JSON fields of the row (a shape's tokens per sample, a note on a shortened context). */
  extra?: Record<string, number | string>;
  /**
   * The twin: `python script` reads `{mode: 'bench', threads, steps, warmup, ...request}` on
   * stdin and writes `{trainable, train, infer, torch}` (samples/s, medians of `steps` after
   * `warmup`).
   */
  twin: { script: string; request: (model: Trainable) => Record<string, unknown> };
}
