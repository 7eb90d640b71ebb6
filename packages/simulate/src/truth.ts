import type { AurocBounds } from './bounds.js';
import { aurocBounds } from './bounds.js';
import { biasPrior, strengthPrior } from './accessibility-model.js';
import type { SimDataset } from './dataset.js';
import type { SimPeak } from './peak-layout.js';
import { drawFragmentLength } from './fragment-sampler.js';
import { gcFraction } from './genome-model.js';
import { Random, sigmoid } from './random.js';
import { type DriveHypothesis, sequencePosteriors } from './sequence-posterior.js';

/**
 * P(y_{c,p} = 1) under the generative model given the cell's TF state and
 * depth: 1 − [π e^{−λ} + (1 − π) e^{−leak·λ}] · e^{−ρ_c (W_p + E[min(L − 1, W_p)])},
 * with λ = κ_c h_p, W_p the peak width and L the fragment length (a uniform
 * background fragment [s, s+L) puts an insertion in the peak when s or s+L−1
 * falls in it: a union of two W-long windows L−1 apart). Ignores insertions
 * spilling over from neighbouring peaks. `pi` overrides π (cells × peaks).
 * Row-major cells × peaks.
 */
export function observationProbabilities(
  ds: SimDataset,
  pi: Float64Array = ds.openProbability,
): Float64Array {
  const nPeaks = ds.peaks.length;
  const out = new Float64Array(ds.cells.length * nPeaks);
  const terms = insertionTerms(ds);
  for (let c = 0; c < ds.cells.length; c++) {
    for (let p = 0; p < nPeaks; p++) {
      const t = terms(c, p);
      out[c * nPeaks + p] = observed(pi[c * nPeaks + p]!, t.noneOpen, t.noneLeak, t.noneBackground);
    }
  }
  return out;
}

/**
 * The three no-insertion probabilities of `observed` for cell c in peak p,
 * depth and yield known: open state e^{−λ}, leak e^{−leak·λ}, background
 * e^{−ρ_c (W_p + E[min(L − 1, W_p)])}, λ = κ_c h_p.
 */
function insertionTerms(
  ds: SimDataset,
): (c: number, p: number) => { noneOpen: number; noneLeak: number; noneBackground: number } {
  const leak = ds.options.fragments.leak;
  const lengths = fragmentLengthSample();
  return (c, p) => {
    const d = ds.depths[c]!;
    const w = ds.peaks[p]!.end - ds.peaks[p]!.start;
    const lambda = d.kappa * ds.peakParams[p]!.strength;
    return {
      noneOpen: Math.exp(-lambda),
      noneLeak: Math.exp(-leak * lambda),
      noneBackground: Math.exp(-d.backgroundRate * (w + meanMin(lengths, w))),
    };
  };
}

/**
 * π replaced by its cell-type mean estimated from data: for every (type,
 * peak), the maximum-likelihood mean π given the observed y of the type's
 * cells outside `splits.heldOutCells`, under the observation model of
 * `observationProbabilities` (depth and h_p known, so P(y = 1) = u + π·v is
 * linear in π and the log-likelihood concave). What the training cells can
 * teach about each peak when the cell type is read without error. Row-major
 * cells × peaks; meaningful out of sample, i.e. for held-out cells.
 */
