import { pearson } from '@chromflow/core';
import {
  CLASTER_LANDSCAPE,
  CLASTER_TARGET,
  type TrackIntervals,
  binAroundTss,
} from '@chromflow/structure-analysis';
import {
  CLASTER_PROGRAM_MARKS,
  type ClasterGeneTruth,
  type ClasterProgram,
  type ClasterProgramOptions,
  type GeneRuleTerms,
  expectedEuOf,
  trueContact,
} from './claster-program.js';
import { r6 } from './truth.js';

/** A chromosome-wide grid track (value k covers [k·bin, (k+1)·bin)) as intervals. */
export function gridIntervals(
  values: ArrayLike<number>,
  bin: number,
  length: number,
): TrackIntervals {
  const n = values.length;
  return {
    starts: Int32Array.from({ length: n }, (_, k) => k * bin),
    ends: Int32Array.from({ length: n }, (_, k) => Math.min((k + 1) * bin, length)),
    values,
  };
}

/**
 * The contact factor K̂(i, k) read from an observed map: balanced value
 * (count · w_i · w_k) over the mean balanced value at distance 1 times 1/2
 * (K = 1/(1 + d) without loops), 0 where no pixel was stored or a bin dropped.
 */
export function observedContactFactor(
  nBins: number,
  bin1: ArrayLike<number>,
  bin2: ArrayLike<number>,
  count: ArrayLike<number>,
  weights: ArrayLike<number>,
  offset = 0,
): (i: number, k: number) => number {
  const balanced = new Map<number, number>();
  let s1 = 0;
  let n1 = 0;
  for (let p = 0; p < bin1.length; p++) {
    const i = bin1[p]! - offset;
    const k = bin2[p]! - offset;
    if (i < 0 || i >= nBins || k < 0 || k >= nBins) continue;
    const v = count[p]! * weights[i + offset]! * weights[k + offset]!;
    if (!Number.isFinite(v)) continue;
    balanced.set(i * nBins + k, v);
    if (k - i === 1) {
      s1 += v;
      n1++;
    }
  }
  // pairs at distance 1 without a pixel count as zero in the mean
  const scale = (n1 > 0 ? s1 / Math.max(n1, nBins - 1) : 1) * 2;
  return (i, k) => (balanced.get(Math.min(i, k) * nBins + Math.max(i, k)) ?? 0) / scale;
}

/** Gene-level EU: Σ of a 401-bin target window from the TSS bin over the gene body (gene orientation). */
export function geneLevel(window: ArrayLike<number>, geneLength: number, bin = 1000): number {
  const c = (window.length - 1) / 2;
  const last = Math.min(window.length - 1, c + Math.floor((geneLength - 1) / bin));
  let s = 0;
  for (let k = c; k <= last; k++) s += window[k]!;
  return s;
}

/** The target window (401 × 1 kbp, gene orientation) of a gene on a chromosome-wide 1-kbp track. */
export function targetWindow(
  eu: ArrayLike<number>,
  g: ClasterGeneTruth,
  length: number,
  o: ClasterProgramOptions,
): { values: Float32Array; mask: Uint8Array } {
  return binAroundTss(
    gridIntervals(eu, o.targetBin, length),
    length,
    g.tss,
    g.strand,
    CLASTER_TARGET,
  );
}

interface Comparison {
  binPearson: number;
  genePearson: number;
  geneLogPearson: number;
  genes: number;
  bins: number;
}

/** A prediction as a chromosome-wide 1-kbp track per chromosome, or one track per gene (its own window's). */
type Predicted = Float64Array[] | ((g: ClasterGeneTruth, chromIndex: number) => ArrayLike<number>);

