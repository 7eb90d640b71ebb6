import type { SimDataset } from './dataset.js';
import { BACKGROUND_CHAIN } from './genome-model.js';
import { maxScore, type MotifModel } from './motif-models.js';
import { type PeakClass, SITE_PLACEMENT } from './peak-layout.js';

/** One explanation of a peak: its class, the weights w_{p,f} it implies, and its posterior probability. */
export interface DriveHypothesis {
  kind: PeakClass;
  weights: Record<string, number>;
  probability: number;
}

const { summitJitter, spread, extraSitesMean, maxSites } = SITE_PLACEMENT;

/** P(n sites of a driver), n = 1 … maxSites: 1 + Poisson(extraSitesMean), capped (index n − 1). */
const SITE_COUNT_PRIOR = (() => {
  const prior = [Math.exp(-extraSitesMean)]; // no extra site
  // k extra sites: P(k) = P(k − 1)·mean/k, k = prior.length.
  while (prior.length < maxSites - 1) prior.push((prior.at(-1)! * extraSitesMean) / prior.length);
  prior.push(1 - prior.reduce((a, b) => a + b, 0)); // the cap takes the rest
  return prior;
})();

/** Index 0–3 of an ASCII base, 4 for anything else. */
function baseIndex(code: number): number {
  switch (code | 0x20) {
    case 0x61:
      return 0;
    case 0x63:
      return 1;
    case 0x67:
      return 2;
    case 0x74:
      return 3;
    default:
      return 4;
  }
}

/** What one driver motif's scan of a peak says: LR of n = 1 … maxSites sites, and the posterior mean relative score. */
interface MotifEvidence {
  siteCountLr: number[];
  meanRelativeScore: number;
}

/**
 * Prior weight of a site start `d` bp from the peak's centre ⌊W/2⌋ (before
 * subtracting ⌊w/2⌋): the number of summit offsets in ±summitJitter from
 * which a site offset in ±spread reaches it.
 */
function offsetWeight(d: number): number {
  return Math.max(0, Math.min(summitJitter, d + spread) - Math.max(-summitJitter, d - spread) + 1);
}

/** e_1 … e_n of the values whose power sums are p[1] … p[n] (Newton's identities). */
function elementarySymmetric(p: Float64Array): Float64Array {
  const e = new Float64Array(p.length);
  e[0] = 1;
  for (let n = 1; n < p.length; n++) {
    let s = 0;
    for (let i = 1; i <= n; i++) s += (i % 2 === 1 ? 1 : -1) * e[n - i]! * p[i]!;
    e[n] = s / n;
  }
  return e;
}

function scanMotif(bases: Uint8Array, prevBase: number, motif: MotifModel): MotifEvidence {
  const width = bases.length;
  const w = motif.pwm.length;
  const best = maxScore(motif);
  const centre = Math.floor(width / 2) - Math.floor(w / 2);
  // P(x_i | x_{i−1}) under the background chain, position by position (N: 1).
  const bg = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    const b = bases[i]!;
    const prev = i === 0 ? prevBase : bases[i - 1]!;
    bg[i] = b > 3 ? 1 : (prev === 1 ? BACKGROUND_CHAIN.afterC : BACKGROUND_CHAIN.base)[b]!;
  }
  // Power sums 1 … maxSites of a_i = q_i·LR_i and of the prior q_i.
  const sumA = new Float64Array(maxSites + 1);
  const sumQ = new Float64Array(maxSites + 1);
  let relSum = 0;
  for (let i = 0; i + w <= width; i++) {
    const q = offsetWeight(i - centre);
    if (q === 0) continue;
    // The site's PWM probability read on each strand (N counts as 0.25), and the background's.
    let fwd = 1;
    let rev = 1;
    let background = 1;
    for (let j = 0; j < w; j++) {
      const bf = bases[i + j]!;
      const br = bases[i + w - 1 - j]!;
      fwd *= bf > 3 ? 0.25 : motif.pwm[j]![bf]!;
      rev *= br > 3 ? 0.25 : motif.pwm[j]![3 - br]!;
      background *= bg[i + j]!;
    }
    // Relative score = log2-odds against a uniform background / the consensus's.
    const fwdRel = Math.max(0, (Math.log2(fwd) + 2 * w) / best);
    const revRel = Math.max(0, (Math.log2(rev) + 2 * w) / best);
    const a = (q * (fwd + rev)) / (2 * background);
    relSum += (q * (fwd * fwdRel + rev * revRel)) / (2 * background);
    for (let n = 1, an = a, qn = q; n <= maxSites; n++, an *= a, qn *= q) {
      sumA[n]! += an;
      sumQ[n]! += qn;
    }
  }
  if (sumQ[1] === 0) return { siteCountLr: SITE_COUNT_PRIOR.map(() => 1), meanRelativeScore: 0.5 };
  // Normalise q to sum 1 (p_n / q1^n), then LR of n sites = e_n(a) / e_n(q).
  const q1 = sumQ[1]!;
  for (let n = 1, scale = q1; n <= maxSites; n++, scale *= q1) {
    sumA[n]! /= scale;
    sumQ[n]! /= scale;
  }
  const eA = elementarySymmetric(sumA);
  const eQ = elementarySymmetric(sumQ);
  return {
    siteCountLr: SITE_COUNT_PRIOR.map((_, k) => eA[k + 1]! / eQ[k + 1]!),
    meanRelativeScore: relSum / (sumA[1]! * q1),
  };
}

