import { UndirectedGraph } from 'graphology';
import louvainModule from 'graphology-communities-louvain';
import { SeededRandom } from '@chromflow/core';
import { nearestNeighbours, snnGraph, type WeightedEdges } from './knn-graph.js';

/**
 * Graph clustering of cells, as Seurat's `FindNeighbors` + `FindClusters`:
 * exact kNN in the embedding → SNN graph (Jaccard, pruned at 1/15) → Louvain
 * modularity optimisation (graphology-communities-louvain) at a resolution.
 * Deterministic for a seed: the kNN is exact and Louvain's node order comes
 * from a seeded xoshiro128** generator.
 */

export interface ClusterCellsOptions {
  /** Neighbours per cell (default 20, Seurat's k.param). */
  k?: number;
  /** Louvain resolution: higher gives more, smaller clusters (default 1). */
  resolution?: number;
  /** Seed of Louvain's random node order (default 0). */
  seed?: number;
  /** SNN edges under this Jaccard weight are dropped (default 1/15). */
  prune?: number;
}

export interface CellClusters {
  /** Cluster of each cell, 0-based; cluster 0 is the largest (ties: the one whose first cell comes first). */
  clusters: Int32Array;
  nClusters: number;
  /** Modularity of the partition at the resolution used (Louvain's own figure). */
  modularity: number;
  /** Edges of the SNN graph. */
  nEdges: number;
}

// The package is CommonJS (`module.exports = louvain`) but its types say
// `export default`; under NodeNext the default import is module.exports itself.
const louvain = louvainModule as unknown as typeof louvainModule.default;

/** Louvain on a weighted undirected edge list; clusters renumbered by size. */
export function louvainClusters(
  edges: WeightedEdges,
  options: { resolution?: number; seed?: number } = {},
): Omit<CellClusters, 'nEdges'> {
  const g = new UndirectedGraph({ multi: false, allowSelfLoops: false });
  for (let i = 0; i < edges.n; i++) g.addNode(String(i));
  for (let e = 0; e < edges.from.length; e++) {
    g.addEdge(String(edges.from[e]), String(edges.to[e]), { weight: edges.weights[e]! });
  }
  const random = new SeededRandom(options.seed ?? 0);
  const out = louvain.detailed(g, {
    getEdgeWeight: 'weight',
    resolution: options.resolution ?? 1,
    rng: () => random.uniform(),
  });
  const raw = Int32Array.from({ length: edges.n }, (_, i) => out.communities[String(i)]!);
  return { ...renumberBySize(raw), modularity: out.modularity };
}

/** Renumbers cluster ids 0… by decreasing size (ties: first appearance). */
export function renumberBySize(raw: Int32Array): { clusters: Int32Array; nClusters: number } {
  const size = new Map<number, number>();
  const first = new Map<number, number>();
  raw.forEach((c, i) => {
    size.set(c, (size.get(c) ?? 0) + 1);
    if (!first.has(c)) first.set(c, i);
  });
  const order = [...size.keys()].sort(
    (a, b) => size.get(b)! - size.get(a)! || first.get(a)! - first.get(b)!,
  );
  const rank = new Map(order.map((c, r) => [c, r]));
  return { clusters: raw.map((c) => rank.get(c)!), nClusters: order.length };
}

/** Clusters the rows of a row-major n × d embedding (see the module comment). */
export function clusterCells(
  values: Float64Array,
  n: number,
  d: number,
  options: ClusterCellsOptions = {},
): CellClusters {
  const knn = nearestNeighbours(values, n, d, options.k ?? 20);
  const edges = snnGraph(knn, { prune: options.prune });
  return { ...louvainClusters(edges, options), nEdges: edges.from.length };
}

/** Cluster names as written to label tables: cluster 0 → `C1`, 1 → `C2`, … */
export function clusterNames(clusters: Int32Array): string[] {
  return Array.from(clusters, (c) => `C${c + 1}`);
}
