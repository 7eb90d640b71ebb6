import type { SimCell } from './accessibility-model.js';
import type { SimGene } from './gene-model.js';
import type { SimPeak } from './peak-layout.js';
import type { Random } from './random.js';

/** How one gene's expression is driven. */
export interface GeneRegulation {
  geneId: string;
  /** `tf`: a TF gene, expression ∝ its TF activity; `regulated`: promoter + enhancers; `housekeeping`: promoter only. */
  kind: 'tf' | 'regulated' | 'housekeeping';
  /** The TF whose activity drives a `tf` gene. */
  tf?: string;
  /** α_g: log baseline rate. */
  alpha: number;
  /** Index of the gene's promoter peak, or -1. */
  promoterPeak: number;
  /** β of the promoter's open probability. */
  promoterBeta: number;
  /** Enhancers: peak index and β. */
  enhancers: { peak: number; beta: number }[];
}

export interface RnaConstants {
  /** Median UMIs per cell (log-normal library size L_c). */
  medianUmis: number;
  librarySd: number;
  /** Negative-binomial dispersion φ (variance μ + φμ²). */
  dispersion: number;
  /** Enhancers are linked to the nearest gene whose TSS is within this many bp. */
  enhancerReach: number;
  /** Probability that a TF-driven peak within reach is linked. */
  linkProbability: number;
  maxEnhancers: number;
}

export const DEFAULT_RNA: RnaConstants = {
  medianUmis: 1500,
  librarySd: 0.35,
  dispersion: 0.15,
  enhancerReach: 50_000,
  linkProbability: 0.8,
  maxEnhancers: 3,
};

/**
 * Wires genes to their regulators. TF genes (named after a driver TF; FOS and
 * JUN both follow FOS::JUN) follow the TF's activity. Every other gene has its
 * promoter peak (β ~ U(0.5, 1.5)) and each TF-driven peak whose nearest TSS
 * (within `enhancerReach`) is this gene is linked with `linkProbability`
 * (β ~ U(1, 2.5), at most `maxEnhancers`). α_g ~ N(0, 0.8²), for TF genes
 * N(1.5, 0.5²) (TFs are measurable in every type where they act).
 */
export function makeGeneRegulation(
  genes: readonly SimGene[],
  peaks: readonly SimPeak[],
  tfGenes: ReadonlyMap<string, string>,
  k: RnaConstants,
  rng: Random,
): GeneRegulation[] {
  const promoterOf = new Map<string, number>();
  peaks.forEach((p, i) => {
    if (p.kind === 'promoter' && p.geneId) promoterOf.set(p.geneId, i);
  });
  const regs: GeneRegulation[] = genes.map((g) => {
    const tf = tfGenes.get(g.geneName);
    return {
      geneId: g.geneId,
      kind: tf ? 'tf' : 'housekeeping',
      ...(tf ? { tf } : {}),
      alpha: tf ? 1.5 + 0.5 * rng.normal() : 0.8 * rng.normal(),
      promoterPeak: promoterOf.get(g.geneId) ?? -1,
      promoterBeta: 0.5 + rng.uniform(),
      enhancers: [],
    };
  });
  peaks.forEach((p, i) => {
    if (p.kind !== 'tf') return;
    let best = -1;
    let bestDist = Infinity;
    genes.forEach((g, j) => {
      const d = Math.abs(g.tss - p.summit);
      if (g.chrom === p.chrom && d < bestDist) {
        best = j;
        bestDist = d;
      }
    });
    const linkDraw = rng.uniform();
    const beta = 1 + 1.5 * rng.uniform();
    if (best < 0 || bestDist > k.enhancerReach || linkDraw >= k.linkProbability) return;
    const reg = regs[best]!;
    if (reg.kind === 'tf' || reg.enhancers.length >= k.maxEnhancers) return;
    reg.enhancers.push({ peak: i, beta });
    reg.kind = 'regulated';
  });
  return regs;
}

/**
 * log rate η_{c,g}: α_g + β_prom π_{c,prom} + Σ_e β_e π_{c,e} for promoter/enhancer
 * genes; α_g + 1 + log(0.03 + s_{c,tf}) for TF genes. Row-major cells × genes.
 */
export function expressionLogRates(
  cells: readonly SimCell[],
  regs: readonly GeneRegulation[],
  prob: Float64Array,
  nPeaks: number,
): Float64Array {
  const out = new Float64Array(cells.length * regs.length);
  cells.forEach((c, i) => {
    regs.forEach((r, g) => {
      let eta = r.alpha;
      if (r.kind === 'tf') eta += 1 + Math.log(0.03 + (c.tfState[r.tf!] ?? 0));
      else {
        if (r.promoterPeak >= 0) eta += r.promoterBeta * prob[i * nPeaks + r.promoterPeak]!;
        for (const e of r.enhancers) eta += e.beta * prob[i * nPeaks + e.peak]!;
      }
      out[i * regs.length + g] = eta;
    });
  });
  return out;
}

/** UMI counts: y_{c,g} ~ NB(L_c e^{η_{c,g}} / Z, φ), Z = mean over cells of Σ_g e^η. Returns counts (cells × genes) and L_c. */
export function sampleRnaCounts(
  logRates: Float64Array,
  nCells: number,
  nGenes: number,
  k: RnaConstants,
  rng: Random,
): { counts: Int32Array; librarySizes: Float64Array } {
  let z = 0;
  for (let i = 0; i < logRates.length; i++) z += Math.exp(logRates[i]!);
  z /= nCells;
  const counts = new Int32Array(nCells * nGenes);
  const librarySizes = new Float64Array(nCells);
  for (let c = 0; c < nCells; c++) {
    const lib = rng.logNormal(Math.log(k.medianUmis), k.librarySd);
    librarySizes[c] = lib;
    for (let g = 0; g < nGenes; g++) {
      counts[c * nGenes + g] = rng.negativeBinomial(
        (lib * Math.exp(logRates[c * nGenes + g]!)) / z,
        k.dispersion,
      );
    }
  }
  return { counts, librarySizes };
}

/**
 * MatrixMarket coordinate text, features × cells (10x layout): 1-based
 * `row col value`, entries in column (cell) order, then row order.
 */
export function formatMatrixMarket(counts: Int32Array, nCells: number, nGenes: number): string {
  const lines: string[] = [];
  for (let c = 0; c < nCells; c++) {
    for (let g = 0; g < nGenes; g++) {
      const v = counts[c * nGenes + g]!;
      if (v !== 0) lines.push(`${g + 1} ${c + 1} ${v}`);
    }
  }
  return (
    '%%MatrixMarket matrix coordinate integer general\n' +
    '%metadata_json: {"software_version": "chromflow-simulate", "format_version": 2}\n' +
    `${nGenes} ${nCells} ${lines.length}\n` +
    lines.join('\n') +
    (lines.length > 0 ? '\n' : '')
  );
}