function compare(p: ClasterProgram, genes: ClasterGeneTruth[], predicted: Predicted): Comparison {
  const xs: number[] = [];
  const ys: number[] = [];
  const gx: number[] = [];
  const gy: number[] = [];
  for (const g of genes) {
    const c = p.chroms.findIndex((x) => x.name === g.chrom);
    const len = p.chroms[c]!.length;
    const obs = targetWindow(p.observedEu[c]!, g, len, p.options);
    const track = typeof predicted === 'function' ? predicted(g, c) : predicted[c]!;
    const pre = targetWindow(track, g, len, p.options);
    for (let k = 0; k < obs.values.length; k++) {
      if (!obs.mask[k]) continue;
      xs.push(pre.values[k]!);
      ys.push(obs.values[k]!);
    }
    gx.push(geneLevel(pre.values, g.end - g.start));
    gy.push(geneLevel(obs.values, g.end - g.start));
  }
  return {
    binPearson: pearson(xs, ys),
    genePearson: pearson(gx, gy),
    geneLogPearson: pearson(gx.map(Math.log1p), gy.map(Math.log1p)),
    genes: genes.length,
    bins: xs.length,
  };
}

/** The rule on the observed marks and the observed balanced contacts: the plug-in reference. */
export function referenceEu(p: ClasterProgram): Float64Array[] {
  return referenceRule(p).map((r) => r.eu);
}

/** {@link referenceEu} with the rule's per-gene terms (genes of each chromosome in program order). */
export function referenceRule(p: ClasterProgram): { eu: Float64Array; terms: GeneRuleTerms[] }[] {
  const o = p.options;
  return p.chroms.map((c, ci) => {
    const nBins = Math.ceil(c.length / o.contactBin);
    const k = observedContactFactor(
      nBins,
      p.contacts.bin1,
      p.contacts.bin2,
      p.contacts.count,
      p.contacts.weights,
      p.contacts.chromOffsets[ci],
    );
    return expectedEuOf(
      { name: c.name, length: c.length, marks: c.observedMarks },
      p.genes.filter((g) => g.chrom === c.name),
      o,
      k,
    );
  });
}

/**
 * P(a gene body covers the 100-bp bin d bins downstream of its TSS), d = 0 …
 * maxBins − 1, under the generator's length law (integer lengths uniform on
 * [geneLength[0], geneLength[1])) and `expectedEuOf`'s body bins for a TSS at
 * a bin's centre: + covers d < ⌈(tb/2 + L)/tb⌉, − covers d ≤ −⌊(tb/2 + 1 − L)/tb⌋.
 */
export function bodyCoverage(
  o: ClasterProgramOptions,
  strand: '+' | '-',
  maxBins: number,
): Float64Array {
  const tb = o.trackBin;
  const [lo, hi] = o.geneLength;
  const counts = new Float64Array(maxBins + 1);
  for (let len = lo; len < hi; len++) {
    const covered =
      strand === '+' ? Math.ceil((tb / 2 + len) / tb) : 1 - Math.floor((tb / 2 + 1 - len) / tb);
    counts[Math.min(maxBins, covered)]! += 1;
  }
  // S(d) = P(covered > d)
  const s = new Float64Array(maxBins);
  let above = hi - lo;
  for (let d = 0; d < maxBins; d++) {
    above -= counts[d]!;
    s[d] = above / (hi - lo);
  }
  return s;
}

/**
 * The landscape-only reference: the rule from what CLASTER's inputs hold. The
 * window of gene g carries the marks around g in g's orientation, so g's own
 * strand is known, but not where any gene body ends nor which way g's
 * neighbours run (the four marks are symmetric about a TSS). So each gene h
 * of the chromosome adds its rule rate (observed marks and contacts, as
 * {@link referenceEu}) times the expected body: the pause over the first kb
 * and P(body covers the bin) ({@link bodyCoverage}); g downstream in its own
 * direction, every other gene half each way. Enhancer RNA as the rule. Returns
 * g's 1-kbp track on its chromosome (`targetWindow` takes the window).
 */
