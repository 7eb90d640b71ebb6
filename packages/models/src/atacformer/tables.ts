import {
  Float32,
  Int32,
  Table,
  Utf8,
  makeVector,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import { withEncoding } from '@chromflow/core';
import { FIRST_REGION_TOKEN, type Vocabulary } from '@chromflow/atac-pseudobulk';

export const ATACFORMER_CELLS_ENCODING = 'atacformer-cells';
export const ATACFORMER_REGIONS_ENCODING = 'atacformer-regions';

function columns(
  values: Float32Array,
  rows: number[],
  d: number,
  prefix: string,
): Record<string, Vector> {
  const out: Record<string, Vector> = {};
  for (let c = 0; c < d; c++) {
    out[`${prefix}${c + 1}`] = makeVector({
      type: new Float32(),
      data: Float32Array.from(rows, (r) => values[r * d + c]!),
    });
  }
  return out;
}

/**
 * An `atacformer-cells` table, one row per embedded cell: `barcode` (utf8),
 * `n_tokens` (int32, tokens the model read), `atacformer1`…`atacformerD`
 * (float32, the mean-pooled contextual embedding).
 */
export function atacformerCellsToTable(
  barcodes: readonly string[],
  nTokens: Int32Array,
  cells: Float32Array,
  d: number,
): Table {
  const rows = barcodes.map((_, i) => i);
  const t = new Table({
    barcode: vectorFromArray([...barcodes], new Utf8()),
    n_tokens: makeVector({ type: new Int32(), data: nTokens }),
    ...columns(cells, rows, d, 'atacformer'),
  });
  return withEncoding(t, ATACFORMER_CELLS_ENCODING, '1');
}

/**
 * An `atacformer-regions` table, one row per universe region held by at
 * least one embedded cell: `token_id` (int32), `chrom` (utf8), `start`,
 * `end` (int32, 0-based half-open), `n_cells` (int32, cells holding it),
 * `e1`…`eD` (float32, its contextual embedding averaged over those cells).
 */
export function atacformerRegionsToTable(
  v: Vocabulary,
  regions: Float32Array,
  regionCells: Int32Array,
  d: number,
): Table {
  const ids: number[] = [];
  for (let id = FIRST_REGION_TOKEN; id < regionCells.length; id++)
    if (regionCells[id]! > 0) ids.push(id);
  const r = v.regions;
  const at = (id: number): number => id - FIRST_REGION_TOKEN;
  const t = new Table({
    token_id: makeVector({ type: new Int32(), data: Int32Array.from(ids) }),
    chrom: vectorFromArray(
      ids.map((id) => r.chromNames[r.chromIds[at(id)]!]!),
      new Utf8(),
    ),
    start: makeVector({ type: new Int32(), data: Int32Array.from(ids, (id) => r.starts[at(id)]!) }),
    end: makeVector({ type: new Int32(), data: Int32Array.from(ids, (id) => r.ends[at(id)]!) }),
    n_cells: makeVector({
      type: new Int32(),
      data: Int32Array.from(ids, (id) => regionCells[id]!),
    }),
    ...columns(regions, ids, d, 'e'),
  });
  return withEncoding(t, ATACFORMER_REGIONS_ENCODING, '1');
}
