/**
 * The data-parallel gradient reduction, done by the workers in shared memory: each worker
 * writes its pre-scaled shard gradient into its slot, all meet at a barrier, then worker i
 * sums range i of every slot into the shared `sum`, adding slots in worker order exactly as
 * the main thread used to (so the result is bit-identical to it). At the published GET size
 * (85 M parameters) the main thread's sum kept both workers idle for a few hundred ms a step.
 */

/** Barrier words: arrived count, generation, failure flag. */
export const barrierWords = 3;

/** Resets the barrier before a step (main thread, while no worker is inside it). */
export function resetBarrier(barrier: Int32Array): void {
  Atomics.store(barrier, 0, 0);
  Atomics.store(barrier, 2, 0);
}

/**
 * Waits until `participants` workers have arrived; `failed` marks that this worker has no
 * gradient (its step threw) so nobody reduces. Returns whether every worker succeeded.
 */
export function arriveAndWait(barrier: Int32Array, participants: number, failed: boolean): boolean {
  if (failed) Atomics.store(barrier, 2, 1);
  const generation = Atomics.load(barrier, 1);
  if (Atomics.add(barrier, 0, 1) === participants - 1) {
    Atomics.add(barrier, 1, 1);
    Atomics.notify(barrier, 1);
  } else {
    while (Atomics.load(barrier, 1) === generation) Atomics.wait(barrier, 1, generation, 1000);
  }
  return Atomics.load(barrier, 2) === 0;
}

/** The element range worker `index` of `participants` reduces. */
export function reduceRange(
  index: number,
  participants: number,
  total: number,
): { lo: number; hi: number } {
  return {
    lo: Math.floor((index * total) / participants),
    hi: Math.floor(((index + 1) * total) / participants),
  };
}

/** sum[lo, hi) = slot₀ + slot₁ + … in slot order, each addition rounded to float32. */
export function reduceSlots(
  slots: readonly Float32Array[],
  participants: number,
  sum: Float32Array,
  lo: number,
  hi: number,
): void {
  const first = slots[0];
  if (first === undefined) return;
  sum.set(first.subarray(lo, hi), lo);
  for (let k = 1; k < participants; k++) {
    const slot = slots[k]!;
    for (let i = lo; i < hi; i++) sum[i] = sum[i]! + slot[i]!;
  }
}
