import type { BackendChoice } from '../backend/init-backend.js';
import type { HostUpdateRule } from '../train/host-update.js';
import type { SharedTrainingMemory } from './shared-memory.js';
import type { HostBatch } from '../train/trainable.js';

/** Messages between the training engine and its worker threads. */

export interface WorkerInit {
  /** Module URL or absolute path exporting the Trainable factory. */
  module: string;
  factory: string;
  config: unknown;
  seed: number;
  backend: BackendChoice;
  /**
   * The regions shared with the engine and the other workers (src/parallel/shared-memory.ts):
   * `weights` written by the engine (or stepped by the workers) and read by every worker
   * before a step, this worker's gradient slot `index` (its shard gradient × `scale`), the
   * summed gradient and the moments; and the barrier the workers meet at before reducing.
   */
  shared: SharedTrainingMemory;
  index: number;
  barrier: SharedArrayBuffer;
}

export type ToWorker =
  | {
      kind: 'step';
      id: number;
      /** Shard weight (its examples / the batch's): gradients are written pre-multiplied. */
      scale: number;
      /** Workers taking part in this step (slots 0 … participants − 1 are summed). */
      participants: number;
      state: Float32Array[];
      batch: HostBatch;
      /** When set, after reducing its range each worker steps it: weights and moments in place. */
      update?: HostUpdateRule;
    }
  | {
      kind: 'predict';
      id: number;
      /** False when the shared weights and `state` are those of the previous request. */
      sync: boolean;
      state: Float32Array[];
      batch: HostBatch;
    }
  | { kind: 'close' };

export type FromWorker =
  | {
      kind: 'ready';
      trainableSizes: number[];
      stateSizes: number[];
      backend: string;
      /** Whether the optimizer step and slot sums run as wasm-SIMD on the shared memory. */
      simdStep: boolean;
    }
  | {
      kind: 'result';
      id: number;
      loss: number;
      /** Gradients are in the worker's shared `grads` slot. */
      state: Float32Array[];
      examples: number;
    }
  | { kind: 'prediction'; id: number; values: Float32Array; shape: number[] }
  | { kind: 'error'; id: number; message: string; stack?: string };
