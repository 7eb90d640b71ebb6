import { Float32, Float64, Int32, Table, Utf8, makeVector, vectorFromArray } from 'apache-arrow';
import { withEncoding } from '@chromflow/core';
import type { AnnData } from '@chromflow/cell-embedding';
import type { DirectLingamResult } from './direct-lingam.js';
import type { GeneMotifMatrix } from './gene-motif.js';

/** What `attribution.get-interpret` writes: the gene × motif and region importance tables, h5ad, bedGraph. */

export const GET_GENE_MOTIF_ENCODING = 'get-gene-motif';
export const GET_REGION_IMPORTANCE_ENCODING = 'get-region-importance';
export const GET_LINGAM_ENCODING = 'get-lingam';

/** One cell type's matrix with the columns kept (`keep`: indices into `m.features`). */
export interface TypedGeneMotif {
  cellType: string;
  matrix: GeneMotifMatrix;
}

/** Genes (of every part, stacked) × the `keep` columns, row-major float64: the matrix interactions and LiNGAM read. */
export function geneMotifColumns(
  parts: readonly TypedGeneMotif[],
  keep: readonly number[],
): Float64Array {
  const n = parts.reduce((k, p) => k + p.matrix.genes.length, 0);
  const out = new Float64Array(n * keep.length);
  let row = 0;
  for (const { matrix: m } of parts) {
    const F = m.features.length;
    for (let i = 0; i < m.genes.length; i++, row++)
      keep.forEach((f, j) => (out[row * keep.length + j] = m.scores[i * F + f]!));
  }
  return out;
}

/** Long table, one row per (cell type, gene, motif): gene, cell_type, motif, score (float32). */
export function geneMotifToTable(parts: readonly TypedGeneMotif[], keep: readonly number[]): Table {
  const gene: string[] = [];
  const type: string[] = [];
  const motif: string[] = [];
  const score: number[] = [];
  for (const { cellType, matrix: m } of parts) {
    const F = m.features.length;
    m.genes.forEach((g, i) => {
      for (const f of keep) {
        gene.push(g);
        type.push(cellType);
        motif.push(m.features[f]!);
        score.push(m.scores[i * F + f]!);
      }
    });
  }
  return withEncoding(
    new Table({
      gene: vectorFromArray(gene, new Utf8()),
      cell_type: vectorFromArray(type, new Utf8()),
      motif: vectorFromArray(motif, new Utf8()),
      score: makeVector({ type: new Float32(), data: Float32Array.from(score) }),
    }),
    GET_GENE_MOTIF_ENCODING,
    '1',
  );
}

/** Region coordinates by get-features row (genomic order). */
export interface RowCoordinates {
  chroms: readonly string[];
  starts: Int32Array;
  ends: Int32Array;
}

/**
 * One row per (cell type, gene, window position): cell_type, gene, position
 * (0-based in the gene's window), row (get-features row), chrom, start, end
 * (0-based half-open), importance (float32, the gene's max = 1).
 */
export function regionImportanceToTable(
  parts: readonly TypedGeneMotif[],
  coords: RowCoordinates,
): Table {
  const cols = {
    type: [] as string[],
    gene: [] as string[],
    position: [] as number[],
    row: [] as number[],
    chrom: [] as string[],
    start: [] as number[],
    end: [] as number[],
    importance: [] as number[],
  };
  for (const { cellType, matrix: m } of parts) {
    const T = m.windowSize;
    m.genes.forEach((g, i) => {
      for (let t = 0; t < T; t++) {
        const r = m.firsts[i]! + t;
        cols.type.push(cellType);
        cols.gene.push(g);
        cols.position.push(t);
        cols.row.push(r);
        cols.chrom.push(coords.chroms[r]!);
        cols.start.push(coords.starts[r]!);
        cols.end.push(coords.ends[r]!);
        cols.importance.push(m.regionImportance[i * T + t]!);
      }
    });
  }
  const i32 = (x: number[]) => makeVector({ type: new Int32(), data: Int32Array.from(x) });
  return withEncoding(
    new Table({
      cell_type: vectorFromArray(cols.type, new Utf8()),
      gene: vectorFromArray(cols.gene, new Utf8()),
      position: i32(cols.position),
      row: i32(cols.row),
      chrom: vectorFromArray(cols.chrom, new Utf8()),
      start: i32(cols.start),
      end: i32(cols.end),
      importance: makeVector({
        type: new Float32(),
        data: Float32Array.from(cols.importance),
      }),
    }),
    GET_REGION_IMPORTANCE_ENCODING,
    '1',
  );
}