export function fittedTypeOpenProbabilities(ds: SimDataset): Float64Array {
  const nPeaks = ds.peaks.length;
  const nCells = ds.cells.length;
  const terms = insertionTerms(ds);
  const types = [...new Set(ds.cells.map((c) => c.cellType))];
  const training = types.map((t) =>
    ds.cells.flatMap((c, i) => (c.cellType === t && ds.heldOutCells[i] !== 1 ? [i] : [])),
  );
  const typeOf = ds.cells.map((c) => types.indexOf(c.cellType));
  const out = new Float64Array(nCells * nPeaks);
  const u = new Float64Array(nCells);
  const v = new Float64Array(nCells);
  for (let p = 0; p < nPeaks; p++) {
    // P(y = 1) = 1 − [π·open + (1 − π)·leak]·background = u + π·v.
    for (let c = 0; c < nCells; c++) {
      const t = terms(c, p);
      u[c] = 1 - t.noneLeak * t.noneBackground;
      v[c] = t.noneBackground * (t.noneLeak - t.noneOpen);
    }
    const fitted = training.map((cells) => {
      // d/dπ of the log-likelihood; decreasing in π.
      const slope = (pi: number): number => {
        let s = 0;
        for (const c of cells) {
          const q = u[c]! + pi * v[c]!;
          s += ds.observed[c * nPeaks + p] ? v[c]! / q : -v[c]! / (1 - q);
        }
        return s;
      };
      if (slope(0) <= 0) return 0;
      if (slope(1) >= 0) return 1;
      let lo = 0;
      let hi = 1;
      for (let it = 0; it < 40; it++) {
        const mid = (lo + hi) / 2;
        if (slope(mid) > 0) lo = mid;
        else hi = mid;
      }
      return (lo + hi) / 2;
    });
    for (let c = 0; c < nCells; c++) out[c * nPeaks + p] = fitted[typeOf[c]!]!;
  }
  return out;
}

/** 1 − [π·P(no open-state insertion) + (1 − π)·P(no leak insertion)]·P(no background insertion). */
function observed(pi: number, noneOpen: number, noneLeak: number, noneBackground: number): number {
  return 1 - (pi * noneOpen + (1 - pi) * noneLeak) * noneBackground;
}

/**
 * The best prediction from what XChrom's inputs can carry for an unseen peak:
 * the cell's type and depth, and what the peak's sequence says of its drivers
 * (by default its planted class and sites, hence w_{p,f}; `hypotheses` gives a
 * posterior over them instead), with the peak's own random baseline b_p and
 * yield h_p unknown — averaged over their priors (b ~ N(μ, σ) of the class,
 * h ~ LogNormal(0, 0.35), ×1.5 for promoters) on 64 fixed normal draws.
 * P(y = 1) is linear in π, so the type mean of π is exact for the TF-state
 * part. Row-major cells × peaks.
 */
export function sequenceTypeDepthProbabilities(
  ds: SimDataset,
  hypotheses: readonly (readonly DriveHypothesis[])[] = plantedHypotheses(ds),
): Float64Array {
  const nPeaks = ds.peaks.length;
  const k = ds.options.accessibility;
  const leak = ds.options.fragments.leak;
  const lengths = fragmentLengthSample();
  const draws = new Random(4242);
  const z = Float64Array.from({ length: 64 }, () => draws.normal());
  const byType = new Map<string, number[]>();
  ds.cells.forEach((c, i) => {
    const list = byType.get(c.cellType);
    if (list) list.push(i);
    else byType.set(c.cellType, [i]);
  });
  // E_h[e^{−κ_c h}] and E_h[e^{−leak κ_c h}] per cell, for each class's yield prior.
  const yieldTerms = new Map<string, { noneOpen: Float64Array; noneLeak: Float64Array }>();
  const yieldTermsOf = (
    kind: SimPeak['kind'],
  ): { noneOpen: Float64Array; noneLeak: Float64Array } => {
    const { logSd, scale } = strengthPrior(kind);
    const key = `${logSd}:${scale}`;
    let t = yieldTerms.get(key);
    if (!t) {
      t = {
        noneOpen: new Float64Array(ds.cells.length),
        noneLeak: new Float64Array(ds.cells.length),
      };
      for (let c = 0; c < ds.cells.length; c++) {
        let open = 0;
        let leaked = 0;
        for (const zi of z) {
          const lambda = ds.depths[c]!.kappa * scale * Math.exp(logSd * zi);
          open += Math.exp(-lambda);
          leaked += Math.exp(-leak * lambda);
        }
        t.noneOpen[c] = open / z.length;
        t.noneLeak[c] = leaked / z.length;
      }
      yieldTerms.set(key, t);
    }
    return t;
  };
  // E_b[σ(b + drive)] of each class, tabulated over the drive (a hypothesis-rich
  // posterior would otherwise cost 64 sigmoids per cell, peak and hypothesis).
  const meanOpenByKind = new Map<SimPeak['kind'], (drive: number) => number>();
  const meanOpenOf = (kind: SimPeak['kind']): ((drive: number) => number) => {
    let f = meanOpenByKind.get(kind);
    if (!f) {
      const [mu, sd] = biasPrior(kind, k);
      f = tabulate((d) => {
        let sum = 0;
        for (const zi of z) sum += sigmoid(mu + sd * zi + d);
        return sum / z.length;
      });
      meanOpenByKind.set(kind, f);
    }
    return f;
  };
  const out = new Float64Array(ds.cells.length * nPeaks);
  const typePi = new Map<string, number>();
  for (let p = 0; p < nPeaks; p++) {
    const peak = ds.peaks[p]!;
    // E_{hypothesis, b}[mean over the type's cells of σ(b + Σ w s)]. Every class
    // but promoters shares one yield prior, so mixing π is exact.
    typePi.clear();
    for (const h of hypotheses[p]!) {
      const meanOpen = meanOpenOf(h.kind);
      for (const [type, cells] of byType) {
        let sum = 0;
        for (const c of cells) {
          let drive = 0;
          for (const tf in h.weights) drive += h.weights[tf]! * (ds.cells[c]!.tfState[tf] ?? 0);
          sum += meanOpen(drive);
        }
        const mean = sum / cells.length;
        typePi.set(type, (typePi.get(type) ?? 0) + h.probability * mean);
      }
    }
    const w = peak.end - peak.start;
    const reach = w + meanMin(lengths, w);
    const { noneOpen, noneLeak } = yieldTermsOf(peak.kind);
    ds.depths.forEach((d, c) => {
      out[c * nPeaks + p] = observed(
        typePi.get(ds.cells[c]!.cellType)!,
        noneOpen[c]!,
        noneLeak[c]!,
        Math.exp(-d.backgroundRate * reach),
      );
    });
  }
  return out;
}

