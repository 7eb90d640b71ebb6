import { ChromflowError } from '@chromflow/core';
import type { Regions } from '@chromflow/genome-io';

/**
 * GET's expression labels: a region gets a gene's expression on the gene's
 * strand when the gene's TSS ±`flank` bp overlaps it, 0 elsewhere (the zeros
 * are GET's negative labels), and a TSS mask marks the labelled (region,
 * strand) pairs.
 */

/** Per-type expression of genes placed on the genome (the `gene-expression` table with TSSs). */
export interface GeneTssExpression {
  /** Cell types, in column order of `values`. */
  cellTypes: string[];
  geneIds: string[];
  chroms: string[];
  /** 0-based position of the TSS base. */
  tsses: Int32Array;
  strands: ('+' | '-')[];
  /** Row-major genes × cellTypes, e.g. log10(1 + CPM). */
  values: Float64Array;
}

export interface ExpressionLabels {
  nRegions: number;
  cellTypes: string[];
  /** Row-major cellTypes × regions × 2 (strand + then −). */
  values: Float32Array;
  /** Regions × 2: 1 where some gene's TSS on that strand is within `flank` of the region. */
  tssMask: Uint8Array;
  /** Regions × 2: the ids of the genes behind each label, comma-separated ('' where none). */
  genes: string[];
  /** Genes whose TSS ±flank overlaps at least one region. */
  genesPlaced: number;
}

export interface ExpressionLabelOptions {
  /** Half-width around the TSS base (GET: 300). */
  flank?: number;
  /** Named in errors: the file the genes and expression came from. */
  path?: string;
}

/**
 * Labels each region by the genes whose TSS window `[tss − flank, tss + flank]`
 * (inclusive, i.e. `[tss − flank, tss + flank + 1)` half-open, what
 * `bedtools window -w flank` uses for a 1-bp TSS) overlaps the region
 * `[start, end)`. Where several genes on one strand hit one region the
 * largest value is kept (log-scale values do not add). Regions need not be
 * sorted. Throws when the regions and the genes share no chromosome name (two
 * genome builds or naming schemes, e.g. `chr1` vs `1`), or when no TSS falls
 * within any region.
 */
export function makeExpressionLabels(
  regions: Regions,
  genes: GeneTssExpression,
  options: ExpressionLabelOptions = {},
): ExpressionLabels {
  const flank = options.flank ?? 300;
  const nRegions = regions.length;
  const nTypes = genes.cellTypes.length;
  const regionChroms = new Set(regions.chromNames);
  const geneChroms = new Set(genes.chroms);
  if (![...geneChroms].some((c) => regionChroms.has(c))) {
    throw new ChromflowError(
      'VALUE',
      'the genes and the regions share no chromosome name: are they from different genome builds or naming schemes?',
      {
        path: options.path,
        field: 'chrom',
        expected: `chromosomes of the regions, e.g. ${[...regionChroms].slice(0, 3).join(', ')}`,
        found: [...geneChroms].slice(0, 3).join(', '),
      },
    );
  }
  // Regions of each chromosome sorted by start, for a binary search per TSS.
  const byChrom = new Map<string, Int32Array>();
  regions.chromNames.forEach((name, id) => {
    const rows: number[] = [];
    for (let r = 0; r < nRegions; r++) if (regions.chromIds[r] === id) rows.push(r);
    rows.sort((a, b) => regions.starts[a]! - regions.starts[b]!);
    byChrom.set(name, Int32Array.from(rows));
  });
  let maxLength = 0;
  for (let r = 0; r < nRegions; r++)
    maxLength = Math.max(maxLength, regions.ends[r]! - regions.starts[r]!);

  const values = new Float32Array(nTypes * nRegions * 2);
  const tssMask = new Uint8Array(nRegions * 2);
  const geneLists: string[][] = Array.from({ length: nRegions * 2 }, () => []);
  let genesPlaced = 0;
  for (let g = 0; g < genes.geneIds.length; g++) {
    const rows = byChrom.get(genes.chroms[g]!);
    if (!rows) continue;
    const lo = genes.tsses[g]! - flank;
    const hi = genes.tsses[g]! + flank + 1;
    const s = genes.strands[g] === '-' ? 1 : 0;
    // First region whose start could still overlap: start > lo − maxLength.
    let a = 0;
    let b = rows.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (regions.starts[rows[m]!]! <= lo - maxLength) a = m + 1;
      else b = m;
    }
    let placed = false;
    for (let k = a; k < rows.length; k++) {
      const r = rows[k]!;
      if (regions.starts[r]! >= hi) break;
      if (regions.ends[r]! <= lo) continue;
      placed = true;
      tssMask[r * 2 + s] = 1;
      geneLists[r * 2 + s]!.push(genes.geneIds[g]!);
      for (let t = 0; t < nTypes; t++) {
        const at = (t * nRegions + r) * 2 + s;
        const v = genes.values[g * nTypes + t]!;
        if (geneLists[r * 2 + s]!.length === 1 || v > values[at]!) values[at] = v;
      }
    }
    if (placed) genesPlaced++;
  }
  if (genesPlaced === 0) {
    throw new ChromflowError(
      'VALUE',
      `no gene's TSS ±${flank} bp falls in any region, so every expression label would be 0`,
      {
        path: options.path,
        field: 'tss',
        expected: `TSSs within ${flank} bp of the ${nRegions} regions`,
        found: `${genes.geneIds.length} genes, none near a region`,
        hint: 'check that the annotation and the peaks are the same genome build, and that the regions include promoters',
      },
    );
  }
  return {
    nRegions,
    cellTypes: [...genes.cellTypes],
    values,
    tssMask,
    genes: geneLists.map((l) => l.join(',')),
    genesPlaced,
  };
}