export function landscapeOnlyEu(
  p: ClasterProgram,
): (g: ClasterGeneTruth, chromIndex: number) => Float64Array {
  const o = p.options;
  const tb = o.trackBin;
  const ratio = o.targetBin / tb;
  const maxBins = Math.ceil(o.geneLength[1] / tb) + 2;
  const cover = { '+': bodyCoverage(o, '+', maxBins), '-': bodyCoverage(o, '-', maxBins) };
  const rule = referenceRule(p);
  const rate = new Map<string, number>();
  p.chroms.forEach((c, ci) =>
    p.genes
      .filter((g) => g.chrom === c.name)
      .forEach((g, i) => rate.set(g.geneId, rule[ci]!.terms[i]!.rate)),
  );
  /** Adds w × h's expected body running `dir` (+1 up the genome) onto a 100-bp track. */
  const addBody = (fine: Float64Array, h: ClasterGeneTruth, dir: 1 | -1, w: number): void => {
    const t = Math.floor(h.tss / tb);
    const s = cover[dir === 1 ? '+' : '-'];
    const r = (w * rate.get(h.geneId)!) / 10;
    for (let d = 0; d < maxBins; d++) {
      const j = t + dir * d;
      if (j < 0 || j >= fine.length) break;
      fine[j] = fine[j]! + r * s[d]! * (d < 1000 / tb ? o.rule.pause : 1);
    }
  };
  const toGrid = (fine: Float64Array, length: number): Float64Array => {
    const eu = new Float64Array(Math.ceil(length / o.targetBin));
    for (let j = 0; j < fine.length; j++) eu[Math.floor(j / ratio)]! += fine[j]!;
    return eu;
  };
  // per chromosome: every gene half each way, plus enhancer RNA
  const symmetric = p.chroms.map((c) => {
    const [atac, , k27ac] = c.observedMarks;
    const fine = new Float64Array(atac!.length);
    for (let j = 0; j < fine.length; j++)
      fine[j] = (o.rule.eRna * Math.sqrt(Math.max(0, atac![j]!) * Math.max(0, k27ac![j]!))) / ratio;
    for (const h of p.genes) {
      if (h.chrom !== c.name) continue;
      addBody(fine, h, 1, 0.5);
      addBody(fine, h, -1, 0.5);
    }
    return toGrid(fine, c.length);
  });
  return (g, ci) => {
    const c = p.chroms[ci]!;
    const fine = new Float64Array(c.observedMarks[0]!.length);
    const own = g.strand === '+' ? 1 : -1;
    addBody(fine, g, own, 0.5);
    addBody(fine, g, own === 1 ? -1 : 1, -0.5);
    const diff = toGrid(fine, c.length);
    return symmetric[ci]!.map((v, k) => v + diff[k]!);
  };
}

export interface PlantedPerturbation {
  gene: string;
  kind: 'promoter' | 'enhancer' | 'repressive';
  mark: string;
  chrom: string;
  /** Silenced span (bp, 0-based half-open); the mark is set to 0 there. */
  start: number;
  end: number;
  /** The same span as landscape bins [lo, hi) of the gene's 10,001-bin window (gene orientation). */
  landscapeBins: [number, number];
  distanceFromTss: number;
  geneLevelBefore: number;
  geneLevelAfter: number;
  effect: number;
  log2Ratio: number;
}

function landscapeBinsOf(g: ClasterGeneTruth, start: number, end: number): [number, number] {
  const b = CLASTER_LANDSCAPE;
  const ws = g.tss - ((b.nBins - 1) / 2) * b.binSize - b.binSize / 2;
  const lo = Math.floor((start - ws) / b.binSize);
  const hi = Math.ceil((end - ws) / b.binSize);
  return g.strand === '+' ? [lo, hi] : [b.nBins - hi, b.nBins - lo];
}

/**
 * Planted silencing on test-chromosome genes, in turn: H3K4me3 over the
 * promoter (TSS ± promoterHalf), H3K27ac over the gene's strongest enhancer
 * (± 1.5 kb), H3K27me3 over TSS ± repressiveHalf (repressed genes). True
 * effect: the change of the gene-level true expected EU.
 */