/**
 * What each peak's sequence says about what drives it, under the simulator's
 * own generative model: the posterior over peak classes, site counts and site
 * strengths given the bases of [start, end), not the list of planted sites.
 *
 * A class with drivers D plants, for each f in D, n_f sites (`SITE_PLACEMENT`)
 * sampled from f's PWM on a random strand, starting at
 * summit + U{−spread..spread} − ⌊w/2⌋ with summit = start + ⌊W/2⌋ + U{−jitter..jitter},
 * inside the peak. Against background DNA (`BACKGROUND_CHAIN`), one site at
 * start i has likelihood ratio LR_i = Π_j pwm_j(x_{i+j}) / P(x_{i+j} | x_{i+j−1});
 * n sites at distinct starts drawn from the prior q give
 * P(x | n sites) / P(x | none) = e_n(q·LR) / e_n(q), with e_n the elementary
 * symmetric polynomial (overlaps between sites ignored). Decoy sites are
 * planted whatever the class and cancel out. Promoter peaks sit on annotated
 * TSSs and carry a 1-kb CpG island, which the sequence shows plainly: their
 * class is taken as read.
 *
 * Each hypothesis carries the weights w_{p,f} it implies:
 * tfWeight · (0.6 + 0.8 q̄) · (1 + 0.25 (n − 1)), with q̄ the posterior mean of
 * the site's relative score (as `makePeakParams`).
 */
export function sequencePosteriors(ds: SimDataset): DriveHypothesis[][] {
  const k = ds.options.accessibility;
  const motifOf = new Map(
    ds.options.motifs.filter((m) => m.role === 'driver').map((m) => [m.tf, m]),
  );
  const classes = ds.options.peakClasses;
  const total = classes.reduce((s, c) => s + c.count, 0);
  const chromOf = new Map(ds.chroms.map((c) => [c.name, c]));
  return ds.peaks.map((peak) => {
    if (peak.kind === 'promoter') return [{ kind: 'promoter', weights: {}, probability: 1 }];
    const seq = chromOf.get(peak.chrom)!.seq;
    const bases = Uint8Array.from(seq.subarray(peak.start, peak.end), baseIndex);
    const prev = peak.start > 0 ? baseIndex(seq[peak.start - 1]!) : 4;
    const evidence = new Map<string, MotifEvidence>();
    const evidenceOf = (tf: string): MotifEvidence => {
      let e = evidence.get(tf);
      if (!e) evidence.set(tf, (e = scanMotif(bases, prev, motifOf.get(tf)!)));
      return e;
    };
    const out: DriveHypothesis[] = [];
    for (const cls of classes) {
      // Every combination of site counts over the class's drivers.
      let partial: { weight: number; weights: Record<string, number> }[] = [
        { weight: cls.count / total, weights: {} },
      ];
      for (const tf of cls.drivers) {
        const ev = evidenceOf(tf);
        const next: typeof partial = [];
        for (const p of partial)
          for (let n = 1; n <= maxSites; n++)
            next.push({
              weight: p.weight * SITE_COUNT_PRIOR[n - 1]! * ev.siteCountLr[n - 1]!,
              weights: {
                ...p.weights,
                [tf]: k.tfWeight * (0.6 + 0.8 * ev.meanRelativeScore) * (1 + 0.25 * (n - 1)),
              },
            });
        partial = next;
      }
      for (const p of partial)
        out.push({ kind: cls.kind, weights: p.weights, probability: p.weight });
    }
    // Hypotheses under 1e-6 of the total are dropped (they cannot move a probability), the rest renormalised.
    const all = out.reduce((s, h) => s + h.probability, 0);
    const kept = out.filter((h) => h.probability > 1e-6 * all);
    const z = kept.reduce((s, h) => s + h.probability, 0);
    return kept.map((h) => ({ ...h, probability: h.probability / z }));
  });
}
