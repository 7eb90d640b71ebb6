import { makeTable, pearson } from '@chromflow/core';
import type { BigWigTrack } from '@chromflow/genome-io';
import type { Table } from 'apache-arrow';
import { makeClasterBatch, type ClasterArrays } from './batches.js';
import type { ClasterModel } from './model.js';

/** Predicted profiles [idx.length, outputs] of the samples `idx` (inference mode; back from log1p space where trained there). */
export function predictClaster(
  model: ClasterModel,
  a: ClasterArrays,
  idx: Int32Array,
  batchSize = 16,
): Float32Array {
  const o = model.config.outputs;
  const out = new Float32Array(idx.length * o);
  for (let lo = 0; lo < idx.length; lo += batchSize) {
    const part = idx.subarray(lo, Math.min(idx.length, lo + batchSize));
    const y = model.predictBatch(makeClasterBatch(a, model.config, part));
    out.set(y.dataSync(), lo * o);
    y.dispose();
  }
  if (model.config.transform === 'log1p')
    for (let i = 0; i < out.length; i++) out[i] = Math.expm1(out[i]!);
  return out;
}

export interface ClasterAgreement {
  genes: number;
  /** Pearson over every (gene, 1 kbp bin) pair: CLASTER's bin level. */
  binPearson: number;
  /** Pearson of the per-gene sums of the bins within ±`geneHalfWidth` of the TSS: the gene level. */
  genePearson: number;
  /** Mean over genes of the 401-bin profile Pearson (constant profiles skipped). */
  meanProfilePearson: number;
}

/**
 * Agreement of predicted and observed profiles, both [genes, outputs] row-major.
 * `geneHalfWidth` bins each side of the centre (TSS) bin make a gene's total
 * (default 10: ±10 kbp, where CLASTER finds its predictions come from).
 */
export function clasterAgreement(
  predicted: Float32Array,
  observed: Float32Array,
  outputs: number,
  geneHalfWidth = 10,
): ClasterAgreement {
  const n = predicted.length / outputs;
  const c = (outputs - 1) / 2;
  const lo = Math.max(0, Math.floor(c - geneHalfWidth));
  const hi = Math.min(outputs, Math.floor(c + geneHalfWidth) + 1);
  const gp = new Float64Array(n);
  const go = new Float64Array(n);
  let sum = 0;
  let k = 0;
  for (let g = 0; g < n; g++) {
    const p = predicted.subarray(g * outputs, (g + 1) * outputs);
    const ob = observed.subarray(g * outputs, (g + 1) * outputs);
    for (let i = lo; i < hi; i++) {
      gp[g]! += p[i]!;
      go[g]! += ob[i]!;
    }
    const r = pearson(p, ob);
    if (Number.isFinite(r)) {
      sum += r;
      k++;
    }
  }
  return {
    genes: n,
    binPearson: pearson(predicted, observed),
    genePearson: pearson(gp, go),
    meanProfilePearson: k > 0 ? sum / k : NaN,
  };
}

/** A gene's placement: its profile bins are 1 kbp (binSize) centred on `tss`, in gene orientation. */
export interface ClasterGenePlacement {
  gene: string;
  chromosome: string;
  strand: string;
  tss: number;
}

/**
 * Long table of profiles (encoding `claster-predictions`): gene, chromosome,
 * strand, split (utf8), offset_kb (int32, −200 … 200 in gene orientation),
 * predicted (float32), observed (float32; NaN without targets).
 */
export function clasterPredictionsTable(
  rows: { gene: string; chromosome: string; strand: string; split: string }[],
  predicted: Float32Array,
  observed: Float32Array | undefined,
  outputs: number,
): Table {
  const n = rows.length;
  const c = (outputs - 1) / 2;
  const rep = (f: (g: number) => string): string[] =>
    Array.from({ length: n * outputs }, (_, i) => f(Math.floor(i / outputs)));
  return makeTable(
    {
      gene: rep((g) => rows[g]!.gene),
      chromosome: rep((g) => rows[g]!.chromosome),
      strand: rep((g) => rows[g]!.strand),
      split: rep((g) => rows[g]!.split),
      offset_kb: Int32Array.from({ length: n * outputs }, (_, i) => (i % outputs) - c),
      predicted,
      observed: observed ?? new Float32Array(n * outputs).fill(NaN),
    },
    'claster-predictions',
  );
}

/**
 * Predicted profiles as a genome track: bin k of a + gene covers
 * [tss + (k − c)·binSize − binSize/2, + binSize) (a − gene's profile
 * reversed), clipped to the chromosome; where windows of nearby genes
 * overlap, each stretch holds the mean of the profiles covering it.
 */
export function clasterProfilesTrack(
  genes: ClasterGenePlacement[],
  predicted: Float32Array,
  outputs: number,
  chromLengths: Map<string, number>,
  binSize = 1000,
): BigWigTrack {
  const c = (outputs - 1) / 2;
  const byChrom = new Map<string, { s: number; e: number; v: number }[]>();
  genes.forEach((g, gi) => {
    const len = chromLengths.get(g.chromosome);
    if (len === undefined) throw new RangeError(`no length for chromosome ${g.chromosome}`);
    const list = byChrom.get(g.chromosome) ?? [];
    byChrom.set(g.chromosome, list);
    for (let k = 0; k < outputs; k++) {
      const genomeBin = g.strand === '-' ? outputs - 1 - k : k;
      const s = g.tss + (genomeBin - c) * binSize - binSize / 2;
      const cs = Math.max(0, s);
      const ce = Math.min(len, s + binSize);
      if (ce > cs) list.push({ s: cs, e: ce, v: predicted[gi * outputs + k]! });
    }
  });
  const chroms = [...chromLengths]
    .filter(([name]) => byChrom.has(name))
    .map(([name, length]) => ({ name, length }));
  const intervals = new Map<
    string,
    { starts: Int32Array; ends: Int32Array; values: Float32Array }
  >();
  for (const { name } of chroms) {
    // Sweep over interval ends: each elementary stretch gets the mean of the covering values.
    const ev: [number, number, number][] = [];
    for (const iv of byChrom.get(name)!) ev.push([iv.s, 1, iv.v], [iv.e, -1, iv.v]);
    ev.sort((x, y) => x[0] - y[0]);
    const starts: number[] = [];
    const ends: number[] = [];
    const values: number[] = [];
    let sum = 0;
    let cnt = 0;
    for (let i = 0; i < ev.length;) {
      const pos = ev[i]![0];
      for (; i < ev.length && ev[i]![0] === pos; i++) {
        sum += ev[i]![1] * ev[i]![2];
        cnt += ev[i]![1];
      }
      const next = i < ev.length ? ev[i]![0] : pos;
      if (cnt > 0 && next > pos) {
        starts.push(pos);
        ends.push(next);
        values.push(sum / cnt);
      }
      if (cnt === 0) sum = 0; // drop accumulated rounding between disjoint windows
    }
    intervals.set(name, {
      starts: Int32Array.from(starts),
      ends: Int32Array.from(ends),
      values: Float32Array.from(values),
    });
  }
  return { chroms, intervals };
}
