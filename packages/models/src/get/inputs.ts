import { ChromflowError, requireColumns, requireEncoding } from '@chromflow/core';
import type { Table } from 'apache-arrow';
import { int32sOf, stringsOf } from '@chromflow/genome-io';
import type { RegionMotifMatrix, Regions } from '@chromflow/genome-io';
import type { AccessibilityColumns, AccessibilityMode } from './accessibility.js';
import { makeExpressionLabels } from './labels.js';
import type { ExpressionLabels, GeneTssExpression } from './labels.js';
import { makeGetWindows } from './windows.js';
import type { GetWindows } from './windows.js';

/**
 * Everything GET trains on, assembled from the upstream tables: motif
 * features per region, an accessibility column per cell type (ATAC pseudobulk
 * or XChrom predictions), expression labels per region and strand, windows.
 */

export interface GetInputs {
  regions: Regions;
  motif: RegionMotifMatrix;
  cellTypes: string[];
  /** Row-major cellTypes × regions (rows of the regions input). */
  accessibility: Float32Array;
  /** Per cell type: 'atac' or 'xchrom'. */
  accessibilitySource: ('atac' | 'xchrom')[];
  accessibilityMode: AccessibilityMode;
  labels: ExpressionLabels;
  windows: GetWindows;
}

export interface GetInputSources {
  regions: Regions;
  regionsPath?: string;
  motif: RegionMotifMatrix;
  /** Region names of the motif matrix rows (the `name` column of region-motif). */
  motifRegionNames: readonly string[];
  motifPath?: string;
  atac?: AccessibilityColumns;
  atacPath?: string;
  /** XChrom-predicted accessibility for `xchromCellTypes`. */
  predicted?: AccessibilityColumns;
  predictionsPath?: string;
  expression: GeneTssExpression;
  expressionPath?: string;
}

export interface GetInputOptions {
  accessibilityMode?: AccessibilityMode;
  /** Cell types whose accessibility comes from XChrom's predictions instead of ATAC. */
  xchromCellTypes?: readonly string[];
  /** Use only these cell types (default: every type with RNA). */
  cellTypes?: readonly string[];
  windowSize?: number;
  stride?: number;
  shortChromosomes?: 'error' | 'skip';
  tssFlank?: number;
}

/** Reads a `gene-expression` table with TSSs (cell-embedding.pseudobulk-expression with genes wired). */
export function geneTssExpressionFromTable(table: Table, path?: string): GeneTssExpression {
  requireEncoding(table, 'gene-expression', path);
  if (!table.getChild('tss')) {
    throw new ChromflowError('SCHEMA', 'the gene-expression table has no TSS columns', {
      path,
      field: 'tss',
      expected: 'chrom, tss, strand columns',
      hint: 'wire a genes table (genome-io.genes) into cell-embedding.pseudobulk-expression',
    });
  }
  requireColumns(table, ['group', 'gene_id', 'log_cpm', 'chrom', 'tss', 'strand'], path);
  const groups = stringsOf(table, 'group', path);
  const ids = stringsOf(table, 'gene_id', path);
  const chroms = stringsOf(table, 'chrom', path);
  const strands = stringsOf(table, 'strand', path);
  const tss = int32sOf(table, 'tss', path);
  const lc = table.getChild('log_cpm')!;
  const cellTypes = [...new Set(groups)];
  const typeIndex = new Map(cellTypes.map((t, i) => [t, i]));
  const geneIndex = new Map<string, number>();
  const geneIds: string[] = [];
  const geneRows: number[] = [];
  ids.forEach((id, i) => {
    if (!geneIndex.has(id)) {
      geneIndex.set(id, geneIds.length);
      geneIds.push(id);
      geneRows.push(i);
    }
  });
  const values = new Float64Array(geneIds.length * cellTypes.length);
  for (let i = 0; i < ids.length; i++)
    values[geneIndex.get(ids[i]!)! * cellTypes.length + typeIndex.get(groups[i]!)!] = Number(
      lc.get(i),
    );
  return {
    cellTypes,
    geneIds,
    chroms: geneRows.map((i) => chroms[i]!),
    tsses: Int32Array.from(geneRows, (i) => tss[i]!),
    strands: geneRows.map((i) => (strands[i] === '-' ? '-' : '+')),
    values,
  };
}

/**
 * Checks that the inputs describe the same regions and cell types, then
 * builds labels and windows. Throws, naming the file and field, for: motif
 * rows that are not the regions, an RNA cell type without ATAC (unless listed
 * in `xchromCellTypes` with predictions given), an ATAC cell type without RNA,
 * genes on other chromosomes or away from every region (see
 * `makeExpressionLabels`), windows longer than a chromosome's regions.
 */
