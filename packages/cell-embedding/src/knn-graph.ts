import { ChromflowError } from '@chromflow/core';

/**
 * Exact k-nearest neighbours of cells in an embedding, and the shared-nearest-
 * neighbour (SNN) graph built from them (Seurat's `FindNeighbors`: Jaccard
 * overlap of the neighbourhoods, self included, edges under 1/15 pruned).
 * Cost is O(n² · d) time and O(n · k) memory: 10,000 cells × 30 dimensions is
 * 3·10⁹ multiply-adds, a few seconds.
 */

/** The k nearest other cells of each cell: row i's neighbours at `indices[i*k … i*k+k)`, nearest first. */
export interface Neighbours {
  n: number;
  k: number;
  indices: Int32Array;
  /** Euclidean distances, aligned with `indices`. */
  distances: Float64Array;
}

/**
 * Exact Euclidean kNN of the rows of `values` (row-major n × d), the cell
 * itself excluded; ties go to the lower row index, so the result is
 * deterministic. `k` is capped at n − 1.
 */
export function nearestNeighbours(
  values: Float64Array,
  n: number,
  d: number,
  k: number,
): Neighbours {
  if (values.length !== n * d) {
    throw new ChromflowError('VALUE', 'the embedding does not have n × d values', {
      expected: `${n} × ${d} = ${n * d}`,
      found: `${values.length}`,
    });
  }
  const kk = Math.max(0, Math.min(k, n - 1));
  const indices = new Int32Array(n * kk);
  const distances = new Float64Array(n * kk);
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += values[i * d + c]! ** 2;
    sq[i] = s;
  }
  // A max-heap of the k best so far, kept as parallel arrays (distance², index).
  const heapD = new Float64Array(kk);
  const heapI = new Int32Array(kk);
  const worse = (a: number, b: number): boolean =>
    heapD[a]! > heapD[b]! || (heapD[a] === heapD[b] && heapI[a]! > heapI[b]!);
  for (let i = 0; i < n; i++) {
    let size = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let dot = 0;
      for (let c = 0; c < d; c++) dot += values[i * d + c]! * values[j * d + c]!;
      const dist = Math.max(0, sq[i]! + sq[j]! - 2 * dot);
      if (size < kk) {
        let p = size++;
        heapD[p] = dist;
        heapI[p] = j;
        while (p > 0) {
          const parent = (p - 1) >> 1;
          if (!worse(p, parent)) break;
          swap(heapD, heapI, p, parent);
          p = parent;
        }
      } else if (kk > 0 && dist < heapD[0]!) {
        // j > every index already held, so an equal distance never replaces.
        heapD[0] = dist;
        heapI[0] = j;
        let p = 0;
        for (;;) {
          const l = 2 * p + 1;
          const r = l + 1;
          let m = p;
          if (l < kk && worse(l, m)) m = l;
          if (r < kk && worse(r, m)) m = r;
          if (m === p) break;
          swap(heapD, heapI, p, m);
          p = m;
        }
      }
    }
    const order = Array.from({ length: kk }, (_, t) => t).sort(
      (a, b) => heapD[a]! - heapD[b]! || heapI[a]! - heapI[b]!,
    );
    order.forEach((t, rank) => {
      indices[i * kk + rank] = heapI[t]!;
      distances[i * kk + rank] = Math.sqrt(heapD[t]!);
    });
  }
  return { n, k: kk, indices, distances };
}

function swap(d: Float64Array, idx: Int32Array, a: number, b: number): void {
  const td = d[a]!;
  d[a] = d[b]!;
  d[b] = td;
  const ti = idx[a]!;
  idx[a] = idx[b]!;
  idx[b] = ti;
}

/** An undirected weighted graph as an edge list (`from[e] < to[e]`, each pair once). */
export interface WeightedEdges {
  n: number;
  from: Int32Array;
  to: Int32Array;
  weights: Float64Array;
}

/**
 * Seurat's SNN graph: cells i and j are joined with weight
 * |N(i) ∩ N(j)| / |N(i) ∪ N(j)|, where N(x) is x's k nearest neighbours plus x
 * itself; weights under `prune` (Seurat's `prune.SNN`, default 1/15) are dropped.
 */
export function snnGraph(knn: Neighbours, options: { prune?: number } = {}): WeightedEdges {
  const prune = options.prune ?? 1 / 15;
  const { n, k } = knn;
  const size = k + 1;
  const hood = (i: number): Int32Array => {
    const h = new Int32Array(size);
    h[0] = i;
    h.set(knn.indices.subarray(i * k, i * k + k), 1);
    return h;
  };
  // Reverse index: for each cell m, the cells whose neighbourhood holds m.
  const counts = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) for (const m of hood(i)) counts[m + 1]!++;
  for (let m = 0; m < n; m++) counts[m + 1]! += counts[m]!;
  const holders = new Int32Array(n * size);
  const fill = counts.slice(0, n);
  for (let i = 0; i < n; i++) for (const m of hood(i)) holders[fill[m]!++] = i;
  const from: number[] = [];
  const to: number[] = [];
  const weights: number[] = [];
  const shared = new Int32Array(n);
  const touched: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const m of hood(i)) {
      for (let p = counts[m]!; p < counts[m + 1]!; p++) {
        const j = holders[p]!;
        if (j <= i) continue;
        if (shared[j] === 0) touched.push(j);
        shared[j]!++;
      }
    }
    touched.sort((a, b) => a - b);
    for (const j of touched) {
      const s = shared[j]!;
      const w = s / (2 * size - s);
      if (w >= prune) {
        from.push(i);
        to.push(j);
        weights.push(w);
      }
      shared[j] = 0;
    }
    touched.length = 0;
  }
  return {
    n,
    from: Int32Array.from(from),
    to: Int32Array.from(to),
    weights: Float64Array.from(weights),
  };
}