/**
 * `f` on [0, 64] by linear interpolation on a 1/1024 grid (error < 1e-8 for the
 * smooth, bounded means it is used for); computed directly outside the grid.
 */
function tabulate(f: (x: number) => number): (x: number) => number {
  const steps = 1024;
  const table = Float64Array.from({ length: 64 * steps + 1 }, (_, i) => f(i / steps));
  return (x) => {
    const t = x * steps;
    if (!(t >= 0 && t < table.length - 1)) return f(x);
    const i = Math.floor(t);
    return table[i]! + (t - i) * (table[i + 1]! - table[i]!);
  };
}

/** One hypothesis a peak: its planted class and sites (what `sequenceTypeAndDepth` knows). */
function plantedHypotheses(ds: SimDataset): DriveHypothesis[][] {
  return ds.peaks.map((peak, p) => [
    { kind: peak.kind, weights: ds.peakParams[p]!.weights, probability: 1 },
  ]);
}

/** 20,000 fragment lengths from a fixed stream (seed 12345) for the background-overlap term. */
function fragmentLengthSample(): Int32Array {
  const rng = new Random(12345);
  return Int32Array.from({ length: 20_000 }, () => drawFragmentLength(rng));
}

const meanMinCache = new Map<number, number>();
/** E[min(L − 1, w)] over the sample. */
function meanMin(lengths: Int32Array, w: number): number {
  const hit = meanMinCache.get(w);
  if (hit !== undefined) return hit;
  let s = 0;
  for (const l of lengths) s += Math.min(l - 1, w);
  const m = s / lengths.length;
  meanMinCache.set(w, m);
  return m;
}

/** Mean π_{c,p} over each cell type's cells: cell types × peaks. */
export function cellTypeOpenProbabilities(ds: SimDataset): Map<string, Float64Array> {
  const nPeaks = ds.peaks.length;
  const out = new Map<string, Float64Array>();
  const n = new Map<string, number>();
  ds.cells.forEach((c, i) => {
    const acc = out.get(c.cellType) ?? new Float64Array(nPeaks);
    for (let p = 0; p < nPeaks; p++) acc[p]! += ds.openProbability[i * nPeaks + p]!;
    out.set(c.cellType, acc);
    n.set(c.cellType, (n.get(c.cellType) ?? 0) + 1);
  });
  for (const [t, acc] of out) for (let p = 0; p < nPeaks; p++) acc[p]! /= n.get(t)!;
  return out;
}

