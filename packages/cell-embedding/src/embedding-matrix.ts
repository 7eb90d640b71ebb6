import type { Table } from 'apache-arrow';
import { ChromflowError, requireColumns } from '@chromflow/core';

/** A cell embedding read from a table: row-major n × d values, one row per barcode. */
export interface EmbeddingMatrix {
  barcodes: string[];
  /** Row-major n × d. */
  values: Float64Array;
  d: number;
  /** Names of the columns kept, in order (`lsi2`, `lsi3` … or `pc1` …). */
  columns: string[];
  /** Names of the columns left out and why (e.g. `lsi1 (|r| with depth 0.97 > 0.75)`). */
  dropped: string[];
}

/**
 * The numbered component columns (`<prefix>1`, `<prefix>2` …) of an `lsi`
 * (prefix `lsi`) or `pca-scores` / `cell-embedding` (prefix `pc`) table.
 * For LSI, components whose depth correlation (schema metadata
 * `chromflow.lsi.depth-correlations`) has |r| > `maxDepthCorrelation` are left
 * out, as ArchR does (component 1 tracks depth: |r| = 0.97 on PBSmall).
 * `components` > 0 keeps only the first that many columns before that.
 */
export function embeddingFromTable(
  t: Table,
  prefix: 'lsi' | 'pc',
  options: { components?: number; maxDepthCorrelation?: number; path?: string } = {},
): EmbeddingMatrix {
  const path = options.path;
  requireColumns(t, ['barcode', `${prefix}1`], path);
  let k = 0;
  while (t.getChild(`${prefix}${k + 1}`)) k++;
  if (options.components && options.components > 0) k = Math.min(k, options.components);
  const r = (t.schema.metadata.get('chromflow.lsi.depth-correlations') ?? '')
    .split(',')
    .filter((x) => x !== '')
    .map(Number);
  const maxR = options.maxDepthCorrelation ?? 1;
  const keep: number[] = [];
  const dropped: string[] = [];
  for (let c = 0; c < k; c++) {
    const rc = prefix === 'lsi' ? r[c] : undefined;
    if (rc !== undefined && Math.abs(rc) > maxR) {
      dropped.push(`${prefix}${c + 1} (|r| with depth ${Math.abs(rc).toFixed(2)} > ${maxR})`);
    } else keep.push(c);
  }
  if (keep.length === 0) {
    throw new ChromflowError('VALUE', 'no embedding component is left to cluster on', {
      path,
      field: `${prefix}1…${prefix}${k}`,
      expected: 'at least one component',
      found: `all ${k} dropped: ${dropped.join('; ')}`,
      hint: 'raise maxDepthCorrelation or components',
    });
  }
  const n = t.numRows;
  const d = keep.length;
  const values = new Float64Array(n * d);
  keep.forEach((c, j) => {
    const col = t.getChild(`${prefix}${c + 1}`)!;
    for (let i = 0; i < n; i++) {
      const v = Number(col.get(i));
      if (!Number.isFinite(v)) {
        throw new ChromflowError(
          'VALUE',
          `column ${prefix}${c + 1} row ${i} is not a finite number`,
          {
            path,
            field: `${prefix}${c + 1}`,
            found: String(v),
          },
        );
      }
      values[i * d + j] = v;
    }
  });
  return {
    barcodes: Array.from({ length: n }, (_, i) => String(t.getChild('barcode')!.get(i))),
    values,
    d,
    columns: keep.map((c) => `${prefix}${c + 1}`),
    dropped,
  };
}
