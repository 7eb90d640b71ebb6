import { ChromflowError, requireColumns, requireEncoding, withEncoding } from '@chromflow/core';
import {
  DataType,
  Dictionary,
  Int32,
  Precision,
  Table,
  Utf8,
  makeData,
  makeVector,
  vectorFromArray,
} from 'apache-arrow';
import type { Vector } from 'apache-arrow';
import type { MotifHits } from './scan.js';

/**
 * Region × motif-cluster matrices (GET's region features) and the Arrow
 * tables `motif-hits` and `region-motif` (schemas in the package README).
 */

export const MOTIF_HITS_ENCODING = 'motif-hits';
export const REGION_MOTIF_ENCODING = 'region-motif';
export const ENCODING_VERSION = '1';
/** Schema-metadata key holding the cluster column order as a JSON array. */
export const CLUSTER_ORDER_KEY = 'chromflow.cluster-order';
/** Schema-metadata key holding the per-cluster maxima used to normalise, as a JSON array. */
export const COLUMN_MAX_KEY = 'chromflow.column-max';
/** Schema-metadata key holding the aggregation (`sum`, `max` or `count`). */
export const AGGREGATION_KEY = 'chromflow.aggregation';

/** How the hits of one region and one cluster become one number before normalisation. */
export type ClusterAggregation = 'sum' | 'max' | 'count';

/** A dense region × cluster matrix. */
export interface RegionMotifMatrix {
  nRegions: number;
  /** Column labels in order. */
  clusters: string[];
  /** Row-major `nRegions × clusters.length`, each in [0, 1]. */
  values: Float32Array;
  /** The per-column divisor used (the column maximum, or the one given). */
  columnMax: Float32Array;
  aggregation: ClusterAggregation;
}

export interface RegionMotifOptions {
  aggregation?: ClusterAggregation;
  /**
   * Divide each column by these instead of its own maximum (e.g. the maxima
   * of a training set, so new regions are on the same scale); values are
   * capped at 1 either way.
   */
  columnMax?: ArrayLike<number>;
}

/**
 * Aggregates hit scores per region and cluster (`sum` by default, as GET's
 * motif features do), then divides each column by its maximum over regions and
 * caps at 1. Hits whose motif has column −1 in `motifColumns` are left out;
 * negative aggregates become 0 (a sum of log-odds can only be negative if
 * a hit scored below 0, which p-value thresholds below ~0.01 exclude).
 */
export function makeRegionMotifMatrix(
  hits: MotifHits,
  nRegions: number,
  motifColumns: Int32Array,
  clusters: readonly string[],
  options: RegionMotifOptions = {},
): RegionMotifMatrix {
  const aggregation = options.aggregation ?? 'sum';
  const nc = clusters.length;
  const values = new Float32Array(nRegions * nc);
  const raw = new Float64Array(nRegions * nc);
  if (aggregation === 'max') raw.fill(-Infinity);
  for (let i = 0; i < hits.count; i++) {
    const r = hits.regions[i]!;
    const c = motifColumns[hits.motifs[i]!] ?? -1;
    if (c < 0) continue;
    if (r < 0 || r >= nRegions) {
      throw new ChromflowError(
        'VALUE',
        `a hit refers to region ${r}, but there are ${nRegions} regions`,
        { field: 'region' },
      );
    }
    const at = r * nc + c;
    if (aggregation === 'sum') raw[at]! += hits.scores[i]!;
    else if (aggregation === 'count') raw[at]! += 1;
    else raw[at] = Math.max(raw[at]!, hits.scores[i]!);
  }
  const divisor = new Float64Array(nc);
  if (options.columnMax !== undefined) {
    if (options.columnMax.length !== nc) {
      throw new ChromflowError('PARAM', 'columnMax must have one entry per cluster', {
        field: 'columnMax',
        expected: String(nc),
        found: String(options.columnMax.length),
      });
    }
    for (let c = 0; c < nc; c++) divisor[c] = options.columnMax[c]!;
  } else {
    for (let i = 0; i < raw.length; i++) {
      const c = i % nc;
      if (raw[i]! > divisor[c]!) divisor[c] = raw[i]!;
    }
  }
  for (let i = 0; i < raw.length; i++) {
    const m = divisor[i % nc]!;
    const v = raw[i]!;
    values[i] = m > 0 && v > 0 ? Math.min(1, v / m) : 0;
  }
  const columnMax = Float32Array.from(divisor);
  return { nRegions, clusters: [...clusters], values, columnMax, aggregation };
}

function dictionaryVector(
  indices: Int32Array,
  labels: readonly string[],
): Vector<Dictionary<Utf8, Int32>> {
  const dictionary = vectorFromArray(labels, new Utf8());
  const type = new Dictionary(new Utf8(), new Int32());
  return makeVector(
    makeData({ type, length: indices.length, nullCount: 0, data: indices, dictionary }),
  );
}