/** The achievable-accuracy figures written to truth.json `bounds`. */
export interface TruthBounds {
  description: string;
  /** Fraction of (cell, peak) pairs with y = 1, and the mean of the model's P(y = 1) (calibration check). */
  observedPositiveRate: number;
  expectedPositiveRate: number;
  /** Predictor = P(y=1 | model, cell state, depth): the ceiling. */
  ceiling: Record<'all' | 'heldOutPeaks' | 'heldOutCells' | 'heldOutBoth', AurocBounds>;
  /** Predictor = π_{c,p} (cell state, no depth). */
  cellProbability: Record<'all' | 'heldOutPeaks' | 'heldOutCells', AurocBounds>;
  /** Predictor = the cell type's mean π (type label only). */
  cellTypeProbability: Record<'all' | 'heldOutPeaks' | 'heldOutCells', AurocBounds>;
  /** Predictor = P(y=1 | cell type, depth, the peak's parameters): the reference for unseen cells. */
  typeAndDepth: Record<'all' | 'heldOutPeaks' | 'heldOutCells', AurocBounds>;
  /** As `typeAndDepth` with each (type, peak) mean π fitted to the training cells' y (`fittedTypeOpenProbabilities`). */
  typeAndDepthFitted: Record<'heldOutCells', AurocBounds>;
  /** Predictor = P(y=1 | cell type, depth, the peak's planted class and sites) with b_p, h_p unknown. */
  sequenceTypeAndDepth: Record<
    'all' | 'heldOutPeaks' | 'heldOutCells' | 'heldOutBoth',
    AurocBounds
  >;
  /** As `sequenceTypeAndDepth`, with class and sites read from the bases (`sequencePosteriors`): the reference for unseen peaks. */
  sequenceReadTypeAndDepth: Record<
    'all' | 'heldOutPeaks' | 'heldOutCells' | 'heldOutBoth',
    AurocBounds
  >;
}

export function computeBounds(ds: SimDataset): TruthBounds {
  const nCells = ds.cells.length;
  const nPeaks = ds.peaks.length;
  const pObs = observationProbabilities(ds);
  const typeProb = cellTypeOpenProbabilities(ds);
  const typeScores = new Float64Array(nCells * nPeaks);
  ds.cells.forEach((c, i) => typeScores.set(typeProb.get(c.cellType)!, i * nPeaks));
  const seqScores = sequenceTypeDepthProbabilities(ds);
  const readScores = sequenceTypeDepthProbabilities(ds, sequencePosteriors(ds));
  const all = (): boolean => true;
  const hp = (p: number): boolean => ds.heldOutPeaks[p] === 1;
  const hc = (c: number): boolean => ds.heldOutCells[c] === 1;
  const trio = (s: Float64Array): Record<'all' | 'heldOutPeaks' | 'heldOutCells', AurocBounds> => ({
    all: round(aurocBounds(s, ds.observed, nCells, nPeaks, all, all)),
    heldOutPeaks: round(aurocBounds(s, ds.observed, nCells, nPeaks, all, hp)),
    heldOutCells: round(aurocBounds(s, ds.observed, nCells, nPeaks, hc, all)),
  });
  let pos = 0;
  let expected = 0;
  for (let i = 0; i < ds.observed.length; i++) {
    pos += ds.observed[i]!;
    expected += pObs[i]!;
  }
  return {
    description:
      'AUROC of a predictor against the sampled binarised peak counts y (any Tn5 insertion of the cell in the peak). ' +
      '`ceiling` scores each (cell, peak) by its exact P(y = 1) under the generative model (TF state and depth known): ' +
      'no predictor can do better in expectation. `cellProbability` uses π (no depth), `cellTypeProbability` the cell ' +
      'type mean of π. `typeAndDepth` knows the cell type and depth and the peak: what a model that reads the cell type ' +
      'from RNA and depth from b_zscore can reach on unseen cells; `typeAndDepthFitted` estimates each type mean π of a ' +
      "peak from the training cells' y instead of knowing it (held-out cells only). `sequenceTypeAndDepth` also averages the peak's own " +
      'random baseline and yield over their priors, keeping its planted class and driver sites. `sequenceReadTypeAndDepth` ' +
      'knows no planted site: it reads class and sites from the bases of the peak, as the posterior of the generative ' +
      'model (true PWMs, site counts and positions, background chain; promoters known from their TSS): the reference ' +
      'for unseen peaks. overall = all selected pairs pooled; perCell = mean over cells of the AUROC across peaks; ' +
      'perPeak = mean over peaks of the AUROC across cells. Held-out sets are listed under `splits`.',
    observedPositiveRate: r6(pos / ds.observed.length),
    expectedPositiveRate: r6(expected / ds.observed.length),
    ceiling: {
      ...trio(pObs),
      heldOutBoth: round(aurocBounds(pObs, ds.observed, nCells, nPeaks, hc, hp)),
    },
    cellProbability: trio(ds.openProbability),
    cellTypeProbability: trio(typeScores),
    typeAndDepth: trio(observationProbabilities(ds, typeScores)),
    typeAndDepthFitted: {
      heldOutCells: round(
        aurocBounds(
          observationProbabilities(ds, fittedTypeOpenProbabilities(ds)),
          ds.observed,
          nCells,
          nPeaks,
          hc,
          all,
        ),
      ),
    },
    sequenceTypeAndDepth: {
      ...trio(seqScores),
      heldOutBoth: round(aurocBounds(seqScores, ds.observed, nCells, nPeaks, hc, hp)),
    },
    sequenceReadTypeAndDepth: {
      ...trio(readScores),
      heldOutBoth: round(aurocBounds(readScores, ds.observed, nCells, nPeaks, hc, hp)),
    },
  };
}

