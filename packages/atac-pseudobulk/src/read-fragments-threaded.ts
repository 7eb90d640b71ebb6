import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ChromflowError, throwIfAborted, type LongRunOptions } from '@chromflow/core';
import { fragmentBatchFromColumns, readFragments, type FragmentBatch } from '@chromflow/genome-io';
import type { AckMessage, WorkerMessage, WorkerRequest } from './fragment-reader-protocol.js';

export interface ReadFragmentsThreadedOptions extends LongRunOptions {
  /** Fragments per batch (default 65,536). */
  batchSize?: number;
  /**
   * Read in a worker thread: `true`, `false`, or `'auto'` (default: when the
   * file is at least 16 MiB; a worker costs ~0.1 s to start).
   */
  thread?: boolean | 'auto';
  /** When no worker can start: read on this thread (default true), or throw BACKEND. */
  fallback?: boolean;
  /**
   * The consumer is done with each batch when it asks for the next one
   * (default false): its arrays are then reused for a later batch.
   */
  reuseBatches?: boolean;
}

/** Files from this size on are read in a worker under `thread: 'auto'`. */
const AUTO_THREAD_BYTES = 16 << 20;

/**
 * How to start the worker beside this module: its `.js` file when running
 * built or bundled code; when running the TypeScript source, a one-line ESM
 * worker that loads the `.ts` file through tsx's `tsImport` (Node 20 does not
 * apply `--import` loader hooks to a worker's entry file).
 */
function workerScript(): { source: string; eval: boolean } | undefined {
  const here = import.meta.url;
  if (!here.startsWith('file:')) return undefined;
  if (here.endsWith('.ts')) {
    let api: string;
    try {
      // The ESM build of tsx's API (require.resolve would give its CommonJS one).
      const pkg = createRequire(here).resolve('tsx/package.json');
      api = pathToFileURL(join(dirname(pkg), 'dist/esm/api/index.mjs')).href;
    } catch {
      return undefined;
    }
    const file = new URL('./fragment-reader-worker.ts', here).href;
    const source =
      `import(${JSON.stringify(api)}).then(({ tsImport }) => ` +
      `tsImport(${JSON.stringify(file)}, ${JSON.stringify(here)}))`;
    return { source, eval: true };
  }
  const file = fileURLToPath(new URL('./fragment-reader-worker.js', here));
  return existsSync(file) ? { source: file, eval: false } : undefined;
}

/**
 * `readFragments` (sorted check, errors and batches the same) with the
 * decompression and parsing in a worker thread, so that a consumer on the
 * main thread (a counter) runs in parallel with them. Batch arrays come
 * transferred from the worker, and the dictionaries (`chromNames`,
 * `barcodes`) are shared and growing as `readFragments`'. Falls back to
 * `readFragments` on this thread when no worker can be started (e.g. under a
 * test runner that transpiles in-process).
 */
export async function* readFragmentsThreaded(
  path: string,
  options: ReadFragmentsThreadedOptions = {},
): AsyncGenerator<FragmentBatch> {
  const mode = options.thread ?? 'auto';
  const big = mode === 'auto' && existsSync(path) && statSync(path).size >= AUTO_THREAD_BYTES;
  const script = mode === true || big ? workerScript() : undefined;
  if (!script && mode === true && options.fallback === false) {
    throw new ChromflowError('BACKEND', 'no fragments reader worker script beside this module', {
      path,
      hint: 'run the built package, or the source through tsx',
    });
  }
  const inThread = () =>
    readFragments(path, {
      batchSize: options.batchSize,
      signal: options.signal,
      onProgress: options.onProgress,
      reuseBatches: options.reuseBatches ?? false,
    });
  if (!script) {
    yield* inThread();
    return;
  }
  const request: WorkerRequest = {
    kind: 'chromflow-fragment-reader',
    path,
    batchSize: options.batchSize,
    maxAhead: 3,
  };
  const worker = new Worker(script.source, {
    eval: script.eval,
    workerData: request,
    // The source's package imports resolve to TypeScript under this condition.
    execArgv: script.eval ? ['--conditions=@chromflow/source'] : [],
  });
  const inbox: (WorkerMessage | { type: 'failed'; error: unknown })[] = [];
  let wake: (() => void) | undefined;
  const deliver = (m: WorkerMessage | { type: 'failed'; error: unknown }): void => {
    inbox.push(m);
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: WorkerMessage) => deliver(m));
  worker.on('error', (error) => deliver({ type: 'failed', error }));
  worker.on('exit', (code) =>
    deliver({ type: 'failed', error: new Error(`worker exited (${code})`) }),
  );
  const chromNames: string[] = [];
  const barcodes: string[] = [];
  let batches = 0;
  try {
    for (;;) {
      throwIfAborted(options.signal);
      while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
      const m = inbox.shift()!;
      if (m.type === 'batch') {
        for (const c of m.newChromNames) chromNames.push(c);
        for (const b of m.newBarcodes) barcodes.push(b);
        batches++;
        const batch = fragmentBatchFromColumns(m.columns, chromNames, barcodes, m.length);
        yield batch;
        if (options.reuseBatches && batch.length === batch.starts.length) {
          // The consumer is done with this batch: its columns go back to be refilled.
          const ack: AckMessage = { type: 'ack', columns: m.columns };
          worker.postMessage(
            ack,
            m.columns.map((a) => a.buffer as ArrayBuffer),
          );
        } else worker.postMessage({ type: 'ack' } satisfies AckMessage);
      } else if (m.type === 'progress') {
        options.onProgress?.(m.done, m.total);
      } else if (m.type === 'end') {
        return;
      } else if (m.type === 'error') {
        throw new ChromflowError(m.code, m.message, m.init);
      } else if (batches === 0 && options.fallback !== false) {
        // The worker could not start (no loader for its script here): read on this thread.
        yield* inThread();
        return;
      } else if (batches === 0) {
        throw new ChromflowError('BACKEND', 'cannot start the fragments reader thread', {
          path,
          found: m.error instanceof Error ? m.error.message : String(m.error),
          hint: 'run the built package, or the source through tsx',
        });
      } else {
        throw new ChromflowError('IO', 'the fragments reader thread stopped', {
          path,
          found: m.error instanceof Error ? m.error.message : String(m.error),
        });
      }
    }
  } finally {
    await worker.terminate();
  }
}
