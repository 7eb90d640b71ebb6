import { makeVector, Table, Float32, Int32, vectorFromArray, Utf8, Dictionary } from 'apache-arrow';
import { withEncoding } from '@chromflow/core';

export const PREDICTIONS_ENCODING = 'xchrom-predictions';
export const PREDICTIONS_ENCODING_VERSION = '1';

/**
 * The `xchrom-predictions` table in long format: one row per (region, cell)
 * kept, regions outer, cells inner. `probabilities` is row-major regions ×
 * cells; entries below `minProbability` are dropped (0 keeps all).
 */
export function predictionsToTable(
  probabilities: Float32Array,
  regionIndices: Int32Array,
  regionNames: string[],
  barcodes: string[],
  minProbability = 0,
): Table {
  const nC = barcodes.length;
  const keep: number[] = [];
  for (let i = 0; i < probabilities.length; i++)
    if ((probabilities[i] as number) >= minProbability) keep.push(i);
  const cellIdx = Int32Array.from(keep, (i) => i % nC);
  const regionRow = Int32Array.from(keep, (i) => Math.floor(i / nC));
  const dict = (values: string[], idx: Int32Array) =>
    makeVector({
      type: new Dictionary(new Utf8(), new Int32()),
      data: idx,
      dictionary: vectorFromArray(values, new Utf8()),
    });
  const table = new Table({
    cell: dict(barcodes, cellIdx),
    region: makeVector({
      type: new Int32(),
      data: Int32Array.from(regionRow, (r) => regionIndices[r] as number),
    }),
    region_name: dict(regionNames, regionRow),
    probability: makeVector({
      type: new Float32(),
      data: Float32Array.from(keep, (i) => probabilities[i] as number),
    }),
  });
  return withEncoding(table, PREDICTIONS_ENCODING, PREDICTIONS_ENCODING_VERSION);
}
