import { ChromflowError, requireColumns, requireEncoding, withEncoding } from '@chromflow/core';
import { Bool, Float32, Int32, Table, Utf8, makeVector, vectorFromArray } from 'apache-arrow';
import type { Vector } from 'apache-arrow';
import { int32sOf, stringsOf } from '@chromflow/genome-io';
import type { GetInputs } from './inputs.js';

/**
 * GET inputs on disk: three tables a user can open in pandas/polars/R
 * (schemas as MUST/MAY bullets in the package README). Rows of `get-features`
 * are the regions in genomic order; a window is `size` consecutive rows.
 */

export const GET_WINDOWS_ENCODING = 'get-windows';
export const GET_FEATURES_ENCODING = 'get-features';
export const GET_LABELS_ENCODING = 'get-labels';
export const GET_ENCODING_VERSION = '1';
/** Feature-table metadata: motif-cluster column names in order (JSON array). */
export const GET_CLUSTERS_KEY = 'chromflow.get.clusters';
/** Feature-table metadata: cell types in order (JSON array); column `accessibility:<type>` each. */
export const GET_CELL_TYPES_KEY = 'chromflow.get.cell-types';
/** Feature-table metadata: where each type's accessibility came from (JSON object type → 'atac' | 'xchrom'). */
export const GET_ACCESSIBILITY_SOURCE_KEY = 'chromflow.get.accessibility-source';
/** Feature-table metadata: 'binary' or 'quantitative'. */
export const GET_ACCESSIBILITY_MODE_KEY = 'chromflow.get.accessibility-mode';
/** Windows-table metadata: regions per window. */
export const GET_WINDOW_SIZE_KEY = 'chromflow.get.window-size';

export const ACCESSIBILITY_PREFIX = 'accessibility:';

const i32 = (x: Int32Array): Vector => makeVector({ type: new Int32(), data: x });
const f32 = (x: Float32Array): Vector => makeVector({ type: new Float32(), data: x });
const utf8 = (x: readonly string[]): Vector => vectorFromArray([...x], new Utf8());
const bool = (x: ArrayLike<number>): Vector =>
  vectorFromArray(
    Array.from(x, (v) => v === 1),
    new Bool(),
  );

/** `get-windows`: window, chrom, first (row of get-features), n_regions, start, end (bp, 0-based half-open). */
export function getWindowsToTable(inputs: GetInputs): Table {
  const { windows, regions } = inputs;
  const n = windows.firsts.length;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  for (let w = 0; w < n; w++) {
    const f = windows.firsts[w]!;
    starts[w] = regions.starts[windows.order[f]!]!;
    let e = 0;
    for (let k = f; k < f + windows.size; k++) e = Math.max(e, regions.ends[windows.order[k]!]!);
    ends[w] = e;
  }
  const t = withEncoding(
    new Table({
      window: i32(Int32Array.from({ length: n }, (_, i) => i)),
      chrom: utf8(windows.chroms),
      first: i32(windows.firsts),
      n_regions: i32(new Int32Array(n).fill(windows.size)),
      start: i32(starts),
      end: i32(ends),
    }),
    GET_WINDOWS_ENCODING,
    GET_ENCODING_VERSION,
  );
  t.schema.metadata.set(GET_WINDOW_SIZE_KEY, String(windows.size));
  return t;
}

/**
 * `get-features`: one row per region in genomic order: `region` (row of the
 * regions input), chrom, start, end, name, one float32 column per motif
 * cluster, then `accessibility:<cell type>` per cell type.
 */
