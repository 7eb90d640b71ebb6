// Worker-thread entry of `readFragmentsThreaded`: runs genome-io's
// `readFragments` (inflate + parse) off the main thread and posts each batch
// with its arrays transferred (no copy) plus the dictionary names that are new
// since the previous batch. At most `maxAhead` batches are unacknowledged.
// Not exported from the package index: it only runs as a worker.
import { parentPort, workerData } from 'node:worker_threads';
import { ChromflowError } from '@chromflow/core';
import {
  fragmentBatchColumns,
  fragmentBatchFromColumns,
  readFragments,
  type FragmentBatch,
} from '@chromflow/genome-io';
import type { AckMessage, WorkerMessage, WorkerRequest } from './fragment-reader-protocol.js';

const port = parentPort;
const request = workerData as WorkerRequest | undefined;

async function run(req: WorkerRequest, post: (m: WorkerMessage, t?: ArrayBuffer[]) => void) {
  let acked = 0;
  let sent = 0;
  let wake: (() => void) | undefined;
  // Arrays of consumed batches, sent back with the acknowledgement, are refilled.
  const pool: FragmentBatch[] = [];
  port!.on('message', (m: AckMessage) => {
    acked++;
    if (m.columns) pool.push(fragmentBatchFromColumns(m.columns, [], []));
    wake?.();
    wake = undefined;
  });
  try {
    let nChroms = 0;
    let nBarcodes = 0;
    for await (const b of readFragments(req.path, {
      batchSize: req.batchSize,
      batchPool: pool,
      onProgress: (done, total) => post({ type: 'progress', done, total }),
    })) {
      const columns = fragmentBatchColumns(b);
      post(
        {
          type: 'batch',
          newChromNames: b.chromNames.slice(nChroms),
          newBarcodes: b.barcodes.slice(nBarcodes),
          columns,
          length: b.length,
        },
        columns.map((a) => a.buffer as ArrayBuffer),
      );
      nChroms = b.chromNames.length;
      nBarcodes = b.barcodes.length;
      sent++;
      while (sent - acked >= req.maxAhead) await new Promise<void>((r) => (wake = r));
    }
    post({ type: 'end' });
  } catch (e) {
    const err =
      e instanceof ChromflowError
        ? e
        : new ChromflowError('IO', 'reading the fragments file failed', {
            path: req.path,
            found: e instanceof Error ? e.message : String(e),
          });
    const { path, line, column, field, stage, source, expected, found, hint } = err;
    post({
      type: 'error',
      code: err.code,
      message: err.message,
      init: { path, line, column, field, stage, source, expected, found, hint },
    });
  }
}

if (port && request?.kind === 'chromflow-fragment-reader') {
  void run(request, (m, t) => port.postMessage(m, t ?? []));
}
