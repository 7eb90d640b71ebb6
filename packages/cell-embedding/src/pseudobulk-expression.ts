import { ChromflowError, type CsrMatrix, type LongRunOptions, makeTable } from '@chromflow/core';
import type { Table } from 'apache-arrow';
import type { Genes } from '@chromflow/genome-io';
import { scanLines } from './text-lines.js';

export const GENE_EXPRESSION_ENCODING = 'gene-expression';
export const GENE_EXPRESSION_ENCODING_VERSION = '1';

/** Summed counts per group: groups × genes, row-major float64. */
export interface PseudobulkCounts {
  groups: string[];
  nGenes: number;
  counts: Float64Array;
  /** Cells per group. */
  nCells: Int32Array;
}

/**
 * Sums raw counts of the cells of each group. `labels[i]` is cell i's group;
 * cells with an undefined or empty label are left out. Groups come sorted.
 */
export function sumCountsByGroup(
  X: CsrMatrix,
  labels: readonly (string | undefined)[],
): PseudobulkCounts {
  const groups = [...new Set(labels.filter((l): l is string => !!l))].sort();
  const gi = new Map(groups.map((g, i) => [g, i]));
  const counts = new Float64Array(groups.length * X.nCols);
  const nCells = new Int32Array(groups.length);
  for (let r = 0; r < X.nRows; r++) {
    const l = labels[r];
    const g = l ? gi.get(l) : undefined;
    if (g === undefined) continue;
    nCells[g]!++;
    const o = g * X.nCols;
    for (let p = X.indptr[r]!; p < X.indptr[r + 1]!; p++)
      counts[o + X.indices[p]!]! += X.values[p]!;
  }
  return { groups, nGenes: X.nCols, counts, nCells };
}

/**
 * log10(1 + CPM) per group and gene, CPM = count / (group total) · 10⁶ —
 * the expression scale GET is trained on.
 */
export function logCpmFromCounts(pb: PseudobulkCounts): Float64Array {
  const out = new Float64Array(pb.counts.length);
  for (let g = 0; g < pb.groups.length; g++) {
    const o = g * pb.nGenes;
    let tot = 0;
    for (let c = 0; c < pb.nGenes; c++) tot += pb.counts[o + c]!;
    for (let c = 0; c < pb.nGenes; c++) {
      out[o + c] = tot > 0 ? Math.log10(1 + (pb.counts[o + c]! / tot) * 1e6) : 0;
    }
  }
  return out;
}

/**
 * The gene columns the join needs, as `@chromflow/genome-io` reads them from a
 * GTF or a `genes` table (`readGenes`, `genesFromTable`): `tsses` 0-based.
 */
export type GeneAnnotation = Pick<Genes, 'geneIds' | 'geneNames' | 'chroms' | 'strands' | 'tsses'>;

/** Ensembl ids without the version suffix (`ENSG00000141510.16` → `ENSG00000141510`). */
function stripVersion(id: string): string {
  return id.replace(/^(ENS[A-Z]*\d+)\.\d+$/, '$1');
}

/**
 * Builds the `gene-expression` table: one row per group × gene with
 * `group`, `gene_id`, `gene_name`, `log_cpm`. When `genes` (a GTF's genes
 * with TSSs) is given, genes are joined by id (version suffix ignored), else by
 * name; matched rows gain `chrom`, `tss` (0-based), `strand` — the strand tells
 * GET which of its two expression channels the value belongs to — and genes
 * absent from the annotation are dropped (their count is returned).
 */
export function makeGeneExpressionTable(
  pb: PseudobulkCounts,
  logCpm: Float64Array,
  geneIds: readonly string[],
  geneNames: readonly string[],
  genes?: GeneAnnotation,
): { table: Table; unmatchedGenes: number } {
  let keep = Array.from({ length: pb.nGenes }, (_, c) => c);
  let ann: number[] = [];
  let unmatchedGenes = 0;
  if (genes) {
    const byId = new Map<string, number>();
    const byName = new Map<string, number>();
    genes.geneIds.forEach((id, i) => byId.set(stripVersion(id), i));
    genes.geneNames.forEach((n, i) => byName.has(n) || byName.set(n, i));
    const matched: number[] = [];
    for (const c of keep) {
      const i = byId.get(stripVersion(geneIds[c]!)) ?? byName.get(geneNames[c]!);
      if (i === undefined) unmatchedGenes++;
      else {
        matched.push(c);
        ann.push(i);
      }
    }
    keep = matched;
  }
  const rows = pb.groups.length * keep.length;
  const group: string[] = new Array<string>(rows);
  const gid: string[] = new Array<string>(rows);
  const gname: string[] = new Array<string>(rows);
  const lc = new Float64Array(rows);
  const chrom: string[] = [];
  const strand: string[] = [];
  const tss = new Int32Array(genes ? rows : 0);
  let k = 0;
  for (let g = 0; g < pb.groups.length; g++) {
    keep.forEach((c, j) => {
      group[k] = pb.groups[g]!;
      gid[k] = geneIds[c]!;
      gname[k] = geneNames[c]!;
      lc[k] = logCpm[g * pb.nGenes + c]!;
      if (genes) {
        const i = ann[j]!;
        chrom.push(genes.chroms[i]!);
        strand.push(genes.strands[i]!);
        tss[k] = genes.tsses[i]!;
      }
      k++;
    });
  }
  ann = [];
  const columns: Record<string, ArrayLike<unknown> | readonly string[]> = {
    group,
    gene_id: gid,
    gene_name: gname,
    log_cpm: lc,
  };
  if (genes) Object.assign(columns, { chrom, tss, strand });
  return {
    table: makeTable(columns, GENE_EXPRESSION_ENCODING, GENE_EXPRESSION_ENCODING_VERSION),
    unmatchedGenes,
  };
}

/**
 * Reads a `cell-labels` TSV (header line; a `barcode` column — else the
 * first — and the label column `labelColumn`, else the second) into a map.
 */
export async function readCellLabels(
  path: string,
  labelColumn = 'cell_type',
  options: LongRunOptions = {},
): Promise<Map<string, string>> {
  const labels = new Map<string, string>();
  let bi = 0;
  let li = 1;
  await scanLines(
    path,
    (line, n) => {
      if (line === '') return;
      const f = line.split('\t');
      if (n === 1) {
        const b = f.indexOf('barcode');
        const l = f.indexOf(labelColumn);
        bi = b >= 0 ? b : 0;
        li = l >= 0 ? l : bi === 1 ? 0 : 1;
        if (f.length < 2) {
          throw new ChromflowError(
            'PARSE',
            'a cell-labels file needs a barcode and a label column',
            {
              path,
              line: 1,
              source: line,
              expected: `barcode<TAB>${labelColumn}`,
            },
          );
        }
        return;
      }
      const b = f[bi];
      const l = f[li];
      if (b !== undefined && l !== undefined) labels.set(b, l);
    },
    options,
  );
  if (labels.size === 0) {
    throw new ChromflowError('EMPTY', 'the cell-labels file has no rows', { path });
  }
  return labels;
}