/**
 * bedGraph (0-based half-open) of one cell type: per region, the largest
 * importance it has for any gene whose window holds it; regions in no gene's
 * window are left out. Rows are in genomic order already.
 */
export function regionImportanceBedGraph(
  part: TypedGeneMotif,
  coords: RowCoordinates,
  trackName: string,
): string {
  const m = part.matrix;
  const T = m.windowSize;
  const best = new Map<number, number>();
  m.genes.forEach((_, i) => {
    for (let t = 0; t < T; t++) {
      const r = m.firsts[i]! + t;
      best.set(r, Math.max(best.get(r) ?? 0, m.regionImportance[i * T + t]!));
    }
  });
  const lines = [`track type=bedGraph name="${trackName}"`];
  for (const r of [...best.keys()].sort((a, b) => a - b)) {
    const v = Number(best.get(r)!.toPrecision(6));
    lines.push(`${coords.chroms[r]}\t${coords.starts[r]}\t${coords.ends[r]}\t${v}`);
  }
  return lines.join('\n') + '\n';
}

/** obs = (cell type, gene) rows (index `type:gene`), var = the kept motif columns, X = scores. */
export function geneMotifToAnnData(
  parts: readonly TypedGeneMotif[],
  keep: readonly number[],
  uns: Record<string, string | number>,
): AnnData {
  const index: string[] = [];
  const type: string[] = [];
  const gene: string[] = [];
  const prediction: number[] = [];
  const values: number[] = [];
  for (const { cellType, matrix: m } of parts) {
    const F = m.features.length;
    m.genes.forEach((g, i) => {
      index.push(`${cellType}:${g}`);
      type.push(cellType);
      gene.push(g);
      prediction.push(m.prediction[i]!);
      for (const f of keep) values.push(m.scores[i * F + f]!);
    });
  }
  const n = index.length;
  const p = keep.length;
  const features = parts[0]?.matrix.features ?? [];
  return {
    X: {
      nRows: n,
      nCols: p,
      indptr: Int32Array.from({ length: n + 1 }, (_, i) => i * p),
      indices: Int32Array.from({ length: n * p }, (_, i) => i % p),
      values: Float32Array.from(values),
    },
    obs: {
      index,
      columns: { cell_type: type, gene, prediction: Float32Array.from(prediction) },
    },
    var: { index: keep.map((f) => features[f]!), columns: {} },
    obsm: {},
    uns,
  };
}

/**
 * DirectLiNGAM's adjacency as a long table: one row per ordered pair of
 * analysed motifs (effect ≠ cause): group, effect, cause, weight (B[effect,
 * cause], the direct effect; 0 = no edge), effect_order / cause_order
 * (0-based place in the causal order, 0 = most exogenous).
 */
export function lingamToTable(
  group: string,
  names: readonly string[],
  r: DirectLingamResult,
): Table {
  const n = names.length;
  const place = new Map(r.order.map((v, k) => [v, k]));
  const cols = {
    effect: [] as string[],
    cause: [] as string[],
    weight: [] as number[],
    eo: [] as number[],
    co: [] as number[],
  };
  for (const i of r.variables)
    for (const j of r.variables) {
      if (i === j) continue;
      cols.effect.push(names[i]!);
      cols.cause.push(names[j]!);
      cols.weight.push(r.adjacency[i * n + j]!);
      cols.eo.push(place.get(i)!);
      cols.co.push(place.get(j)!);
    }
  const i32 = (x: number[]) => makeVector({ type: new Int32(), data: Int32Array.from(x) });
  return withEncoding(
    new Table({
      group: vectorFromArray(
        cols.effect.map(() => group),
        new Utf8(),
      ),
      effect: vectorFromArray(cols.effect, new Utf8()),
      cause: vectorFromArray(cols.cause, new Utf8()),
      weight: makeVector({ type: new Float64(), data: Float64Array.from(cols.weight) }),
      effect_order: i32(cols.eo),
      cause_order: i32(cols.co),
    }),
    GET_LINGAM_ENCODING,
    '1',
  );
}
