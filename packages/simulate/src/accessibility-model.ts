import type { MotifInstance, SimPeak } from './peak-layout.js';
import type { Random } from './random.js';
import { sigmoid } from './random.js';

/** A cell type and the activity A[f, t] of each TF in it (absent = 0). */
export interface CellTypeSpec {
  name: string;
  count: number;
  activity: Record<string, number>;
}

/** Per-peak parameters of the accessibility model. */
export interface PeakParams {
  /** Baseline logit b_p. */
  bias: number;
  /** w_{p,f}: logit gained per unit of TF f's activity. */
  weights: Record<string, number>;
  /** h_p: relative fragment yield when open (log-normal, promoters ×1.5). */
  strength: number;
}

/** A simulated cell. */
export interface SimCell {
  barcode: string;
  cellType: string;
  /** s_{c,f} = A[f, t(c)] · exp(σ z − σ²/2): the cell's own TF activity. */
  tfState: Record<string, number>;
}

/** Constants of the accessibility model (logit scale). */
export interface AccessibilityConstants {
  /** Mean and sd of b_p for TF-driven peaks. */
  tfBias: [number, number];
  /** w_{p,f} = tfWeight · (0.6 + 0.8 q̄) · (1 + 0.25 (sites − 1)), q̄ = the sites' mean relative PWM score (~0.5). */
  tfWeight: number;
  constitutiveBias: [number, number];
  promoterBias: [number, number];
  backgroundBias: [number, number];
  /** σ of the per-cell log TF activity. */
  cellStateSd: number;
}

export const DEFAULT_ACCESSIBILITY: AccessibilityConstants = {
  tfBias: [-2.8, 0.4],
  tfWeight: 4.5,
  constitutiveBias: [-2.5, 0.4],
  promoterBias: [0.6, 0.7],
  backgroundBias: [-2.2, 0.5],
  cellStateSd: 0.35,
};

/** Mean and sd of the baseline logit b_p of a peak class. */
export function biasPrior(kind: SimPeak['kind'], k: AccessibilityConstants): [number, number] {
  if (kind === 'tf') return k.tfBias;
  if (kind === 'constitutive') return k.constitutiveBias;
  if (kind === 'promoter') return k.promoterBias;
  return k.backgroundBias;
}

/** The yield h_p of a peak class: scale · LogNormal(0, logSd) (promoters yield 1.5× more). */
export function strengthPrior(kind: SimPeak['kind']): { logSd: number; scale: number } {
  return { logSd: 0.35, scale: kind === 'promoter' ? 1.5 : 1 };
}

/** Draws b_p, w_{p,f} and h_p for every peak from its class and its planted driver sites. */
export function makePeakParams(
  peaks: readonly SimPeak[],
  instances: readonly MotifInstance[],
  k: AccessibilityConstants,
  rng: Random,
): PeakParams[] {
  const sites = new Map<string, MotifInstance[]>();
  for (const inst of instances) {
    if (inst.role !== 'driver') continue;
    const key = `${inst.peak}\t${inst.tf}`;
    const list = sites.get(key) ?? [];
    list.push(inst);
    sites.set(key, list);
  }
  return peaks.map((p) => {
    const [mu, sd] = biasPrior(p.kind, k);
    const bias = mu + sd * rng.normal();
    const weights: Record<string, number> = {};
    for (const tf of p.drivers) {
      const list = sites.get(`${p.name}\t${tf}`) ?? [];
      const meanRel =
        list.reduce((s, x) => s + Math.max(0, x.relativeScore), 0) / Math.max(1, list.length);
      weights[tf] = k.tfWeight * (0.6 + 0.8 * meanRel) * (1 + 0.25 * (list.length - 1));
    }
    const { logSd, scale } = strengthPrior(p.kind);
    const strength = rng.logNormal(0, logSd) * scale;
    return { bias, weights, strength };
  });
}

const BASES = 'ACGT';

/** Random 10x-style barcodes (16 bases + `-1`), unique, returned sorted. */
export function makeBarcodes(n: number, rng: Random): string[] {
  const set = new Set<string>();
  while (set.size < n) {
    let b = '';
    for (let i = 0; i < 16; i++) b += BASES[rng.int(0, 4)]!;
    set.add(`${b}-1`);
  }
  return [...set].sort();
}

/** Cells of every type, in barcode order (types interleaved at random), with their TF states. */
export function makeCells(
  types: readonly CellTypeSpec[],
  tfs: readonly string[],
  k: AccessibilityConstants,
  rng: Random,
): SimCell[] {
  const labels: string[] = [];
  for (const t of types) for (let i = 0; i < t.count; i++) labels.push(t.name);
  rng.shuffle(labels);
  const barcodes = makeBarcodes(labels.length, rng);
  const byName = new Map(types.map((t) => [t.name, t]));
  const sd = k.cellStateSd;
  return labels.map((cellType, i) => {
    const tfState: Record<string, number> = {};
    for (const tf of tfs) {
      const a = byName.get(cellType)!.activity[tf] ?? 0;
      tfState[tf] = a * Math.exp(sd * rng.normal() - (sd * sd) / 2);
    }
    return { barcode: barcodes[i]!, cellType, tfState };
  });
}

/** π_{c,p} = σ(b_p + Σ_f w_{p,f} s_{c,f}) for every cell (rows) × peak (columns), row-major. */
export function openProbabilities(
  cells: readonly SimCell[],
  params: readonly PeakParams[],
): Float64Array {
  const out = new Float64Array(cells.length * params.length);
  cells.forEach((c, i) => {
    params.forEach((p, j) => {
      let logit = p.bias;
      for (const tf in p.weights) logit += p.weights[tf]! * (c.tfState[tf] ?? 0);
      out[i * params.length + j] = sigmoid(logit);
    });
  });
  return out;
}