function round(b: AurocBounds): AurocBounds {
  return { overall: r6(b.overall), perCell: r6(b.perCell), perPeak: r6(b.perPeak) };
}

/** Rounds to 6 decimals (keeps truth.json small and stable). */
export function r6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function r3(x: number): number {
  return Math.round(x * 1e3) / 1e3;
}

function r4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Genes whose mean true rate in a type is ≥ 2× their highest mean in any other type. */
export function markerGenes(ds: SimDataset): Record<string, string[]> {
  const nGenes = ds.genes.length;
  const types = ds.options.cellTypes.map((t) => t.name);
  const mean = types.map(() => new Float64Array(nGenes));
  const count = types.map(() => 0);
  ds.cells.forEach((c, i) => {
    const t = types.indexOf(c.cellType);
    count[t]!++;
    for (let g = 0; g < nGenes; g++) mean[t]![g]! += Math.exp(ds.logRates[i * nGenes + g]!);
  });
  const out: Record<string, string[]> = {};
  types.forEach((t, ti) => {
    out[t] = [];
    for (let g = 0; g < nGenes; g++) {
      const own = mean[ti]![g]! / count[ti]!;
      let other = 0;
      types.forEach((_, tj) => {
        if (tj !== ti) other = Math.max(other, mean[tj]![g]! / count[tj]!);
      });
      if (own >= 2 * other) out[t].push(ds.genes[g]!.geneName);
    }
  });
  return out;
}