/**
 * `motif-hits` table: `region` int32, `motif` utf8 (dictionary), `start`/`end`
 * int32 (0-based half-open offsets inside the region's sequence), `strand`
 * utf8 (dictionary of '+', '-'), `score` float64, `p_value` float64.
 * `motifLabels[i]` names motif index i.
 */
export function motifHitsToTable(hits: MotifHits, motifLabels: readonly string[]): Table {
  const n = hits.count;
  const table = new Table({
    region: makeVector(hits.regions.subarray(0, n)),
    motif: dictionaryVector(hits.motifs.subarray(0, n), motifLabels),
    start: makeVector(hits.starts.subarray(0, n)),
    end: makeVector(hits.ends.subarray(0, n)),
    strand: dictionaryVector(Int32Array.from(hits.strands.subarray(0, n)), ['+', '-']),
    score: makeVector(hits.scores.subarray(0, n)),
    p_value: makeVector(hits.pValues.subarray(0, n)),
  });
  return withEncoding(table, MOTIF_HITS_ENCODING, ENCODING_VERSION);
}

/**
 * `region-motif` table: `region` int32 (row of the sequences/regions input),
 * `name` utf8 (the region's name), then one float32 column per cluster in the
 * matrix's order, named by the cluster label; metadata `chromflow.cluster-order`,
 * `chromflow.column-max` (JSON arrays) and `chromflow.aggregation`.
 */
export function regionMotifToTable(
  matrix: RegionMotifMatrix,
  regionNames?: readonly string[],
): Table {
  const { nRegions, clusters, values } = matrix;
  const nc = clusters.length;
  for (const reserved of ['region', 'name']) {
    if (clusters.includes(reserved)) {
      throw new ChromflowError(
        'VALUE',
        `a cluster is called '${reserved}', which is a reserved column of region-motif tables`,
        {
          field: reserved,
          hint: 'rename that cluster in the motif-cluster table',
        },
      );
    }
  }
  const columns: Record<string, Vector> = {
    region: makeVector(Int32Array.from({ length: nRegions }, (_, i) => i)),
    name: vectorFromArray(
      regionNames ? [...regionNames] : Array.from({ length: nRegions }, (_, i) => String(i)),
      new Utf8(),
    ),
  };
  for (let c = 0; c < nc; c++) {
    const col = new Float32Array(nRegions);
    for (let r = 0; r < nRegions; r++) col[r] = values[r * nc + c]!;
    columns[clusters[c]!] = makeVector(col);
  }
  const table = withEncoding(new Table(columns), REGION_MOTIF_ENCODING, ENCODING_VERSION);
  table.schema.metadata.set(CLUSTER_ORDER_KEY, JSON.stringify(clusters));
  table.schema.metadata.set(COLUMN_MAX_KEY, JSON.stringify(Array.from(matrix.columnMax)));
  table.schema.metadata.set(AGGREGATION_KEY, matrix.aggregation);
  return table;
}

/** Dense matrix back from a `region-motif` table; the opposite of `regionMotifToTable`. */
export function regionMotifFromTable(table: Table, path?: string): RegionMotifMatrix {
  requireEncoding(table, REGION_MOTIF_ENCODING, path);
  const orderText = table.schema.metadata.get(CLUSTER_ORDER_KEY);
  const clusters = orderText
    ? (JSON.parse(orderText) as string[])
    : table.schema.fields.map((f) => f.name).filter((n) => n !== 'region' && n !== 'name');
  requireColumns(table, ['region', ...clusters], path);
  const nRegions = table.numRows;
  const nc = clusters.length;
  const values = new Float32Array(nRegions * nc);
  clusters.forEach((c, j) => {
    const col = table.getChild(c)!;
    if (!(DataType.isFloat(col.type) && col.type.precision === Precision.SINGLE)) {
      throw new ChromflowError('SCHEMA', `cluster column '${c}' is not float32`, {
        path,
        field: c,
        expected: 'float32',
        found: String(col.type),
      });
    }
    const arr: ArrayLike<number> = col.toArray() as Float32Array;
    for (let r = 0; r < nRegions; r++) values[r * nc + j] = arr[r]!;
  });
  const maxText = table.schema.metadata.get(COLUMN_MAX_KEY);
  const columnMax = Float32Array.from(
    maxText ? (JSON.parse(maxText) as number[]) : new Array<number>(nc).fill(1),
  );
  const agg = table.schema.metadata.get(AGGREGATION_KEY);
  const aggregation: ClusterAggregation = agg === 'max' || agg === 'count' ? agg : 'sum';
  return { nRegions, clusters, values, columnMax, aggregation };
}
