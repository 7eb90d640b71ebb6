import { ChromflowError, pearson } from '@chromflow/core';
import type { GetProgram } from './get-program.js';
import { geneNeighbourhoods, regulatoryTerm, siteCounts } from './get-program.js';

/**
 * truth.json of the GET program: the planted drivers per gene and cell type,
 * the cooperative pairs, every parameter, and the Pearson a model can reach
 * on the left-out cell type from what its inputs carry.
 */

/** log10(1 + CPM) of each row of a types × genes rate matrix given on the log scale (expected CPM). */
export function expectedLogCpm(logRates: Float64Array, nGenes: number): Float64Array {
  const out = new Float64Array(logRates.length);
  for (let t = 0; t < logRates.length / nGenes; t++) {
    let z = 0;
    for (let g = 0; g < nGenes; g++) z += Math.exp(logRates[t * nGenes + g]!);
    for (let g = 0; g < nGenes; g++)
      out[t * nGenes + g] = Math.log10(1 + (1e6 * Math.exp(logRates[t * nGenes + g]!)) / z);
  }
  return out;
}

/** Observed pseudobulk: fragments per (type, region) and log10(1 + CPM) per (type, gene), as the files hold them. */
export function observedGetProgram(p: GetProgram): { atac: Float64Array; logCpm: Float64Array } {
  const nTypes = p.options.cellTypes.length;
  const nR = p.regions.length;
  const nG = p.genes.length;
  const atac = new Float64Array(nTypes * nR);
  // Regions do not overlap and fragments lie inside one region each.
  const byChrom = new Map<string, number[]>();
  p.regions.forEach((r, i) => {
    const rows = byChrom.get(r.chrom);
    if (rows) rows.push(i);
    else byChrom.set(r.chrom, [i]);
  });
  const chromNames = p.chroms.map((c) => c.name);
  for (const f of p.fragments) {
    const rows = byChrom.get(chromNames[f.chrom]!)!;
    let a = 0;
    let b = rows.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (p.regions[rows[m]!]!.end <= f.start) a = m + 1;
      else b = m;
    }
    atac[p.cells[f.cell]!.type * nR + rows[a]!]! += 1;
  }
  const sums = new Float64Array(nTypes * nG);
  p.cells.forEach((c, ci) => {
    for (let g = 0; g < nG; g++) sums[c.type * nG + g]! += p.umis[ci * nG + g]!;
  });
  const logCpm = new Float64Array(nTypes * nG);
  for (let t = 0; t < nTypes; t++) {
    let total = 0;
    for (let g = 0; g < nG; g++) total += sums[t * nG + g]!;
    for (let g = 0; g < nG; g++)
      logCpm[t * nG + g] = Math.log10(1 + (1e6 * sums[t * nG + g]!) / total);
  }
  return { atac, logCpm };
}

/**
 * The references, per cell type, as Pearson over genes with the observed
 * log10(1 + CPM) pseudobulk. Each predicts the generator's expected
 * log10(1 + CPM) from the planted sites, the program's parameters and each
 * region's accessibility read from that type's fragments (the plug-in
 * p̂ = (count / (cells · fragmentsPerOpenRegion) − background) /
 * (1 − background), clipped to [0, 1]); they differ in the gene baseline:
 * - `pearsonByType` (the reference): integrated out (its mean, 0). A gene's
 *   baseline is drawn independently of every motif, so nothing a model reads
 *   for a sample carries it;
 * - `learnedBaselinePearsonByType`: estimated from the other types' observed
 *   expression (mean of ln CPM − regulatory term, each type centred): what a
 *   model that identifies each gene and memorises its level can reach;
 * - `knownBaselinePearsonByType`: the true baselines (version 1's reference).
 * Also the ceiling with the true open probabilities, true baselines and no
 * noise, and the type-specific Pearson (each gene minus its mean over the
 * other types' observations).
 */