/** The truth.json object (see the package README for the schema). */
export function makeTruth(ds: SimDataset): Record<string, unknown> {
  const o = ds.options;
  const typeProb = cellTypeOpenProbabilities(ds);
  const types = o.cellTypes.map((t) => t.name);
  const drivers = o.motifs.filter((m) => m.role === 'driver');
  return {
    format: 'chromflow-simulate-truth',
    version: 1,
    seed: o.seed,
    conventions: {
      coordinates: '0-based half-open everywhere in this file (BED-like); GTF is 1-based inclusive',
      insertions: 'a fragment [start, end) has Tn5 insertions at start and end - 1 (0-based)',
      observed: 'y[cell, peak] = 1 when any insertion of the cell lies in [peak.start, peak.end)',
      openProbability:
        'pi[c, p] = sigmoid(peaks[p].bias + sum_f peaks[p].weights[f] * cells[c].tfState[f])',
    },
    genome: {
      chromosomes: ds.chroms.map((c, i) => ({
        name: c.name,
        length: c.seq.length,
        gaps: c.gaps.map((g) => [g.start, g.end]),
        repeatBases: ds.repeats[i]!.reduce((s, r) => s + r.end - r.start, 0),
      })),
      gcFraction: r4(gcFraction(concat(ds.chroms.map((c) => c.seq)))),
      coordinates: '0-based half-open',
    },
    cellTypes: o.cellTypes.map((t) => ({ name: t.name, cells: t.count, tfActivity: t.activity })),
    motifs: o.motifs.map((m) => ({
      id: m.id,
      tf: m.tf,
      role: m.role,
      consensus: m.consensus,
      drivesCellTypes:
        m.role === 'decoy'
          ? []
          : o.cellTypes.filter((t) => (t.activity[m.tf] ?? 0) > 0).map((t) => t.name),
    })),
    motifDrivesCellType: Object.fromEntries(
      drivers.map((m) => [
        m.id,
        Object.fromEntries(
          types.map((t) => [t, o.cellTypes.find((x) => x.name === t)!.activity[m.tf] ?? 0]),
        ),
      ]),
    ),
    splits: {
      heldOutPeaks: ds.peaks.filter((_, i) => ds.heldOutPeaks[i] === 1).map((p) => p.name),
      heldOutCells: ds.cells.filter((_, i) => ds.heldOutCells[i] === 1).map((c) => c.barcode),
    },
    bounds: computeBounds(ds),
    markerGenes: markerGenes(ds),
    peaks: ds.peaks.map((p, i) => ({
      name: p.name,
      chrom: p.chrom,
      start: p.start,
      end: p.end,
      summit: p.summit,
      class: p.kind,
      drivers: p.drivers,
      ...(p.geneId ? { promoterOf: p.geneId } : {}),
      bias: r3(ds.peakParams[i]!.bias),
      weights: Object.fromEntries(
        Object.entries(ds.peakParams[i]!.weights).map(([k, v]) => [k, r3(v)]),
      ),
      strength: r3(ds.peakParams[i]!.strength),
      openProbability: Object.fromEntries(types.map((t) => [t, r3(typeProb.get(t)![i]!)])),
    })),
    motifInstances: ds.instances.map((m) => ({
      peak: m.peak,
      motif: m.motifId,
      chrom: m.chrom,
      start: m.start,
      end: m.end,
      strand: m.strand,
      sequence: m.sequence,
      relativeScore: r3(m.relativeScore),
    })),
    genes: ds.genes.map((g, i) => {
      const r = ds.regulation[i]!;
      return {
        geneId: g.geneId,
        geneName: g.geneName,
        chrom: g.chrom,
        tss: g.tss,
        strand: g.strand,
        kind: r.kind,
        ...(r.tf ? { tf: r.tf } : {}),
        alpha: r4(r.alpha),
        promoterPeak: r.promoterPeak >= 0 ? ds.peaks[r.promoterPeak]!.name : null,
        promoterBeta: r4(r.promoterBeta),
        enhancers: r.enhancers.map((e) => ({ peak: ds.peaks[e.peak]!.name, beta: r4(e.beta) })),
      };
    }),
    cells: ds.cells.map((c, i) => ({
      barcode: c.barcode,
      cellType: c.cellType,
      tfState: Object.fromEntries(Object.entries(c.tfState).map(([k, v]) => [k, r4(v)])),
      expectedFragments: r4(ds.depths[i]!.depth),
      kappa: r6(ds.depths[i]!.kappa),
      backgroundRate: Number(ds.depths[i]!.backgroundRate.toPrecision(6)),
      librarySize: r4(ds.librarySizes[i]!),
    })),
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * JSON with top-level keys on their own lines and each element of a top-level
 * array on one line: diff-friendly and ~3× smaller than fully indented JSON.
 */
export function formatTruthJson(truth: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(truth)) {
    if (Array.isArray(v)) {
      parts.push(
        `  ${JSON.stringify(k)}: [\n${v.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`,
      );
    } else {
      parts.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v, null, 2).replace(/\n/g, '\n  ')}`);
    }
  }
  return `{\n${parts.join(',\n')}\n}\n`;
}
