import { ChromflowError, requireColumns, requireEncoding } from '@chromflow/core';
import type { Table } from 'apache-arrow';
import { int32sOf, stringsOf } from '@chromflow/genome-io';

/**
 * GET's accessibility feature (region feature 283) per cell type: from the
 * ATAC pseudobulk (`atac-pseudobulk.pseudobulk`: binary `accessible`, or the
 * quantitative `log10(count/total × 1e5 + 1) / max`), or, for cell types
 * without ATAC, from XChrom's per-cell predictions averaged over the type's
 * cells.
 */

export type AccessibilityMode = 'binary' | 'quantitative';

/** Cell types × regions accessibility, each row in [0, 1]. */
export interface AccessibilityColumns {
  cellTypes: string[];
  nRegions: number;
  /** Row-major cellTypes × regions. */
  values: Float32Array;
}

/**
 * Reads a `pseudobulk` table (group, region, count, accessibility, accessible)
 * into one column per group: `quantitative` takes `accessibility` (already
 * GET's log10 CPM-like score over its maximum), `binary` takes `accessible`.
 */
export function accessibilityFromPseudobulk(
  table: Table,
  nRegions: number,
  mode: AccessibilityMode,
  path?: string,
): AccessibilityColumns {
  requireEncoding(table, 'pseudobulk', path);
  const column = mode === 'binary' ? 'accessible' : 'accessibility';
  requireColumns(table, ['group', 'region', column], path);
  const groups = stringsOf(table, 'group', path);
  const regions = int32sOf(table, 'region', path);
  const col = table.getChild(column)!;
  const cellTypes = [...new Set(groups)];
  const index = new Map(cellTypes.map((t, i) => [t, i]));
  const values = new Float32Array(cellTypes.length * nRegions);
  for (let i = 0; i < groups.length; i++) {
    const r = regions[i]!;
    if (r < 0 || r >= nRegions) {
      throw new ChromflowError('VALUE', `the pseudobulk names region ${r}, outside the regions`, {
        path,
        field: 'region',
        expected: `0 ≤ region < ${nRegions} (rows of the regions table)`,
        found: String(r),
      });
    }
    const v: unknown = col.get(i);
    values[index.get(groups[i]!)! * nRegions + r] = v === true ? 1 : Number(v ?? 0);
  }
  return { cellTypes, nRegions, values };
}

/**
 * Averages XChrom's per-cell probabilities (`xchrom-predictions`: cell,
 * region_name, probability) over the cells of each wanted type
 * (`cellTypeOf` maps barcode → type) for the regions named in
 * `regionNames`. `quantitative` divides each type's means by their maximum
 * (the pseudobulk score's scale); `binary` marks means ≥ 0.5. A (cell,
 * region) pair the table leaves out (below the predict stage's
 * minProbability) counts as 0.
 */
export function accessibilityFromPredictions(
  table: Table,
  regionNames: readonly string[],
  cellTypeOf: ReadonlyMap<string, string>,
  cellTypes: readonly string[],
  mode: AccessibilityMode,
  path?: string,
): AccessibilityColumns {
  requireEncoding(table, 'xchrom-predictions', path);
  requireColumns(table, ['cell', 'region_name', 'probability'], path);
  const nRegions = regionNames.length;
  const regionIndex = new Map(regionNames.map((n, i) => [n, i]));
  const typeIndex = new Map(cellTypes.map((t, i) => [t, i]));
  const cells = stringsOf(table, 'cell', path);
  const names = stringsOf(table, 'region_name', path);
  const prob = table.getChild('probability')!;
  const sums = new Float64Array(cellTypes.length * nRegions);
  const cellsOfType = cellTypes.map(() => new Set<string>());
  let matchedRegions = 0;
  for (let i = 0; i < cells.length; i++) {
    const type = cellTypeOf.get(cells[i]!);
    const t = type === undefined ? undefined : typeIndex.get(type);
    if (t === undefined) continue;
    cellsOfType[t]!.add(cells[i]!);
    const r = regionIndex.get(names[i]!);
    if (r === undefined) continue;
    matchedRegions++;
    sums[t * nRegions + r]! += Number(prob.get(i));
  }
  const values = new Float32Array(cellTypes.length * nRegions);
  cellTypes.forEach((type, t) => {
    const n = cellsOfType[t]!.size;
    if (n === 0) {
      throw new ChromflowError('VALUE', `no predicted cell belongs to cell type '${type}'`, {
        path,
        field: 'cell',
        expected: `barcodes labelled '${type}' in the cell labels`,
        found: `${new Set(cells).size} predicted cells of other types`,
      });
    }
    let max = 0;
    for (let r = 0; r < nRegions; r++) max = Math.max(max, sums[t * nRegions + r]! / n);
    for (let r = 0; r < nRegions; r++) {
      const mean = sums[t * nRegions + r]! / n;
      values[t * nRegions + r] =
        mode === 'binary' ? (mean >= 0.5 ? 1 : 0) : max > 0 ? mean / max : 0;
    }
  });
  if (matchedRegions === 0) {
    throw new ChromflowError('VALUE', 'no predicted region is one of the regions', {
      path,
      field: 'region_name',
      expected: `names like ${regionNames.slice(0, 2).join(', ')}`,
      found: names.slice(0, 2).join(', '),
    });
  }
  return { cellTypes: [...cellTypes], nRegions, values };
}