export function plantPerturbations(p: ClasterProgram): PlantedPerturbation[] {
  const o = p.options;
  const test = new Set(o.testChroms);
  const out: PlantedPerturbation[] = [];
  const cands = p.genes.filter((g) => test.has(g.chrom));
  let turn = 0;
  for (const g of cands) {
    if (out.length >= o.perturbations) break;
    const e = p.enhancers
      .filter((x) => x.gene === g.geneId)
      .sort((a, b) => b.activity * (1 + b.loop) - a.activity * (1 + a.loop))[0];
    // repressed genes lose their H3K27me3; active ones alternately their promoter H3K4me3 or enhancer H3K27ac
    const kind =
      g.state === 'repressed'
        ? 'repressive'
        : g.state === 'active'
          ? turn++ % 2 === 0 || !e
            ? 'promoter'
            : 'enhancer'
          : undefined;
    if (!kind) continue;
    const [start, end, mark] =
      kind === 'promoter'
        ? [g.tss - o.rule.promoterHalf, g.tss + o.rule.promoterHalf, 'H3K4me3' as const]
        : kind === 'enhancer'
          ? [e!.centre - 1550, e!.centre + 1550, 'H3K27ac' as const]
          : [g.tss - o.rule.repressiveHalf, g.tss + o.rule.repressiveHalf, 'H3K27me3' as const];
    const ci = p.chroms.findIndex((c) => c.name === g.chrom);
    const c = p.chroms[ci]!;
    const mi = CLASTER_PROGRAM_MARKS.indexOf(mark);
    const silenced = c.marks.map((m, k) => {
      if (k !== mi) return m;
      const a = m.slice();
      a.fill(0, Math.max(0, Math.floor(start / o.trackBin)), Math.ceil(end / o.trackBin));
      return a;
    });
    const genes = p.genes.filter((x) => x.chrom === c.name);
    const truthK = (i: number, k: number): number => trueContact(c, o.contactBin, i, k);
    const after = expectedEuOf(
      { name: c.name, length: c.length, marks: silenced },
      genes,
      o,
      truthK,
    ).eu;
    const len = g.end - g.start;
    const before = geneLevel(targetWindow(p.expectedEu[ci]!, g, c.length, o).values, len);
    const aft = geneLevel(targetWindow(after, g, c.length, o).values, len);
    out.push({
      gene: g.geneId,
      kind,
      mark,
      chrom: g.chrom,
      start,
      end,
      landscapeBins: landscapeBinsOf(g, start, end),
      distanceFromTss: Math.round(Math.abs((start + end) / 2 - g.tss)),
      geneLevelBefore: r6(before),
      geneLevelAfter: r6(aft),
      effect: r6(aft - before),
      log2Ratio: r6(Math.log2((aft + 1) / (before + 1))),
    });
  }
  return out;
}

/** Per-gene rule terms on the true marks (rates, locality shares). */
export function ruleTerms(p: ClasterProgram): Map<string, GeneRuleTerms> {
  const o = p.options;
  const out = new Map<string, GeneRuleTerms>();
  p.chroms.forEach((c) => {
    const genes = p.genes.filter((g) => g.chrom === c.name);
    const { terms } = expectedEuOf(c, genes, o, (i, j) => trueContact(c, o.contactBin, i, j));
    genes.forEach((g, i) => out.set(g.geneId, terms[i]!));
  });
  return out;
}

