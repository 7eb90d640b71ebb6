import * as tf from '@tensorflow/tfjs-core';
import { withEncoding } from '@chromflow/core';
import { Bool, Float32, Int32, Table, Utf8, makeVector, vectorFromArray } from 'apache-arrow';
import type { GetModel } from './model.js';
import { agreement, type AgreementMetrics } from './metrics.js';
import { makeGetBatch, type GetSamples } from './samples.js';
import type { GetArrays } from './tables.js';

/**
 * Predictions of a GET model over (cell type, window) samples. Each window
 * row is kept (`window`, `position`); metrics average a region's
 * predictions over the windows that hold it, then compare on TSS
 * (region, strand) pairs per cell type, and per gene (a gene's pairs
 * averaged) where the genes behind each label are known.
 */
export interface GetPredictions {
  task: 'expression' | 'atac';
  samples: GetSamples;
  /** [sample, position, out] with out = 2 (expression) or 1 (atac). */
  values: Float32Array;
  windowSize: number;
}

export function predictGet(
  model: GetModel,
  a: GetArrays,
  s: GetSamples,
  batchSize = 8,
): GetPredictions {
  const out = model.config.task === 'expression' ? 2 : 1;
  const t = a.windowSize;
  const values = new Float32Array(s.types.length * t * out);
  for (let lo = 0; lo < s.types.length; lo += batchSize) {
    const idx = Int32Array.from(
      { length: Math.min(batchSize, s.types.length - lo) },
      (_, i) => lo + i,
    );
    const batch = makeGetBatch(a, model.config, s, idx);
    const y = tf.tidy(() =>
      model.forward(
        tf.tensor3d(batch.x as Float32Array, [idx.length, t, model.config.features]),
        undefined,
        undefined,
        batch.pos === undefined
          ? undefined
          : tf.tensor2d(batch.pos as Float32Array, [idx.length, t]),
      ),
    );
    values.set(y.dataSync(), lo * t * out);
    y.dispose();
  }
  return {
    task: model.config.task === 'atac' ? 'atac' : 'expression',
    samples: s,
    values,
    windowSize: t,
  };
}

/** Per (type, region, column): mean prediction over windows; NaN where no window of that type covered it. */
function regionMeans(p: GetPredictions, a: GetArrays): Float64Array {
  const out = p.task === 'expression' ? 2 : 1;
  const sum = new Float64Array(a.cellTypes.length * a.nRegions * out);
  const cnt = new Float64Array(sum.length);
  for (let i = 0; i < p.samples.types.length; i++) {
    const type = p.samples.types[i]!;
    const first = a.windowFirsts[p.samples.windows[i]!]!;
    for (let k = 0; k < p.windowSize; k++)
      for (let c = 0; c < out; c++) {
        const j = (type * a.nRegions + first + k) * out + c;
        sum[j]! += p.values[(i * p.windowSize + k) * out + c]!;
        cnt[j]! += 1;
      }
  }
  return sum.map((v, j) => (cnt[j]! > 0 ? v / cnt[j]! : NaN));
}

export interface GetTypeMetrics {
  cellType: string;
  regions: AgreementMetrics;
  genes?: AgreementMetrics;
}

/**
 * Metrics per cell type: expression on TSS (region, strand) pairs (and per
 * gene when `genes[region·2 + strand]` lists the genes behind a label);
 * atac on every covered region against the accessibility column.
 */
export function getMetrics(p: GetPredictions, a: GetArrays, genes?: string[]): GetTypeMetrics[] {
  const means = regionMeans(p, a);
  const types = [...new Set(p.samples.types)].sort((x, y) => x - y);
  return types.map((type) => {
    const pred: number[] = [];
    const obs: number[] = [];
    const byGene = new Map<string, { p: number; o: number; n: number }>();
    if (p.task === 'atac') {
      for (let r = 0; r < a.nRegions; r++) {
        const v = means[type * a.nRegions + r]!;
        if (Number.isNaN(v)) continue;
        pred.push(v);
        obs.push(a.accessibility[type * a.nRegions + r]!);
      }
      return { cellType: a.cellTypes[type]!, regions: agreement(pred, obs) };
    }
    for (let j = 0; j < a.nRegions * 2; j++) {
      const v = means[type * a.nRegions * 2 + j]!;
      if (a.tssMask[j] !== 1 || Number.isNaN(v)) continue;
      const o = a.labels[type * a.nRegions * 2 + j]!;
      pred.push(v);
      obs.push(o);
      for (const g of genes?.[j]?.split(',').filter((s) => s !== '') ?? []) {
        const e = byGene.get(g) ?? { p: 0, o: 0, n: 0 };
        e.p += v;
        e.o += o;
        e.n += 1;
        byGene.set(g, e);
      }
    }
    const m: GetTypeMetrics = { cellType: a.cellTypes[type]!, regions: agreement(pred, obs) };
    if (byGene.size > 0) {
      const g = [...byGene.values()];
      m.genes = agreement(
        g.map((e) => e.p / e.n),
        g.map((e) => e.o / e.n),
      );
    }
    return m;
  });
}

