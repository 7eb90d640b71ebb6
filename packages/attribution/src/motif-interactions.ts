import { ChromflowError, makeTable, pearson } from '@chromflow/core';
import type { Table } from 'apache-arrow';

/**
 * Motif–motif interactions as GET reports them: the Pearson correlation of
 * two motif columns of a gene × motif attribution matrix across genes (one
 * cell type's genes, or the genes of several cell types stacked for the pooled
 * catalogue), of which the top 5 % by |r| are kept.
 */

export const MOTIF_INTERACTIONS_ENCODING = 'motif-interactions';
export const MOTIF_INTERACTIONS_VERSION = '1';

export interface MotifInteraction {
  motifA: string;
  motifB: string;
  /** Pearson r across genes. */
  r: number;
  /** Column of `motifA` / `motifB` in the matrix (indexA < indexB). */
  indexA: number;
  indexB: number;
}

function checkShape(length: number, nGenes: number, nMotifs: number): void {
  if (!(Number.isInteger(nGenes) && nGenes >= 0 && Number.isInteger(nMotifs) && nMotifs >= 0)) {
    throw new ChromflowError('PARAM', 'nGenes and nMotifs must be non-negative integers', {
      field: 'nGenes, nMotifs',
      found: `${nGenes}, ${nMotifs}`,
    });
  }
  if (length !== nGenes * nMotifs) {
    throw new ChromflowError(
      'VALUE',
      'the gene × motif values do not have nGenes × nMotifs entries',
      {
        field: 'values',
        expected: `${nGenes} × ${nMotifs} = ${nGenes * nMotifs}`,
        found: String(length),
      },
    );
  }
}

/**
 * nMotifs × nMotifs Pearson correlation (row-major) of the motif columns of
 * `values` (genes × motifs, row-major) across genes, as `pearson` of
 * `@chromflow/core` (scipy's r). A motif whose column is constant (or all
 * zero, e.g. a motif absent from every window) has no correlation: its row
 * and column are NaN, the diagonal included; every other diagonal entry is
 * that column's r with itself (1 up to rounding).
 */
export function motifCorrelation(
  values: Float64Array | Float32Array,
  nGenes: number,
  nMotifs: number,
): Float64Array {
  checkShape(values.length, nGenes, nMotifs);
  const columns = Array.from({ length: nMotifs }, (_, m) => {
    const c = new Float64Array(nGenes);
    for (let g = 0; g < nGenes; g++) c[g] = values[g * nMotifs + m]!;
    return c;
  });
  const out = new Float64Array(nMotifs * nMotifs);
  for (let a = 0; a < nMotifs; a++) {
    for (let b = a; b < nMotifs; b++) {
      const r = pearson(columns[a]!, columns[b]!);
      out[a * nMotifs + b] = r;
      out[b * nMotifs + a] = r;
    }
  }
  return out;
}

/**
 * The strongest pairs of the upper triangle (a < b) of a correlation matrix:
 * the top `fraction` of the pairs with a finite r, ranked by |r| (ties: lower
 * a, then lower b first), `ceil(fraction × pairs)` of them (GET keeps 5 %).
 */
export function topInteractions(
  corr: Float64Array,
  motifNames: readonly string[],
  fraction = 0.05,
): MotifInteraction[] {
  const n = motifNames.length;
  if (corr.length !== n * n) {
    throw new ChromflowError('VALUE', 'the correlation matrix does not match the motif names', {
      field: 'corr',
      expected: `${n} × ${n} = ${n * n} entries (one row per motif name)`,
      found: String(corr.length),
    });
  }
  if (!(fraction > 0 && fraction <= 1)) {
    throw new ChromflowError('PARAM', 'the fraction of interactions to keep must be in (0, 1]', {
      field: 'fraction',
      found: String(fraction),
    });
  }
  const pairs: MotifInteraction[] = [];
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const r = corr[a * n + b]!;
      if (Number.isFinite(r)) {
        pairs.push({ motifA: motifNames[a]!, motifB: motifNames[b]!, r, indexA: a, indexB: b });
      }
    }
  }
  pairs.sort((x, y) => Math.abs(y.r) - Math.abs(x.r) || x.indexA - y.indexA || x.indexB - y.indexB);
  return pairs.slice(0, Math.ceil(fraction * pairs.length));
}

/**
 * `motif-interactions` table (schema in the README): one row per kept pair in
 * rank order, with the group (cell type, or `pooled`) it was computed in.
 */
export function motifInteractionsToTable(
  rows: readonly { group: string; interactions: readonly MotifInteraction[] }[],
): Table {
  const group: string[] = [];
  const motifA: string[] = [];
  const motifB: string[] = [];
  const r: number[] = [];
  const rank: number[] = [];
  for (const g of rows) {
    g.interactions.forEach((it, i) => {
      group.push(g.group);
      motifA.push(it.motifA);
      motifB.push(it.motifB);
      r.push(it.r);
      rank.push(i + 1);
    });
  }
  return makeTable(
    {
      group,
      motif_a: motifA,
      motif_b: motifB,
      r: Float64Array.from(r),
      abs_r: Float64Array.from(r, Math.abs),
      rank: Int32Array.from(rank),
    },
    MOTIF_INTERACTIONS_ENCODING,
    MOTIF_INTERACTIONS_VERSION,
  );
}