export function getProgramReference(p: GetProgram): {
  pearsonByType: Record<string, number>;
  learnedBaselinePearsonByType: Record<string, number>;
  knownBaselinePearsonByType: Record<string, number>;
  ceilingByType: Record<string, number>;
  specificPearsonByType: Record<string, number>;
  /** `pearsonByType` over each chromosome's genes only (chromosome → type → Pearson). */
  pearsonByChromosome: Record<string, Record<string, number>>;
} {
  const o = p.options;
  const nG = p.genes.length;
  const nTypes = o.cellTypes.length;
  const { term, obs } = observedRegulatoryTerms(p);
  const withBaselines = (baseline: (t: number, g: number) => number): Float64Array =>
    expectedLogCpm(
      term.map((v, k) => v + baseline(Math.floor(k / nG), k % nG)),
      nG,
    );
  const given = withBaselines(() => 0);
  const known = withBaselines((_, g) => p.baselines[g]!);
  const learned = withBaselines(learnedBaselines(obs.logCpm, term, nTypes, nG));
  const ceiling = expectedLogCpm(p.meanLogRate, nG);
  const pearsonByType: Record<string, number> = {};
  const learnedBaselinePearsonByType: Record<string, number> = {};
  const knownBaselinePearsonByType: Record<string, number> = {};
  const ceilingByType: Record<string, number> = {};
  const specificPearsonByType: Record<string, number> = {};
  o.cellTypes.forEach((t, ti) => {
    const row = (v: Float64Array): Float64Array => v.subarray(ti * nG, (ti + 1) * nG);
    const y = row(obs.logCpm);
    pearsonByType[t.name] = round(pearson(row(given), y));
    learnedBaselinePearsonByType[t.name] = round(pearson(row(learned), y));
    knownBaselinePearsonByType[t.name] = round(pearson(row(known), y));
    ceilingByType[t.name] = round(pearson(row(ceiling), y));
    // The type-specific part: each gene's value minus its mean over the other types' observations.
    const others = Float64Array.from({ length: nG }, (_, g) => {
      let s = 0;
      for (let u = 0; u < nTypes; u++) if (u !== ti) s += obs.logCpm[u * nG + g]!;
      return s / (nTypes - 1);
    });
    const yHat = row(known);
    specificPearsonByType[t.name] = round(
      pearson(
        Float64Array.from(yHat, (v, g) => v - others[g]!),
        Float64Array.from(y, (v, g) => v - others[g]!),
      ),
    );
  });
  const pearsonByChromosome = Object.fromEntries(
    p.chroms.map((c) => [c.name, pearsonOnGenes(p, given, obs.logCpm, genesOn(p, [c.name]))]),
  );
  return {
    pearsonByType,
    learnedBaselinePearsonByType,
    knownBaselinePearsonByType,
    ceilingByType,
    specificPearsonByType,
    pearsonByChromosome,
  };
}

/**
 * The regulatory term per (type, gene), types × genes, with each region's
 * accessibility read from that type's fragments (the plug-in p̂ of
 * `getProgramReference`), and the observations it is judged against.
 */
function observedRegulatoryTerms(p: GetProgram): {
  term: Float64Array;
  obs: { atac: Float64Array; logCpm: Float64Array };
} {
  const o = p.options;
  const nR = p.regions.length;
  const nG = p.genes.length;
  const counts = siteCounts(p);
  const hoods = geneNeighbourhoods(p);
  const obs = observedGetProgram(p);
  const term = new Float64Array(o.cellTypes.length * nG);
  for (let t = 0; t < o.cellTypes.length; t++) {
    const access = (i: number): number => {
      const rate = obs.atac[t * nR + i]! / (o.cellsPerType * o.fragmentsPerOpenRegion);
      return Math.min(1, Math.max(0, (rate - o.background) / (1 - o.background)));
    };
    for (let g = 0; g < nG; g++) term[t * nG + g] = regulatoryTerm(o, counts, hoods[g]!, access);
  }
  return { term, obs };
}

/** Indices of the genes on the given chromosomes. */
function genesOn(p: GetProgram, chroms: readonly string[]): number[] {
  const keep = new Set(chroms);
  return p.genes.flatMap((g, i) => (keep.has(g.chrom) ? [i] : []));
}

/** Pearson per type between two types × genes matrices over a subset of genes. */
function pearsonOnGenes(
  p: GetProgram,
  predicted: Float64Array,
  observed: Float64Array,
  genes: readonly number[],
): Record<string, number> {
  const nG = p.genes.length;
  return Object.fromEntries(
    p.options.cellTypes.map((t, ti) => [
      t.name,
      round(
        pearson(
          Float64Array.from(genes, (g) => predicted[ti * nG + g]!),
          Float64Array.from(genes, (g) => observed[ti * nG + g]!),
        ),
      ),
    ]),
  );
}

