import type { BackendChoice } from '../backend/init-backend.js';
import type { HostUpdateRule } from '../train/host-update.js';
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
   * Shared memory (float32, the trainable variables concatenated in order):
   * `weights` written by the engine before each step, read by every worker;
   * `grads` this worker's slot, written with its shard gradients × `scale`.
   */
  shared: { weights: SharedArrayBuffer; grads: SharedArrayBuffer };
  /**
   * The gradient reduction the workers do among themselves (src/parallel/reduce.ts): every
   * worker's `grads` slot in worker order, the `sum` they write, and the barrier they meet at.
   */
  reduce: {
    index: number;
    slots: SharedArrayBuffer[];
    sum: SharedArrayBuffer;
    barrier: SharedArrayBuffer;
  };
  /**
   * The optimizer's moments (float32, laid out as `weights`), stepped in place by the workers
   * together with `weights` when a step carries an `update` (docs/adr/0004-…).
   */
  moments: { m: SharedArrayBuffer; v: SharedArrayBuffer };
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
  | { kind: 'ready'; trainableSizes: number[]; stateSizes: number[]; backend: string }
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