export function makeGetInputs(src: GetInputSources, options: GetInputOptions = {}): GetInputs {
  const { regions } = src;
  const n = regions.length;
  if (
    src.motif.nRegions !== n ||
    src.motifRegionNames.some((name, i) => name !== regions.names[i])
  ) {
    const i = src.motifRegionNames.findIndex((name, k) => name !== regions.names[k]);
    throw new ChromflowError(
      'VALUE',
      'the motif features are not for the same regions, in the same order',
      {
        path: src.motifPath,
        field: 'name',
        expected: `${n} rows named like the regions (${regions.names[Math.max(i, 0)] ?? ''})`,
        found: `${src.motif.nRegions} rows (${src.motifRegionNames[Math.max(i, 0)] ?? ''})`,
      },
    );
  }
  const xchromTypes = new Set(options.xchromCellTypes ?? []);
  const rnaTypes = src.expression.cellTypes;
  const wanted = options.cellTypes?.length ? [...options.cellTypes] : rnaTypes;
  const atacTypes = new Set(src.atac?.cellTypes ?? []);
  for (const t of wanted) {
    if (!rnaTypes.includes(t)) {
      throw new ChromflowError(
        'VALUE',
        `cell type '${t}' has no RNA, so it has no expression labels`,
        {
          path: src.expressionPath,
          field: 'group',
          expected: `one of ${rnaTypes.join(', ')}`,
          found: t,
        },
      );
    }
    if (!xchromTypes.has(t) && !atacTypes.has(t)) {
      throw new ChromflowError(
        'VALUE',
        `cell type '${t}' is in the RNA but not in the ATAC pseudobulk`,
        {
          path: src.atacPath ?? src.expressionPath,
          field: 'group',
          expected: `ATAC groups ${[...atacTypes].join(', ') || '(none)'}`,
          found: t,
          hint: 'give it accessibility from XChrom: list it in xchromCellTypes and wire the xchrom predictions and cell labels',
        },
      );
    }
  }
  if (!options.cellTypes?.length) {
    const extra = [...atacTypes].filter((t) => !rnaTypes.includes(t));
    if (extra.length > 0) {
      throw new ChromflowError(
        'VALUE',
        `cell type(s) ${extra.join(', ')} are in the ATAC pseudobulk but not in the RNA`,
        {
          path: src.atacPath,
          field: 'group',
          expected: `RNA groups ${rnaTypes.join(', ')}`,
          found: extra.join(', '),
          hint: 'label both modalities alike, or choose the cell types to use (cellTypes)',
        },
      );
    }
  }
  for (const t of xchromTypes) {
    if (!src.predicted?.cellTypes.includes(t)) {
      throw new ChromflowError(
        'VALUE',
        `cell type '${t}' should take XChrom's predictions, but none were given for it`,
        {
          path: src.predictionsPath,
          field: 'xchromCellTypes',
          expected: 'the xchrom predictions and cell labels wired, covering the type',
          found: src.predicted ? src.predicted.cellTypes.join(', ') : 'no predictions input',
        },
      );
    }
  }
  const accessibility = new Float32Array(wanted.length * n);
  const accessibilitySource = wanted.map((t, i) => {
    const fromXchrom = xchromTypes.has(t);
    const cols = (fromXchrom ? src.predicted : src.atac)!;
    const j = cols.cellTypes.indexOf(t);
    if (cols.nRegions !== n) {
      throw new ChromflowError('VALUE', 'the accessibility covers a different number of regions', {
        path: fromXchrom ? src.predictionsPath : src.atacPath,
        field: 'region',
        expected: String(n),
        found: String(cols.nRegions),
      });
    }
    accessibility.set(cols.values.subarray(j * n, (j + 1) * n), i * n);
    return fromXchrom ? ('xchrom' as const) : ('atac' as const);
  });
  const typeCols = wanted.map((t) => rnaTypes.indexOf(t));
  const e = src.expression;
  const values = new Float64Array(e.geneIds.length * wanted.length);
  for (let g = 0; g < e.geneIds.length; g++)
    typeCols.forEach(
      (c, i) => (values[g * wanted.length + i] = e.values[g * rnaTypes.length + c]!),
    );
  const labels = makeExpressionLabels(
    regions,
    { ...e, cellTypes: wanted, values },
    { flank: options.tssFlank, path: src.expressionPath },
  );
  const windows = makeGetWindows(regions, {
    size: options.windowSize,
    stride: options.stride,
    shortChromosomes: options.shortChromosomes,
    path: src.regionsPath,
  });
  return {
    regions,
    motif: src.motif,
    cellTypes: wanted,
    accessibility,
    accessibilitySource,
    accessibilityMode: options.accessibilityMode ?? 'quantitative',
    labels,
    windows,
  };
}
