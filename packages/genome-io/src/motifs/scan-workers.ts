import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ChromflowError, throwIfAborted } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';
import {
  KERNEL_BLOCK_BASES,
  checkSequenceBatch,
  hitsFromKernel,
  scanMotifsInThread,
} from './scan.js';
import type { MotifHits, MotifScanner, SequenceBatch } from './scan.js';
import { kmersFromCodes, scanKernel } from './scan-kernel.js';
import type { KernelHits } from './scan-kernel.js';

/**
 * Parallel scanning with worker_threads. Each worker takes a contiguous range
 * of motifs (balanced by total width) over all regions; the 5-mer codes and
 * the score tables sit in SharedArrayBuffers, so nothing large is copied. The worker runs the
 * kernel's own source text (`scanKernel.toString()`), which works the same
 * from TypeScript sources (tsx, vitest) and from the built JavaScript.
 */

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
var __name = (f) => f;
const scanKernel = (${scanKernel.toString()});
parentPort.on('message', (m) => {
  try {
    const k = scanKernel(m.kmers, m.offsets, m.plan, m.entryStart, m.entryEnd, m.tables, m.orders, m.needs, m.blockBases);
    parentPort.postMessage({ ok: true, k });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.stack || e) });
  }
});
`;

export interface ParallelScanOptions extends LongRunOptions {
  /** Worker threads; default min(2, available cores). 1 scans in this thread. */
  threads?: number;
}

/** Splits strand entries at motif boundaries into `parts` ranges of about equal total width. */
export function splitEntries(plan: Int32Array, parts: number): [number, number][] {
  const nEntries = plan.length / 8;
  let total = 0;
  for (let e = 0; e < nEntries; e++) total += plan[e * 8]!;
  const ranges: [number, number][] = [];
  let start = 0;
  let acc = 0;
  for (let e = 0; e < nEntries; e++) {
    acc += plan[e * 8]!;
    const motifEnds = e + 1 === nEntries || plan[(e + 1) * 8 + 3] !== plan[e * 8 + 3];
    if (motifEnds && acc >= (total * (ranges.length + 1)) / parts && ranges.length < parts - 1) {
      ranges.push([start, e + 1]);
      start = e + 1;
    }
  }
  if (start < nEntries) ranges.push([start, nEntries]);
  return ranges;
}

/** Merges per-motif-range results (each ordered by region, then motif) into one ordered by region, motif. */
export function mergeByRegion(parts: KernelHits[], nRegions: number): KernelHits {
  const count = parts.reduce((a, p) => a + p.count, 0);
  const out: KernelHits = {
    count,
    regions: new Int32Array(count),
    motifs: new Int32Array(count),
    starts: new Int32Array(count),
    strands: new Int32Array(count),
    intScores: new Int32Array(count),
  };
  const at = parts.map(() => 0);
  let n = 0;
  for (let r = 0; r < nRegions; r++) {
    parts.forEach((p, j) => {
      let i = at[j]!;
      while (i < p.count && p.regions[i] === r) {
        out.regions[n] = r;
        out.motifs[n] = p.motifs[i]!;
        out.starts[n] = p.starts[i]!;
        out.strands[n] = p.strands[i]!;
        out.intScores[n] = p.intScores[i]!;
        n++;
        i++;
      }
      at[j] = i;
    });
  }
  return out;
}

function runWorker(
  worker: Worker,
  message: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<KernelHits> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      void worker.terminate();
      reject(new ChromflowError('ABORTED', 'motif scan was cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (m: { ok: boolean; k?: KernelHits; error?: string }) => {
      signal?.removeEventListener('abort', onAbort);
      if (m.ok && m.k) resolve(m.k);
      else
        reject(
          new ChromflowError('STAGE', `a motif-scan worker failed: ${m.error ?? 'no result'}`),
        );
    });
    worker.once('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new ChromflowError('STAGE', `a motif-scan worker failed: ${e.message}`, { cause: e }));
    });
    worker.postMessage(message);
  });
}

/**
 * Scans every region with every motif, on `threads` worker threads (1: in
 * this thread). Same hits, in the same order, whatever the thread count.
 */
export async function scanMotifs(
  scanner: MotifScanner,
  batch: SequenceBatch,
  options: ParallelScanOptions = {},
): Promise<MotifHits> {
  checkSequenceBatch(batch);
  const threads = Math.max(1, Math.floor(options.threads ?? Math.min(2, availableParallelism())));
  const ranges = splitEntries(scanner.plan, threads);
  if (threads === 1 || ranges.length < 2) return scanMotifsInThread(scanner, batch, options);
  throwIfAborted(options.signal);
  const shared = new Uint16Array(new SharedArrayBuffer(batch.codes.length * 2));
  shared.set(kmersFromCodes(batch.codes, batch.offsets));
  const total = ranges.length;
  let done = 0;
  options.onProgress?.(0, total);
  const workers = ranges.map(() => new Worker(WORKER_SOURCE, { eval: true }));
  try {
    const parts = await Promise.all(
      ranges.map(async ([entryStart, entryEnd], j) => {
        const k = await runWorker(
          workers[j]!,
          {
            kmers: shared,
            blockBases: KERNEL_BLOCK_BASES,
            offsets: batch.offsets,
            plan: scanner.plan,
            entryStart,
            entryEnd,
            tables: scanner.tables,
            orders: scanner.orders,
            needs: scanner.needs,
          },
          options.signal,
        );
        options.onProgress?.(++done, total);
        return k;
      }),
    );
    return hitsFromKernel(scanner, mergeByRegion(parts, batch.offsets.length - 1));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
