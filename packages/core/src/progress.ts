/**
 * Progress of long work, reported as (done, total) in the work's own unit
 * (bytes read, sequences scored, epochs …): starts at (0, total), ends at
 * (total, total). `total` is undefined where it cannot be known up front.
 */
export type ProgressCallback = (done: number, total: number | undefined, message?: string) => void;

/** Options shared by every long-running function. */
export interface LongRunOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}