/** genes behind each (region, strand) label, from the labels table (`genes_plus`, `genes_minus`). */
export function labelGenes(labels: Table, nRegions: number): string[] {
  const out = new Array<string>(nRegions * 2).fill('');
  const rows = labels.getChild('row');
  const gp = labels.getChild('genes_plus');
  const gm = labels.getChild('genes_minus');
  if (!rows || !gp || !gm) return out;
  for (let i = 0; i < labels.numRows; i++) {
    const r = Number(rows.get(i));
    if (gp.get(i)) out[r * 2] = String(gp.get(i));
    if (gm.get(i)) out[r * 2 + 1] = String(gm.get(i));
  }
  return out;
}

/** One row per (sample window position, strand): cell_type, window, row, position, strand, predicted, observed, tss. */
export function getPredictionsToTable(p: GetPredictions, a: GetArrays): Table {
  const out = p.task === 'expression' ? 2 : 1;
  const n = p.samples.types.length * p.windowSize * out;
  const cellType = new Array<string>(n);
  const window = new Int32Array(n);
  const row = new Int32Array(n);
  const position = new Int32Array(n);
  const strand = new Array<string>(n);
  const observed = new Float32Array(n);
  const tss = new Array<boolean>(n);
  let j = 0;
  for (let i = 0; i < p.samples.types.length; i++) {
    const type = p.samples.types[i]!;
    const w = p.samples.windows[i]!;
    const first = a.windowFirsts[w]!;
    for (let k = 0; k < p.windowSize; k++)
      for (let c = 0; c < out; c++, j++) {
        const r = first + k;
        cellType[j] = a.cellTypes[type]!;
        window[j] = w;
        row[j] = r;
        position[j] = k;
        strand[j] = out === 1 ? '.' : c === 0 ? '+' : '-';
        observed[j] =
          out === 1
            ? a.accessibility[type * a.nRegions + r]!
            : a.labels[(type * a.nRegions + r) * 2 + c]!;
        tss[j] = out === 2 && a.tssMask[r * 2 + c] === 1;
      }
  }
  return withEncoding(
    new Table({
      cell_type: vectorFromArray(cellType, new Utf8()),
      window: makeVector({ type: new Int32(), data: window }),
      row: makeVector({ type: new Int32(), data: row }),
      position: makeVector({ type: new Int32(), data: position }),
      strand: vectorFromArray(strand, new Utf8()),
      predicted: makeVector({ type: new Float32(), data: p.values }),
      observed: makeVector({ type: new Float32(), data: observed }),
      tss: vectorFromArray(tss, new Bool()),
    }),
    GET_PREDICTIONS_ENCODING,
    '1',
  );
}

export const GET_PREDICTIONS_ENCODING = 'get-predictions';
export const GET_METRICS_ENCODING = 'get-metrics';

/** One row per cell type: n, pearson, spearman, r2 on TSS regions, and per gene (NaN where absent). */
export function getMetricsToTable(m: GetTypeMetrics[]): Table {
  const col = (f: (x: GetTypeMetrics) => number): ReturnType<typeof makeVector> =>
    makeVector({ type: new Float32(), data: Float32Array.from(m.map(f)) });
  return withEncoding(
    new Table({
      cell_type: vectorFromArray(
        m.map((x) => x.cellType),
        new Utf8(),
      ),
      n_regions: col((x) => x.regions.n),
      pearson: col((x) => x.regions.pearson),
      spearman: col((x) => x.regions.spearman),
      r2: col((x) => x.regions.r2),
      n_genes: col((x) => x.genes?.n ?? 0),
      gene_pearson: col((x) => x.genes?.pearson ?? NaN),
      gene_spearman: col((x) => x.genes?.spearman ?? NaN),
      gene_r2: col((x) => x.genes?.r2 ?? NaN),
    }),
    GET_METRICS_ENCODING,
    '1',
  );
}
