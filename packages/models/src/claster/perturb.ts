import { ChromflowError } from '@chromflow/core';
import type { ClasterArrays } from './batches.js';
import type { ClasterModel } from './model.js';
import { predictClaster } from './predict.js';

/**
 * An in-silico silencing (CLASTER's use of a trained model): the chosen
 * tracks over landscape bins [from, to] (offsets from the TSS bin in gene
 * orientation, inclusive) set to 0 (`zero`) or to the track's background,
 * its mean over every bin of the samples given (`background`).
 */
export interface ClasterPerturbation {
  name: string;
  tracks: number[];
  from: number;
  to: number;
  mode: 'zero' | 'background';
}

export interface ClasterPerturbationResult {
  name: string;
  /** Per gene (order of `idx`): predicted total within ±geneHalfWidth bins of the TSS, before and after. */
  baseline: Float64Array;
  perturbed: Float64Array;
}

/** Mean of each track over every bin of the samples `idx`. */
export function trackBackground(a: ClasterArrays, idx: Int32Array): Float64Array {
  const out = new Float64Array(a.nTracks);
  for (const g of idx)
    for (let t = 0; t < a.nTracks; t++) {
      const o = (g * a.nTracks + t) * a.nBins;
      let s = 0;
      for (let i = 0; i < a.nBins; i++) s += a.landscape[o + i]!;
      out[t]! += s;
    }
  return out.map((s) => s / Math.max(1, idx.length * a.nBins));
}

/** Copy of the samples `idx`' landscapes (rows renumbered 0…) with `p` applied. */
export function perturbLandscapes(
  a: ClasterArrays,
  idx: Int32Array,
  p: ClasterPerturbation,
  background: Float64Array,
): ClasterArrays {
  const c = (a.nBins - 1) / 2;
  const lo = c + p.from;
  const hi = c + p.to;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi < a.nBins && lo <= hi)) {
    throw new ChromflowError('PARAM', 'perturbation bins outside the landscape window', {
      field: `perturbations.${p.name}.from/to`,
      expected: `integers with ${-c} ≤ from ≤ to ≤ ${c}`,
      found: `${p.from} … ${p.to}`,
    });
  }
  for (const t of p.tracks) {
    if (!(Number.isInteger(t) && t >= 0 && t < a.nTracks)) {
      throw new ChromflowError('PARAM', 'perturbation track out of range', {
        field: `perturbations.${p.name}.tracks`,
        expected: `track indices 0 … ${a.nTracks - 1}`,
        found: String(t),
      });
    }
  }
  const lw = a.nTracks * a.nBins;
  const landscape = new Float32Array(idx.length * lw);
  idx.forEach((g, e) => landscape.set(a.landscape.subarray(g * lw, (g + 1) * lw), e * lw));
  for (let e = 0; e < idx.length; e++)
    for (const t of p.tracks) {
      const v = p.mode === 'zero' ? 0 : background[t]!;
      landscape.fill(v, e * lw + t * a.nBins + lo, e * lw + t * a.nBins + hi + 1);
    }
  const cw = (a.contactRows ?? 0) * (a.contactCols ?? 0);
  const out: ClasterArrays = { ...a, landscape, targets: undefined };
  if (a.contacts) {
    const contacts = new Float32Array(idx.length * cw);
    idx.forEach((g, e) => contacts.set(a.contacts!.subarray(g * cw, (g + 1) * cw), e * cw));
    out.contacts = contacts;
  }
  return out;
}

/** Sum of each profile's bins within ±halfWidth of the centre. */
export function centreTotals(
  profiles: Float32Array,
  outputs: number,
  halfWidth: number,
): Float64Array {
  const n = profiles.length / outputs;
  const c = (outputs - 1) / 2;
  const out = new Float64Array(n);
  for (let g = 0; g < n; g++)
    for (let i = Math.max(0, c - halfWidth); i <= Math.min(outputs - 1, c + halfWidth); i++)
      out[g]! += profiles[g * outputs + i]!;
  return out;
}

/** Predicted change per gene of every perturbation (gene totals within ±geneHalfWidth output bins). */
export function perturbClaster(
  model: ClasterModel,
  a: ClasterArrays,
  idx: Int32Array,
  perturbations: ClasterPerturbation[],
  o: { geneHalfWidth?: number; batchSize?: number } = {},
): ClasterPerturbationResult[] {
  const hw = o.geneHalfWidth ?? 10;
  const out = model.config.outputs;
  const baseline = centreTotals(predictClaster(model, a, idx, o.batchSize), out, hw);
  const bg = trackBackground(a, idx);
  const local = Int32Array.from(idx.keys());
  return perturbations.map((p) => {
    const pa = perturbLandscapes(a, idx, p, bg);
    const perturbed = centreTotals(predictClaster(model, pa, local, o.batchSize), out, hw);
    return { name: p.name, baseline, perturbed };
  });
}
