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

/**
 * The range worker `index` of `participants` reduces (and, with the optimizer in the workers,
 * steps): whole variables, cut at the variable boundaries nearest to an even split, since
 * per-variable clipping needs all of a variable's gradient. `offsets` are the variables'
 * start offsets followed by the total; `first`…`last` (exclusive) are its variables.
 */
export function variableRange(
  index: number,
  participants: number,
  offsets: readonly number[],
): { lo: number; hi: number; first: number; last: number } {
  const vars = offsets.length - 1;
  const total = offsets[vars] ?? 0;
  // The first variable at or after the boundary nearest to k·total/participants.
  const cut = (k: number): number => {
    if (k <= 0) return 0;
    if (k >= participants) return vars;
    const target = (k * total) / participants;
    let j = 0;
    while (j < vars && offsets[j + 1]! <= target) j++;
    // Boundary j (offsets[j] ≤ target < offsets[j + 1]): keep it or move to j + 1, whichever is nearer.
    return j < vars && offsets[j + 1]! - target < target - offsets[j]! ? j + 1 : j;
  };
  const first = cut(index);
  const last = Math.max(first, cut(index + 1));
  return { lo: offsets[first]!, hi: offsets[last]!, first, last };
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
