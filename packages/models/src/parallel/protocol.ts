import type { BackendChoice } from '../backend/init-backend.js';
import type { HostBatch } from '../train/trainable.js';

/** Messages between the training engine and its worker threads. */

export interface WorkerInit {
  /** Module URL or absolute path exporting the Trainable factory. */
  module: string;
  factory: string;
  config: unknown;
  seed: number;
  backend: BackendChoice;
}

export type ToWorker =
  | { kind: 'step'; id: number; weights: Float32Array[]; state: Float32Array[]; batch: HostBatch }
  | { kind: 'close' };

export type FromWorker =
  | { kind: 'ready'; trainableSizes: number[]; stateSizes: number[]; backend: string }
  | {
      kind: 'result';
      id: number;
      loss: number;
      grads: Float32Array[];
      state: Float32Array[];
      examples: number;
    }
  | { kind: 'error'; id: number; message: string; stack?: string };