/**
 * The reference (`pearsonByType`: baselines at 0, accessibility from the
 * fragments) over the genes of some chromosomes: the figure to set beside a
 * leave-out-chromosome split. Expected CPM is normalised over all genes, as
 * the observed pseudobulk is, before the genes are restricted.
 */
export function getProgramReferenceOnChromosomes(
  p: GetProgram,
  chroms: readonly string[],
): { genes: number; pearsonByType: Record<string, number> } {
  const known = new Set(p.chroms.map((c) => c.name));
  const unknown = chroms.filter((c) => !known.has(c));
  if (unknown.length > 0) {
    throw new ChromflowError(
      'PARAM',
      `chromosome(s) ${unknown.join(', ')} are not in the GET program`,
      { field: 'chromosomes', expected: [...known].join(', ') },
    );
  }
  const { term, obs } = observedRegulatoryTerms(p);
  const genes = genesOn(p, chroms);
  return {
    genes: genes.length,
    pearsonByType: pearsonOnGenes(p, expectedLogCpm(term, p.genes.length), obs.logCpm, genes),
  };
}

/**
 * Baselines of type t's genes as a model trained on the other types could
 * learn them: the mean over those types of (ln CPM − regulatory term − the
 * type's mean of that difference); CPM floored at 1 (a gene with no UMIs).
 */
export function learnedBaselines(
  logCpm: Float64Array,
  term: Float64Array,
  nTypes: number,
  nG: number,
): (t: number, g: number) => number {
  const resid = Float64Array.from(logCpm, (v, k) => Math.log(Math.max(10 ** v - 1, 1)) - term[k]!);
  for (let t = 0; t < nTypes; t++) {
    const r = resid.subarray(t * nG, (t + 1) * nG);
    const mean = r.reduce((a, b) => a + b, 0) / nG;
    for (let g = 0; g < nG; g++) r[g]! -= mean;
  }
  const sum = new Float64Array(nG);
  for (let k = 0; k < resid.length; k++) sum[k % nG]! += resid[k]!;
  return (t, g) => (sum[g]! - resid[t * nG + g]!) / (nTypes - 1);
}

function round(x: number, digits = 6): number {
  return Number(x.toFixed(digits));
}

/**
 * Drivers of gene g in type t: the motifs whose share of the regulatory term
 * (true accessibility) is at least `minShare` of the summed absolute shares
 * and at least 0.05 in log expression, largest first.
 */
export function getProgramDrivers(p: GetProgram, minShare = 0.2): Record<string, string[]>[] {
  const o = p.options;
  const nR = p.regions.length;
  const counts = siteCounts(p);
  const hoods = geneNeighbourhoods(p);
  const ids = o.motifs.map((m) => m.id);
  return p.genes.map((_, g) => {
    const out: Record<string, string[]> = {};
    o.cellTypes.forEach((t, ti) => {
      const share = new Float64Array(ids.length);
      regulatoryTerm(o, counts, hoods[g]!, (i) => p.open[ti * nR + i]!, share);
      const total = share.reduce((a, b) => a + Math.abs(b), 0);
      out[t.name] = ids
        .map((id, m) => ({ id, s: share[m]! }))
        .filter((d) => Math.abs(d.s) >= 0.05 && Math.abs(d.s) >= minShare * total)
        .sort((a, b) => Math.abs(b.s) - Math.abs(a.s))
        .map((d) => d.id);
    });
    return out;
  });
}

