import type { ChromflowErrorInit, ErrorCode } from '@chromflow/core';

/** What the main thread asks the fragment-reader worker (its `workerData`). */
export interface WorkerRequest {
  kind: 'chromflow-fragment-reader';
  path: string;
  batchSize?: number;
  /** Batches the worker may post ahead of the consumer's acknowledgements. */
  maxAhead: number;
}

/** A batch as posted: arrays transferred, dictionary names new since the previous batch. */
export interface BatchMessage {
  type: 'batch';
  newChromNames: string[];
  newBarcodes: string[];
  chromIds: Int32Array;
  /** 0-based fragment starts. */
  starts: Int32Array;
  /** Exclusive fragment ends. */
  ends: Int32Array;
  barcodeIds: Int32Array;
  counts: Int32Array;
  lineNumbers: Int32Array;
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
  /** chromIds, starts, ends, barcodeIds, counts, lineNumbers. */
  arrays?: Int32Array[];
}
