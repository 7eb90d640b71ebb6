import type { SimDataset } from './dataset.js';
import { maxScore, type MotifModel } from './motif-models.js';
import type { PeakClass } from './peak-layout.js';

/**
 * What a peak's sequence says about what drives it, under the simulator's own
 * generative model: the posterior over peak classes, site counts and site
 * strengths given the bases of [start, end), not the list of planted sites.
 *
 * A class with drivers D plants, for each f in D, n_f = min(3, 1 + Poisson(0.6))
 * sites sampled from f's PWM on a random strand, starting at
 * summit + U{−90..90} − ⌊w/2⌋ with summit = start + ⌊W/2⌋ + U{−30..30}, inside
 * the peak. Against background DNA (the genome's first-order Markov chain),
 * one site at start i has likelihood ratio LR_i = Π_j pwm_j(x_{i+j}) / P(x_{i+j} | x_{i+j−1});
 * n sites at distinct starts drawn from the prior q give
 * P(x | n sites) / P(x | none) = e_n(q·LR) / e_n(q), with e_n the elementary
 * symmetric polynomial (overlaps between sites ignored). Decoy sites are planted
 * whatever the class and cancel out. Promoter peaks sit on annotated TSSs and
 * carry a 1-kb CpG island, which the sequence shows plainly: their class is
 * taken as read.
 *
 * Each hypothesis carries the weights w_{p,f} it implies:
 * tfWeight · (0.6 + 0.8 q̄) · (1 + 0.25 (n − 1)), with q̄ the posterior mean of
 * the site's relative score.
 */
export interface DriveHypothesis {
  kind: PeakClass;
  weights: Record<string, number>;
  probability: number;
}

/** P(n sites) = P(min(3, 1 + Poisson(0.6)) = n), n = 1, 2, 3. */
const SITE_COUNT_PRIOR = [Math.exp(-0.6), 0.6 * Math.exp(-0.6), 1 - 1.6 * Math.exp(-0.6)];

/** Background chain of `makeBackgroundSequence`: P(base | previous base), A C G T rows, previous = C uses the CpG-depleted row. */
const BACKGROUND = [0.3, 0.2, 0.2, 0.3];
const AFTER_C = [0.3, 0.2, 0.05, 0.3].map((p) => p / 0.85);

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

/** What one driver motif's scan of a peak says: LR of 1, 2, 3 sites and the posterior mean relative score. */
interface MotifEvidence {
  siteCountLr: [number, number, number];
  meanRelativeScore: number;
}

/**
 * Prior over a site's start offset from the peak's centre ⌊W/2⌋ (before
 * subtracting ⌊w/2⌋): the sum of U{−90..90} and U{−30..30}, i.e. the number of
 * summit offsets that reach it.
 */
function offsetWeight(d: number): number {
  const a = Math.abs(d);
  return a <= 60 ? 61 : a <= 120 ? 121 - a : 0;
}

function scanMotif(bases: Uint8Array, prevBase: number, motif: MotifModel): MotifEvidence {
  const width = bases.length;
  const w = motif.pwm.length;
  const best = maxScore(motif);
  const centre = Math.floor(width / 2) - Math.floor(w / 2);
  // P(x_i | x_{i−1}) under the background chain, position by position.
  const bg = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    const b = bases[i]!;
    const prev = i === 0 ? prevBase : bases[i - 1]!;
    bg[i] = b > 3 ? 1 : (prev === 1 ? AFTER_C : BACKGROUND)[b]!;
  }
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let q1 = 0;
  let q2 = 0;
  let q3 = 0;
  let relSum = 0;
  for (let i = 0; i + w <= width; i++) {
    const q = offsetWeight(i - centre);
    if (q === 0) continue;
    let fwd = 1;
    let rev = 1;
    let fwdScore = 0;
    let revScore = 0;
    for (let j = 0; j < w; j++) {
      const bf = bases[i + j]!;
      const br = bases[i + w - 1 - j]!;
      const pf = bf > 3 ? 0.25 : motif.pwm[j]![bf]!;
      const pr = br > 3 ? 0.25 : motif.pwm[j]![3 - br]!;
      fwd *= pf;
      rev *= pr;
      fwdScore += bf > 3 ? -4 : Math.log2(pf / 0.25);
      revScore += br > 3 ? -4 : Math.log2(pr / 0.25);
      const d = bg[i + j]!;
      fwd /= d;
      rev /= d;
    }
    const a = (q * (fwd + rev)) / 2;
    s1 += a;
    s2 += a * a;
    s3 += a * a * a;
    q1 += q;
    q2 += q * q;
    q3 += q * q * q;
    relSum += (q * (fwd * Math.max(0, fwdScore / best) + rev * Math.max(0, revScore / best))) / 2;
  }
  if (q1 === 0) return { siteCountLr: [1, 1, 1], meanRelativeScore: 0.5 };
  // e_n(a) / e_n(q) by Newton's identities; q normalised to sum 1.
  const e = (p1: number, p2: number, p3: number): [number, number, number] => [
    p1,
    (p1 * p1 - p2) / 2,
    (p1 * p1 * p1 - 3 * p1 * p2 + 2 * p3) / 6,
  ];
  const [a1, a2, a3] = e(s1 / q1, s2 / (q1 * q1), s3 / (q1 * q1 * q1));
  const [b1, b2, b3] = e(1, q2 / (q1 * q1), q3 / (q1 * q1 * q1));
  return {
    siteCountLr: [a1 / b1, a2 / b2, a3 / b3],
    meanRelativeScore: relSum / s1,
  };
}

/** The posterior over drive hypotheses of every peak, in peak order. */
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
          for (let n = 1; n <= 3; n++)
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