/** The truth object (written with simulate's `formatTruthJson`). */
export function makeGetProgramTruth(p: GetProgram): Record<string, unknown> {
  const o = p.options;
  const ref = getProgramReference(p);
  const drivers = getProgramDrivers(p);
  const ids = o.motifs.map((m) => m.id);
  const promoter = new Map(
    p.regions.flatMap((r) => (r.gene >= 0 ? [[r.gene, r.name] as const] : [])),
  );
  return {
    format: 'chromflow-simulate-get-truth',
    version: 2,
    seed: o.seed,
    conventions: {
      coordinates: '0-based half-open (BED-like); GTF is 1-based inclusive',
      accessibility:
        'open probability p = sigmoid(bias + openingWeight · Σ_m activity[type][m] · sites[m]); fragments per cell and region ~ Poisson(fragmentsPerOpenRegion · (background + (1 − background) · p)), each inside its region',
      expression:
        'log rate = baseline + Σ_{regions within maxDistance} exp(−d/decayLength) · p · (Σ_m effects[m] · sites[m] + Σ_pairs effect · [both motifs in the region]) + N(0, noiseSd²); d = 0 for the promoter region, else |region centre − TSS|; UMIs per cell ~ Poisson(depth · e^rate / Σ e^rate)',
      observed:
        'expression labels are log10(1 + CPM) of the per-type sum of UMIs (cell-embedding.pseudobulk-expression)',
    },
    parameters: {
      chromosomes: o.chromosomes,
      regionsPerChromosome: o.regionsPerChromosome,
      openingWeight: o.openingWeight,
      biasMean: o.biasMean,
      biasSd: o.biasSd,
      decayLength: o.decayLength,
      maxDistance: o.maxDistance,
      baselineSd: o.baselineSd,
      noiseSd: o.noiseSd,
      cellsPerType: o.cellsPerType,
      fragmentsPerOpenRegion: o.fragmentsPerOpenRegion,
      background: o.background,
      umisPerCell: o.umisPerCell,
    },
    motifs: o.motifs.map((m) => ({
      id: m.id,
      tf: m.tf,
      consensus: m.consensus,
      effect: o.effects[m.id] ?? 0,
      opensIn: Object.fromEntries(
        o.cellTypes.flatMap((t) => (t.activity[m.id] ? [[t.name, t.activity[m.id]]] : [])),
      ),
    })),
    cooperativePairs: o.cooperativePairs,
    cellTypes: o.cellTypes.map((t) => ({
      name: t.name,
      cells: o.cellsPerType,
      activity: t.activity,
    })),
    leftOutCellType: o.leftOutCellType,
    reference: {
      description:
        "Pearson over genes (one TSS region each) between the observed log10(1 + CPM) of a cell type and the generator's expectation given what GET's inputs carry: the planted sites, each region's accessibility read from that type's fragments (p̂ = clip((count / (cellsPerType · fragmentsPerOpenRegion) − background) / (1 − background), 0, 1)) and the program's parameters, with each gene's baseline at its mean (0): baselines are drawn independently of the motifs, so no input carries them. Version 1 stated the Pearson with the true baselines (now leftOutPearsonKnownBaselines), which no input carries. `ceiling` uses the true open probabilities and baselines without noise.",
      leftOutPearson: ref.pearsonByType[o.leftOutCellType],
      leftOutPearsonLearnedBaselines: ref.learnedBaselinePearsonByType[o.leftOutCellType],
      leftOutPearsonKnownBaselines: ref.knownBaselinePearsonByType[o.leftOutCellType],
      leftOutCeiling: ref.ceilingByType[o.leftOutCellType],
      leftOutSpecificPearson: ref.specificPearsonByType[o.leftOutCellType],
      learnedBaselinesDescription:
        "the same with each gene's baseline estimated from the training types' observations (mean over the other types of ln(max(CPM, 1)) − regulatory term, each type centred): what a model that identifies each gene from its region's content and memorises the gene's level could reach",
      specificDescription:
        "the prediction with the true baselines and the observation, each minus the gene's mean observed log10(1 + CPM) over the other (training) cell types: how much of what is specific to the left-out type the inputs carry (a model that only learns each gene's level scores about 0 here)",
      pearsonByType: ref.pearsonByType,
      learnedBaselinePearsonByType: ref.learnedBaselinePearsonByType,
      knownBaselinePearsonByType: ref.knownBaselinePearsonByType,
      ceilingByType: ref.ceilingByType,
      specificPearsonByType: ref.specificPearsonByType,
      pearsonByChromosomeDescription:
        "pearsonByType over each chromosome's genes only (expected CPM normalised over all genes first): the reference beside a leave-out-chromosome split",
      pearsonByChromosome: ref.pearsonByChromosome,
    },
    regions: p.regions.map((r) => ({
      name: r.name,
      chrom: r.chrom,
      start: r.start,
      end: r.end,
      bias: Number(r.bias.toFixed(4)),
      sites: r.sites.map((s) => [ids[s.motif], s.start, s.strand]),
    })),
    genes: p.genes.map((g, i) => ({
      geneId: g.geneId,
      chrom: g.chrom,
      tss: g.tss,
      strand: g.strand,
      promoterRegion: promoter.get(i),
      baseline: Number(p.baselines[i]!.toFixed(6)),
      drivers: drivers[i],
    })),
  };
}