/** truth.json of the CLASTER program (`format` chromflow-simulate-claster-truth). */
export function makeClasterProgramTruth(p: ClasterProgram): Record<string, unknown> {
  const o = p.options;
  const ref = referenceEu(p);
  const held = (chroms: string[]) => p.genes.filter((g) => chroms.includes(g.chrom));
  const reference: Record<string, Comparison> = {};
  const ceiling: Record<string, Comparison> = {};
  const landscape: Record<string, Comparison> = {};
  const fromLandscape = landscapeOnlyEu(p);
  for (const [name, chroms] of [
    ['test', o.testChroms],
    ['validation', o.validationChroms],
  ] as const) {
    const gs = held(chroms);
    reference[name] = compare(p, gs, ref);
    ceiling[name] = compare(p, gs, p.expectedEu);
    landscape[name] = compare(p, gs, fromLandscape);
  }
  const terms = ruleTerms(p);
  const shares = [...terms.values()].map((t) => t.shareWithin10kb);
  const round = (c: Comparison): Record<string, number> =>
    Object.fromEntries(Object.entries(c).map(([k, v]) => [k, r6(v as number)]));
  return {
    format: 'chromflow-simulate-claster-truth',
    version: 2,
    seed: o.seed,
    parameters: { ...o, seed: undefined },
    conventions: [
      'Coordinates are 0-based half-open; tss is the first transcribed base (end − 1 on −).',
      'Marks ATAC, H3K4me3, H3K27ac, H3K27me3 at 100 bp; observed = Poisson(trackDepth · true) / trackDepth.',
      'True marks: 0.05 background; promoter ATAC 3·openness (±300 bp), H3K4me3 2·openness (±1.5 kb), H3K27ac 1.5·openness (±2 kb); enhancer ATAC 2·activity (±500 bp), H3K27ac 1.5·activity (±1.5 kb); H3K27me3 1.2·polycomb over a repressed gene’s domain, plus background domains.',
      'Contacts at 1.6 kb: count ~ Poisson(contactDepth · b_i · b_k · K(i, k)), K = (1 + loop)/(1 + |i − k|); bins/weight are chromflow ICE weights (cooler defaults).',
      'Rule: log λ = base + promoter·P − repressive·R + distal·D; P = mean √(ATAC·H3K4me3) over TSS ± promoterHalf; R = mean H3K27me3 over TSS ± repressiveHalf; D = Σ_{promoterHalf < |j − TSS| ≤ distalRange} √(ATAC_j·H3K27ac_j)·K(bin j, bin TSS)/10; λ ≤ maxRate.',
      'EU per 1 kbp (genome grid): λ per kb over the gene body (first kb × pause) summed over genes, plus eRna·mean √(ATAC·H3K27ac) of the kb; observed = Poisson(targetDepth · EU) / targetDepth.',
      'Samples: CLASTER windows centred on the TSS (10,001 × 100 bp, 401 × 1 kbp, − strand reversed), binned by structure-analysis binAroundTss; off-chromosome bins are masked and left out of the Pearson.',
      'Gene level = Σ of the target window from the TSS bin over ⌊(gene length − 1)/1 kbp⌋ further bins (gene orientation).',
      'reference: the rule on the observed marks and the observed balanced contacts (K̂ = balanced / (2 · mean balanced at distance 1)) against the observed EU; ceiling: the true expectation against the observed EU.',
      'landscapeReference: the reference without the annotation, which CLASTER’s inputs do not hold: each gene’s rule rate times its expected body (pause over the first kb, P(body covers the bin) under the length law), the window’s own gene downstream, every other gene half each way (marks are symmetric about a TSS); the bin level a landscape-only model can approach.',
      'shareWithin10kb: Σ |grad × input| of log λ over mark bins within ±10 kbp of the TSS / the total.',
    ],
    splits: { validation: o.validationChroms, test: o.testChroms },
    reference: { test: round(reference['test']!), validation: round(reference['validation']!) },
    ceiling: { test: round(ceiling['test']!), validation: round(ceiling['validation']!) },
    landscapeReference: {
      test: round(landscape['test']!),
      validation: round(landscape['validation']!),
    },
    locality: {
      meanShareWithin10kb: r6(shares.reduce((a, b) => a + b, 0) / shares.length),
      medianShareWithin10kb: r6([...shares].sort((a, b) => a - b)[shares.length >> 1]!),
    },
    perturbations: plantPerturbations(p),
    genes: p.genes.map((g) => {
      const t = terms.get(g.geneId)!;
      return {
        geneId: g.geneId,
        chrom: g.chrom,
        start: g.start,
        end: g.end,
        tss: g.tss,
        strand: g.strand,
        state: g.state,
        openness: r6(g.openness),
        polycomb: r6(g.polycomb),
        rate: r6(t.rate),
        promoterTerm: r6(t.promoter),
        repressiveTerm: r6(t.repressive),
        distalTerm: r6(t.distal),
        shareWithin10kb: r6(t.shareWithin10kb),
      };
    }),
    enhancers: p.enhancers.map((e) => ({ ...e, activity: r6(e.activity), loop: r6(e.loop) })),
  };
}
