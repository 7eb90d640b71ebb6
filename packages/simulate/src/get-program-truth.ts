import { pearson } from '@chromflow/core';
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
 * The reference: for each cell type, the generator's expected log10(1 + CPM)
 * with each region's accessibility read from the observed fragments (the
 * plug-in p̂ = (count / (cells · fragmentsPerOpenRegion) − background) /
 * (1 − background), clipped to [0, 1]), the planted sites and the program's
 * parameters; its Pearson with the observed pseudobulk over genes. Also the
 * ceiling with the true open probabilities and no noise.
 */
export function getProgramReference(p: GetProgram): {
  pearsonByType: Record<string, number>;
  ceilingByType: Record<string, number>;
  specificPearsonByType: Record<string, number>;
} {
  const o = p.options;
  const nR = p.regions.length;
  const nG = p.genes.length;
  const counts = siteCounts(p);
  const hoods = geneNeighbourhoods(p);
  const obs = observedGetProgram(p);
  const nTypes = o.cellTypes.length;
  const plugIn = new Float64Array(nTypes * nG);
  for (let t = 0; t < nTypes; t++) {
    const access = (i: number): number => {
      const rate = obs.atac[t * nR + i]! / (o.cellsPerType * o.fragmentsPerOpenRegion);
      return Math.min(1, Math.max(0, (rate - o.background) / (1 - o.background)));
    };
    for (let g = 0; g < nG; g++)
      plugIn[t * nG + g] = p.baselines[g]! + regulatoryTerm(o, counts, hoods[g]!, access);
  }
  const predicted = expectedLogCpm(plugIn, nG);
  const ceiling = expectedLogCpm(p.meanLogRate, nG);
  const pearsonByType: Record<string, number> = {};
  const ceilingByType: Record<string, number> = {};
  const specificPearsonByType: Record<string, number> = {};
  o.cellTypes.forEach((t, ti) => {
    const y = obs.logCpm.subarray(ti * nG, (ti + 1) * nG);
    const yHat = predicted.subarray(ti * nG, (ti + 1) * nG);
    pearsonByType[t.name] = round(pearson(yHat, y));
    ceilingByType[t.name] = round(pearson(ceiling.subarray(ti * nG, (ti + 1) * nG), y));
    // The type-specific part: each gene's value minus its mean over the other types' observations.
    const others = Float64Array.from({ length: nG }, (_, g) => {
      let s = 0;
      for (let u = 0; u < nTypes; u++) if (u !== ti) s += obs.logCpm[u * nG + g]!;
      return s / (nTypes - 1);
    });
    specificPearsonByType[t.name] = round(
      pearson(
        Float64Array.from(yHat, (v, g) => v - others[g]!),
        Float64Array.from(y, (v, g) => v - others[g]!),
      ),
    );
  });
  return { pearsonByType, ceilingByType, specificPearsonByType };
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
    version: 1,
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
        "Pearson over genes (one TSS region each) between the observed log10(1 + CPM) of a cell type and the generator's expectation given what GET's inputs carry: the planted sites, each region's accessibility read from that type's fragments (p̂ = clip((count / (cellsPerType · fragmentsPerOpenRegion) − background) / (1 − background), 0, 1)) and the program's parameters. `ceiling` uses the true open probabilities without noise.",
      leftOutPearson: ref.pearsonByType[o.leftOutCellType],
      leftOutCeiling: ref.ceilingByType[o.leftOutCellType],
      leftOutSpecificPearson: ref.specificPearsonByType[o.leftOutCellType],
      specificDescription:
        "the same prediction and observation, each minus the gene's mean observed log10(1 + CPM) over the other (training) cell types: how much of what is specific to the left-out type the inputs carry (a model that only learns each gene's level scores about 0 here)",
      pearsonByType: ref.pearsonByType,
      ceilingByType: ref.ceilingByType,
      specificPearsonByType: ref.specificPearsonByType,
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
