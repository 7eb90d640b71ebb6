import { throwIfAborted, type LongRunOptions } from '@chromflow/core';
import type { FragmentColumns } from './fragment-batch.js';
import { readFragmentsThreaded } from './read-fragments-threaded.js';

/**
 * Anything that takes fragment batches: `RegionCounter`, `CellQcCounter`,
 * `TileCounter`, `CoverageCounter`. A batch's arrays are reused for a later
 * batch once `addBatch` returns: copy what you keep.
 */
export interface FragmentConsumer {
  addBatch(batch: FragmentColumns): void;
}

export interface ScanFragmentsOptions extends LongRunOptions {
  /** Fragments per batch handed to the consumers. Default 65,536. */
  batchSize?: number;
  /**
   * Decompress and parse in a worker thread while the consumers run on this
   * one: `true`, `false` or `'auto'` (default: files of 16 MiB and more).
   */
  thread?: boolean | 'auto';
  /** When no worker can start: read on this thread (default true), or throw BACKEND. */
  fallback?: boolean;
}

/**
 * Streams a 10x fragments file (plain, gzip or bgzip; sorted by chromosome
 * and start, as `@chromflow/genome-io`'s `readFragments` requires) once and
 * feeds every batch to each consumer, so counts, QC and coverage share one
 * pass. Returns the number of fragments read.
 */
export async function scanFragments(
  path: string,
  consumers: readonly FragmentConsumer[],
  options: ScanFragmentsOptions = {},
): Promise<number> {
  let n = 0;
  for await (const batch of readFragmentsThreaded(path, {
    signal: options.signal,
    onProgress: options.onProgress,
    batchSize: options.batchSize,
    thread: options.thread,
    fallback: options.fallback,
    // Consumers copy what they keep out of each batch in addBatch.
    reuseBatches: true,
  })) {
    throwIfAborted(options.signal);
    for (const c of consumers) c.addBatch(batch);
    n += batch.length;
  }
  return n;
}