export function getFeaturesToTable(inputs: GetInputs): Table {
  const { windows, regions, motif, accessibility, cellTypes } = inputs;
  const order = windows.order;
  const nc = motif.clusters.length;
  for (const c of motif.clusters) {
    if (
      ['region', 'chrom', 'start', 'end', 'name'].includes(c) ||
      c.startsWith(ACCESSIBILITY_PREFIX)
    ) {
      throw new ChromflowError('VALUE', `motif cluster '${c}' has a reserved column name`, {
        field: c,
        hint: 'rename the cluster in the cluster table',
      });
    }
  }
  const cols: Record<string, Vector> = {
    region: i32(order),
    chrom: utf8(Array.from(order, (r) => regions.chromNames[regions.chromIds[r]!]!)),
    start: i32(Int32Array.from(order, (r) => regions.starts[r]!)),
    end: i32(Int32Array.from(order, (r) => regions.ends[r]!)),
    name: utf8(Array.from(order, (r) => regions.names[r]!)),
  };
  motif.clusters.forEach((c, j) => {
    cols[c] = f32(Float32Array.from(order, (r) => motif.values[r * nc + j]!));
  });
  cellTypes.forEach((type, t) => {
    cols[ACCESSIBILITY_PREFIX + type] = f32(
      Float32Array.from(order, (r) => accessibility[t * regions.length + r]!),
    );
  });
  const table = withEncoding(new Table(cols), GET_FEATURES_ENCODING, GET_ENCODING_VERSION);
  table.schema.metadata.set(GET_CLUSTERS_KEY, JSON.stringify(motif.clusters));
  table.schema.metadata.set(GET_CELL_TYPES_KEY, JSON.stringify(cellTypes));
  table.schema.metadata.set(
    GET_ACCESSIBILITY_SOURCE_KEY,
    JSON.stringify(Object.fromEntries(cellTypes.map((t, i) => [t, inputs.accessibilitySource[i]]))),
  );
  table.schema.metadata.set(GET_ACCESSIBILITY_MODE_KEY, inputs.accessibilityMode);
  return table;
}

/**
 * `get-labels`: one row per cell type × region (genomic order within each
 * type): cell_type, row (row of get-features), expression_plus/minus
 * (float32), tss_plus/minus (bool: GET's TSS mask), genes_plus/minus (the
 * genes behind each label, comma-separated).
 */
export function getLabelsToTable(inputs: GetInputs): Table {
  const { windows, labels, cellTypes } = inputs;
  const order = windows.order;
  const n = order.length;
  const total = cellTypes.length * n;
  const type: string[] = new Array<string>(total);
  const row = new Int32Array(total);
  const plus = new Float32Array(total);
  const minus = new Float32Array(total);
  const tssPlus = new Uint8Array(total);
  const tssMinus = new Uint8Array(total);
  const genesPlus: string[] = new Array<string>(total);
  const genesMinus: string[] = new Array<string>(total);
  for (let t = 0; t < cellTypes.length; t++) {
    for (let k = 0; k < n; k++) {
      const r = order[k]!;
      const i = t * n + k;
      type[i] = cellTypes[t]!;
      row[i] = k;
      plus[i] = labels.values[(t * n + r) * 2]!;
      minus[i] = labels.values[(t * n + r) * 2 + 1]!;
      tssPlus[i] = labels.tssMask[r * 2]!;
      tssMinus[i] = labels.tssMask[r * 2 + 1]!;
      genesPlus[i] = labels.genes[r * 2]!;
      genesMinus[i] = labels.genes[r * 2 + 1]!;
    }
  }
  return withEncoding(
    new Table({
      cell_type: utf8(type),
      row: i32(row),
      expression_plus: f32(plus),
      expression_minus: f32(minus),
      tss_plus: bool(tssPlus),
      tss_minus: bool(tssMinus),
      genes_plus: utf8(genesPlus),
      genes_minus: utf8(genesMinus),
    }),
    GET_LABELS_ENCODING,
    GET_ENCODING_VERSION,
  );
}

/** Dense GET inputs read back from the three tables (what a trainer needs). */
export interface GetArrays {
  clusters: string[];
  cellTypes: string[];
  nRegions: number;
  /** Regions (genomic order) × clusters. */
  motif: Float32Array;
  /** cellTypes × regions. */
  accessibility: Float32Array;
  /** cellTypes × regions × 2. */
  labels: Float32Array;
  /** regions × 2. */
  tssMask: Uint8Array;
  windowFirsts: Int32Array;
  windowSize: number;
  /** Region centres in bp (genomic order), from the features' start/end; absent in tables without them. */
  centres?: Float64Array;
}

