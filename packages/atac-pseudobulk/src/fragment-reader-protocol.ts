import type { ChromflowErrorInit, ErrorCode } from '@chromflow/core';

/** What the main thread asks the fragment-reader worker (its `workerData`). */
export interface WorkerRequest {
  kind: 'chromflow-fragment-reader';
  path: string;
  batchSize?: number;
  /** Batches the worker may post ahead of the consumer's acknowledgements. */
  maxAhead: number;
}

/**
 * A batch as posted: its columns (in genome-io's `fragmentBatchColumns`
 * order: chromIds, 0-based starts, exclusive ends, barcodeIds, counts,
 * lineNumbers) transferred, and the dictionary names new since the previous batch.
 */
export interface BatchMessage {
  type: 'batch';
  newChromNames: string[];
  newBarcodes: string[];
  columns: Int32Array[];
  length: number;
}

/** Messages of the fragment-reader worker to the main thread. */
export type WorkerMessage =
  | BatchMessage
  | { type: 'progress'; done: number; total: number | undefined }
  | { type: 'end' }
  | { type: 'error'; code: ErrorCode; message: string; init: ChromflowErrorInit };

/** The main thread's acknowledgement of a batch, with its arrays given back when the consumer is done with them. */
export interface AckMessage {
  type: 'ack';
  /** The batch's columns, in `fragmentBatchColumns` order. */
  columns?: Int32Array[];
}
