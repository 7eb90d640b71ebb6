import { ChromflowError } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';
import type { Motif } from './motif.js';
import { readTextLines } from './read-motifs.js';

/**
 * Motif → cluster tables, such as the Vierstra v1.0 clustering
 * (`clusters.0.70.txt`: `motifs<TAB>cluster`, 2,179 motifs → clusters 1…286),
 * and lists of cluster names (GET's 282 archetype names). The numeric
 * Vierstra ids and GET's names cannot be joined: the id → name table (the
 * Vierstra web annotation) is not in any public repository we could reach, so
 * the cluster order is a parameter and defaults to the numeric ids.
 */
export interface MotifClusterTable {
  /** Motif names as the table writes them, parallel to `clusters`. */
  motifs: string[];
  /** Cluster label of each motif (the Vierstra table's numbers as text, e.g. '284'). */
  clusters: string[];
}

/** How the columns of a region × cluster matrix are ordered. */
export type ClusterOrder = 'numeric' | 'first-seen' | readonly string[];

/**
 * Parses a motif → cluster table: tab- or space-separated, with a header that
 * names a `motif`/`motifs` and a `cluster` column (any position), or without a
 * header (motif first, cluster second). `#` lines and blank lines are skipped.
 */
export function motifClustersFromText(text: string, path?: string): MotifClusterTable {
  const motifs: string[] = [];
  const clusters: string[] = [];
  const seen = new Map<string, number>();
  let motifCol = 0;
  let clusterCol = 1;
  let first = true;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const cols = line.includes('\t') ? line.split('\t') : line.trim().split(/\s+/);
    if (first) {
      first = false;
      const lower = cols.map((c) => c.trim().toLowerCase());
      const m = lower.findIndex((c) => c === 'motif' || c === 'motifs');
      const c = lower.indexOf('cluster');
      if (m >= 0 && c >= 0) {
        motifCol = m;
        clusterCol = c;
        return;
      }
    }
    const motif = cols[motifCol]?.trim();
    const cluster = cols[clusterCol]?.trim();
    if (!motif || !cluster) {
      throw new ChromflowError(
        'PARSE',
        'a motif-cluster line lacks the motif or the cluster column',
        {
          path,
          line: i + 1,
          source: line,
          expected: 'motif<TAB>cluster',
          found: `${cols.length} column(s)`,
        },
      );
    }
    const before = seen.get(motif);
    if (before !== undefined && clusters[before] !== cluster) {
      throw new ChromflowError('VALUE', `motif '${motif}' is assigned to two clusters`, {
        path,
        line: i + 1,
        source: line,
        expected: `cluster ${clusters[before]} as before`,
        found: cluster,
      });
    }
    if (before !== undefined) return;
    seen.set(motif, motifs.length);
    motifs.push(motif);
    clusters.push(cluster);
  });
  if (motifs.length === 0) {
    throw new ChromflowError('EMPTY', 'the motif-cluster table has no rows', {
      path,
      expected: 'motif<TAB>cluster lines',
    });
  }
  return { motifs, clusters };
}

/** Reads a motif → cluster table file (plain or gzip); see `motifClustersFromText`. */
export async function readMotifClusters(
  path: string,
  options: LongRunOptions = {},
): Promise<MotifClusterTable> {
  const lines: string[] = [];
  for await (const line of readTextLines(path, options)) lines.push(line);
  return motifClustersFromText(lines.join('\n'), path);
}

/** Reads a list of cluster names, one per line (GET's `human_motif_cluster_id`), blank lines skipped. */
export async function readClusterNames(
  path: string,
  options: LongRunOptions = {},
): Promise<string[]> {
  const names: string[] = [];
  const seen = new Set<string>();
  let lineNo = 0;
  for await (const raw of readTextLines(path, options)) {
    lineNo++;
    const name = raw.trim();
    if (name === '') continue;
    if (seen.has(name)) {
      throw new ChromflowError('VALUE', `cluster name '${name}' is listed twice`, {
        path,
        line: lineNo,
        source: raw,
      });
    }
    seen.add(name);
    names.push(name);
  }
  if (names.length === 0)
    throw new ChromflowError('EMPTY', 'the cluster-name list is empty', { path });
  return names;
}

/**
 * Column labels in the requested order: `numeric` sorts the table's labels as
 * integers (every label must be one), `first-seen` keeps table order, and a
 * list is used as given; a list sharing no label with the table is an error
 * (this is what happens with GET's names against the numeric Vierstra table).
 */
export function clusterOrderFromTable(table: MotifClusterTable, order: ClusterOrder): string[] {
  const labels = [...new Set(table.clusters)];
  if (order === 'first-seen') return labels;
  if (order === 'numeric') {
    const bad = labels.find((l) => !/^-?\d+$/.test(l));
    if (bad !== undefined) {
      throw new ChromflowError(
        'PARAM',
        `cluster label '${bad}' is not a number, so clusters cannot be ordered numerically`,
        {
          field: 'clusterOrder',
          expected: 'integer cluster labels, or clusterOrder first-seen / an explicit list',
          found: bad,
        },
      );
    }
    return labels.sort((a, b) => Number(a) - Number(b));
  }
  const known = new Set(labels);
  if (!order.some((l) => known.has(l))) {
    throw new ChromflowError(
      'PARAM',
      'none of the requested cluster names appears in the motif-cluster table',
      {
        field: 'clusterNames',
        expected: `labels such as ${labels.slice(0, 3).join(', ')}`,
        found: order.slice(0, 3).join(', '),
        hint: "GET's archetype names (AP1/1, CTCF …) cannot be joined to the numeric Vierstra v1.0 clusters: the id → name table is not public. Use the numeric order, or a cluster table whose cluster column holds the names.",
      },
    );
  }
  return [...order];
}

/**
 * Names under which a motif may appear in a cluster table: its id, its alt
 * name, and the Vierstra JASPAR form `<alt>_<id>` (with `::` written `+`, as
 * in `Ahr+Arnt_MA0006.1`).
 */
export function motifClusterKeys(motif: Motif): string[] {
  const keys = [motif.id];
  if (motif.altName) {
    keys.push(
      `${motif.altName}_${motif.id}`,
      `${motif.altName.replace(/::/g, '+')}_${motif.id}`,
      motif.altName,
    );
  }
  return keys;
}

/**
 * Column of each motif in `order` (−1: the motif is not in the table, or its
 * cluster is not in the order), matching by `motifClusterKeys`, then by a
 * JASPAR matrix id suffix (`_MA0006.1`).
 */
export function motifClusterColumns(
  motifs: readonly Motif[],
  table: MotifClusterTable,
  order: readonly string[],
): Int32Array {
  const column = new Map(order.map((l, i) => [l, i]));
  const byName = new Map<string, string>();
  const byMatrixId = new Map<string, string>();
  table.motifs.forEach((m, i) => {
    byName.set(m, table.clusters[i]!);
    const id = /_(MA\d+\.\d+)$/.exec(m);
    if (id) byMatrixId.set(id[1]!, table.clusters[i]!);
  });
  return Int32Array.from(motifs, (motif) => {
    let cluster: string | undefined;
    for (const k of motifClusterKeys(motif)) {
      cluster = byName.get(k);
      if (cluster !== undefined) break;
    }
    cluster ??= byMatrixId.get(motif.id);
    return cluster === undefined ? -1 : (column.get(cluster) ?? -1);
  });
}
