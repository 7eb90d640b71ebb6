import {
  Bool,
  Float32,
  Float64,
  Int32,
  Table,
  Utf8,
  makeVector,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import { ChromflowError, requireColumns, withEncoding } from '@chromflow/core';
import type { CellQc } from './cell-qc.js';
import type { LsiResult } from './lsi.js';
import type { PseudobulkCounts, PseudobulkScores } from './pseudobulk.js';

export const CELLS_ENCODING = 'cells';
export const PSEUDOBULK_ENCODING = 'pseudobulk';
export const LSI_ENCODING = 'lsi';
/** Schema-metadata key of a cells table's QC thresholds (a JSON object of the thresholds in force). */
export const QC_THRESHOLDS_KEY = 'chromflow.qc-thresholds';

const utf8 = (xs: readonly string[]): Vector => vectorFromArray(xs, new Utf8());
const int32 = (xs: Int32Array): Vector => makeVector({ type: new Int32(), data: xs });
const float64 = (xs: Float64Array): Vector => makeVector({ type: new Float64(), data: xs });

/** What a `cells` table holds; QC columns are written where given. */
export interface CellsTableInput {
  barcodes: readonly string[];
  labels?: readonly string[];
  /** Fragments per cell, written as `n_fragments` when `qc` is absent. */
  nFragments?: Int32Array;
  qc?: CellQc;
  passQc?: readonly boolean[];
  /** Why each cell failed QC (`;`-joined threshold names, `''` when it passed). */
  qcFail?: readonly string[];
}

/** A `cells` table: `barcode`, optional `label`, QC columns; opposite of `cellsFromTable`. */
export function cellsToTable(input: CellsTableInput): Table {
  const cols: Record<string, Vector> = { barcode: utf8(input.barcodes) };
  if (input.labels) cols['label'] = utf8(input.labels);
  const qc = input.qc;
  if (!qc && input.nFragments) cols['n_fragments'] = int32(input.nFragments);
  if (qc) {
    cols['n_fragments'] = int32(qc.nFragments);
    cols['tss_enrichment'] = float64(qc.tssEnrichment);
    cols['frip'] = float64(qc.frip);
    cols['nucleosome_signal'] = float64(qc.nucleosomeSignal);
    cols['n_mono_fragments'] = int32(qc.nMonoFragments);
    cols['n_di_fragments'] = int32(qc.nDiFragments);
    cols['n_multi_fragments'] = int32(qc.nMultiFragments);
    cols['tss_window_insertions'] = float64(qc.tssWindowInsertions);
    cols['tss_flank_insertions'] = float64(qc.tssFlankInsertions);
    cols['peak_insertions'] = float64(qc.peakInsertions);
  }
  if (input.passQc) cols['pass_qc'] = vectorFromArray([...input.passQc], new Bool());
  if (input.qcFail) cols['qc_fail'] = utf8(input.qcFail);
  return withEncoding(new Table(cols), CELLS_ENCODING, '1');
}

/** `cells` table → barcodes and labels (when it has a `label` column); opposite of `cellsToTable`. */
export function cellsFromTable(
  t: Table,
  path?: string,
): { barcodes: string[]; labels?: string[]; passQc?: boolean[] } {
  requireColumns(t, ['barcode'], path);
  const barcodes = [...t.getChild('barcode')!].map(String);
  const lab = t.getChild('label');
  const pass = t.getChild('pass_qc');
  return {
    barcodes,
    labels: lab ? [...lab].map((x) => (x === null || x === undefined ? '' : String(x))) : undefined,
    passQc: pass ? [...pass].map((x) => x === true) : undefined,
  };
}

/**
 * A `pseudobulk` table: one row per group × region, regions in table order within each group.
 * `regionNames` (the regions table's `name`, one per region) adds a `region_name` column, so
 * a reader joins on names rather than on the row position `region`.
 */
export function pseudobulkToTable(
  p: PseudobulkCounts,
  s: PseudobulkScores,
  regionNames?: readonly string[],
): Table {
  const n = p.nRegions;
  const total = p.groups.length * n;
  const groups: string[] = new Array<string>(total);
  const region = new Int32Array(total);
  for (let g = 0; g < p.groups.length; g++) {
    for (let j = 0; j < n; j++) {
      groups[g * n + j] = p.groups[g]!;
      region[g * n + j] = j;
    }
  }
  if (regionNames && regionNames.length !== n) {
    throw new ChromflowError('SCHEMA', 'one region name per region is needed', {
      field: 'region_name',
      expected: `${n} names`,
      found: `${regionNames.length}`,
    });
  }
  const t = new Table({
    group: utf8(groups),
    region: int32(region),
    ...(regionNames ? { region_name: utf8(Array.from(region, (j) => regionNames[j]!)) } : {}),
    count: float64(Float64Array.from(p.counts)),
    cpm: float64(s.cpm),
    accessibility: float64(s.accessibility),
    accessible: vectorFromArray(
      Array.from(s.accessible, (x) => x === 1),
      new Bool(),
    ),
  });
  return withEncoding(t, PSEUDOBULK_ENCODING, '1');
}

/**
 * An `lsi` table: `barcode` then `lsi1`…`lsiK` (float32, U·S). The schema
 * metadata holds `chromflow.lsi.singular-values` and
 * `chromflow.lsi.depth-correlations` (comma-separated).
 */
export function lsiToTable(barcodes: readonly string[], lsi: LsiResult): Table {
  const cols: Record<string, Vector> = { barcode: utf8(barcodes) };
  for (let c = 0; c < lsi.k; c++) {
    const x = new Float32Array(barcodes.length);
    for (let i = 0; i < barcodes.length; i++) x[i] = lsi.embedding[i * lsi.k + c]!;
    cols[`lsi${c + 1}`] = makeVector({ type: new Float32(), data: x });
  }
  const t = new Table(cols);
  t.schema.metadata.set('chromflow.lsi.singular-values', Array.from(lsi.singularValues).join(','));
  t.schema.metadata.set(
    'chromflow.lsi.depth-correlations',
    Array.from(lsi.depthCorrelations).join(','),
  );
  return withEncoding(t, LSI_ENCODING, '1');
}