function float32sOf(table: Table, name: string, path?: string): Float32Array {
  const col = table.getChild(name);
  if (!col)
    throw new ChromflowError('SCHEMA', `table has no column '${name}'`, { path, field: name });
  return Float32Array.from({ length: col.length }, (_, i) => Number(col.get(i)));
}

/** The opposite of the three writers above. */
export function getArraysFromTables(
  windows: Table,
  features: Table,
  labels: Table,
  paths: { windows?: string; features?: string; labels?: string } = {},
): GetArrays {
  requireEncoding(windows, GET_WINDOWS_ENCODING, paths.windows);
  requireEncoding(features, GET_FEATURES_ENCODING, paths.features);
  requireEncoding(labels, GET_LABELS_ENCODING, paths.labels);
  const clusters = JSON.parse(features.schema.metadata.get(GET_CLUSTERS_KEY) ?? '[]') as string[];
  const cellTypes = JSON.parse(
    features.schema.metadata.get(GET_CELL_TYPES_KEY) ?? '[]',
  ) as string[];
  requireColumns(
    features,
    [...clusters, ...cellTypes.map((t) => ACCESSIBILITY_PREFIX + t)],
    paths.features,
  );
  const n = features.numRows;
  const nc = clusters.length;
  const motif = new Float32Array(n * nc);
  clusters.forEach((c, j) => {
    const col = float32sOf(features, c, paths.features);
    for (let r = 0; r < n; r++) motif[r * nc + j] = col[r]!;
  });
  const accessibility = new Float32Array(cellTypes.length * n);
  cellTypes.forEach((t, i) =>
    accessibility.set(float32sOf(features, ACCESSIBILITY_PREFIX + t, paths.features), i * n),
  );
  requireColumns(
    labels,
    ['cell_type', 'row', 'expression_plus', 'expression_minus', 'tss_plus', 'tss_minus'],
    paths.labels,
  );
  const types = stringsOf(labels, 'cell_type', paths.labels);
  const rows = int32sOf(labels, 'row', paths.labels);
  const plus = float32sOf(labels, 'expression_plus', paths.labels);
  const minus = float32sOf(labels, 'expression_minus', paths.labels);
  const tp = labels.getChild('tss_plus')!;
  const tm = labels.getChild('tss_minus')!;
  const typeIndex = new Map(cellTypes.map((t, i) => [t, i]));
  const out = new Float32Array(cellTypes.length * n * 2);
  const tssMask = new Uint8Array(n * 2);
  for (let i = 0; i < types.length; i++) {
    const t = typeIndex.get(types[i]!);
    if (t === undefined) continue;
    const r = rows[i]!;
    out[(t * n + r) * 2] = plus[i]!;
    out[(t * n + r) * 2 + 1] = minus[i]!;
    if (tp.get(i) === true) tssMask[r * 2] = 1;
    if (tm.get(i) === true) tssMask[r * 2 + 1] = 1;
  }
  const starts = features.getChild('start');
  const ends = features.getChild('end');
  const centres =
    starts && ends
      ? Float64Array.from(
          { length: n },
          (_, i) => (Number(starts.get(i)) + Number(ends.get(i))) / 2,
        )
      : undefined;
  return {
    ...(centres ? { centres } : {}),
    clusters,
    cellTypes,
    nRegions: n,
    motif,
    accessibility,
    labels: out,
    tssMask,
    windowFirsts: int32sOf(windows, 'first', paths.windows),
    windowSize: Number(windows.schema.metadata.get(GET_WINDOW_SIZE_KEY) ?? 200),
  };
}

/** One sample: the window's `size × (clusters + 1)` input for a cell type (accessibility last), GET's layout. */
export function getWindowInput(a: GetArrays, cellType: number, window: number): Float32Array {
  const nc = a.clusters.length;
  const first = a.windowFirsts[window]!;
  const x = new Float32Array(a.windowSize * (nc + 1));
  for (let k = 0; k < a.windowSize; k++) {
    const r = first + k;
    x.set(a.motif.subarray(r * nc, (r + 1) * nc), k * (nc + 1));
    x[k * (nc + 1) + nc] = a.accessibility[cellType * a.nRegions + r]!;
  }
  return x;
}
