import type { Chromosome, Interval } from './genome-model.js';
import { overlapsAny, paintGcRich, writeSite } from './genome-model.js';
import type { SimGene } from './gene-model.js';
import type { MotifModel } from './motif-models.js';
import { maxScore, reverseComplement, sampleSite, scoreSite } from './motif-models.js';
import { ChromflowError } from '@chromflow/core';
import type { Random } from './random.js';

/** What opens a peak. */
export type PeakClass = 'tf' | 'constitutive' | 'promoter' | 'background';

/** A class of peaks to plant: `count` peaks each holding sites of every TF in `drivers`. */
export interface PeakClassSpec {
  kind: PeakClass;
  /** TF names (MotifModel.tf) whose motifs are planted and which drive the peak. */
  drivers: string[];
  count: number;
}

/** A planted peak. Coordinates 0-based half-open. */
export interface SimPeak {
  name: string;
  chrom: string;
  start: number;
  end: number;
  /** 0-based position of the summit (fragment centres cluster here). */
  summit: number;
  kind: PeakClass;
  drivers: string[];
  /** Gene whose TSS this promoter peak sits on. */
  geneId?: string;
}

/** A planted motif site. Coordinates 0-based half-open on the genome; `sequence` as read on `strand`. */
export interface MotifInstance {
  peak: string;
  motifId: string;
  tf: string;
  role: MotifModel['role'];
  chrom: string;
  start: number;
  end: number;
  strand: '+' | '-';
  sequence: string;
  /** log2-odds against a uniform background, and the same divided by the consensus score. */
  score: number;
  relativeScore: number;
}

/** Peak width, 300–800 bp skewed to the short end (mean ~490 bp). */
function drawWidth(rng: Random): number {
  return 300 + Math.floor(500 * Math.pow(rng.uniform(), 1.6));
}

/**
 * Where and how many driver sites are planted: a class peak's summit lies
 * within ±`summitJitter` of its centre; each driver gets
 * min(`maxSites`, 1 + Poisson(`extraSitesMean`)) sites whose centres lie
 * within ±`spread` of the summit.
 */
export const SITE_PLACEMENT = { summitJitter: 30, spread: 90, extraSitesMean: 0.6, maxSites: 3 };

/**
 * Places promoter peaks on every TSS (painting a GC-rich CpG island of
 * ±500 bp there) and `classes` peaks elsewhere, at least `minGap` bp from
 * every other peak and 1 kb from assembly gaps. Returns peaks sorted by
 * chromosome (input order) and start, named `peak<index>` in that order.
 */
export function layOutPeaks(
  chroms: readonly Chromosome[],
  genes: readonly SimGene[],
  classes: readonly PeakClassSpec[],
  rng: Random,
  minGap = 300,
): SimPeak[] {
  const byChrom = new Map<string, Interval[]>(chroms.map((c) => [c.name, []]));
  const placed: Omit<SimPeak, 'name'>[] = [];
  const chromOf = new Map(chroms.map((c) => [c.name, c]));
  for (const g of genes) {
    const chrom = chromOf.get(g.chrom)!;
    paintGcRich(chrom.seq, g.tss - 500, g.tss + 500, rng);
    const w = drawWidth(rng);
    const start = g.tss - Math.floor(w / 2);
    const occupied = byChrom.get(g.chrom)!;
    if (overlapsAny(occupied, start, start + w, minGap)) continue;
    occupied.push({ start, end: start + w });
    placed.push({
      chrom: g.chrom,
      start,
      end: start + w,
      summit: g.tss,
      kind: 'promoter',
      drivers: [],
      geneId: g.geneId,
    });
  }
  const weights = chroms.map((c) => c.seq.length);
  for (const cls of classes) {
    for (let k = 0; k < cls.count; k++) {
      let placedOne = false;
      for (let attempt = 0; attempt < 10_000 && !placedOne; attempt++) {
        const chrom = chroms[rng.weighted(weights)]!;
        const w = drawWidth(rng);
        const start = rng.int(1000, chrom.seq.length - w - 1000);
        const occupied = byChrom.get(chrom.name)!;
        if (
          overlapsAny(chrom.gaps, start, start + w, 1000) ||
          overlapsAny(occupied, start, start + w, minGap)
        )
          continue;
        occupied.push({ start, end: start + w });
        const summit =
          start +
          Math.floor(w / 2) +
          rng.int(-SITE_PLACEMENT.summitJitter, SITE_PLACEMENT.summitJitter + 1);
        placed.push({
          chrom: chrom.name,
          start,
          end: start + w,
          summit,
          kind: cls.kind,
          drivers: [...cls.drivers],
        });
        placedOne = true;
      }
      if (!placedOne) {
        const bases = chroms.reduce((s, c) => s + c.seq.length, 0);
        throw new ChromflowError(
          'PARAM',
          `Only ${placed.length} peaks fit on ${bases} bp of chromosomes; the options ask for more.`,
          {
            field: 'peakClasses',
            hint: 'Use fewer peaks per class or longer chromosomes (about one peak per 1.3 kb fits).',
          },
        );
      }
    }
  }
  const order = new Map(chroms.map((c, i) => [c.name, i]));
  placed.sort((a, b) => order.get(a.chrom)! - order.get(b.chrom)! || a.start - b.start);
  const width = String(placed.length).length;
  return placed.map((p, i) => ({ name: `peak${String(i + 1).padStart(width, '0')}`, ...p }));
}

/**
 * Plants motif sites into the genome sequence: for every driver of a peak
 * 1 + Poisson(0.6) sites (at most 3; `SITE_PLACEMENT`), and with probability `decoyRate` one site
 * of a random decoy motif in any peak whatever its class (so decoys carry no
 * information about accessibility). Sites are sampled from the PWM (realistic
 * mismatches), put on a random strand, within ±90 bp of the summit and never
 * overlapping each other.
 */
export function plantMotifs(
  chroms: readonly Chromosome[],
  peaks: readonly SimPeak[],
  motifs: readonly MotifModel[],
  decoyRate: number,
  rng: Random,
): MotifInstance[] {
  const chromOf = new Map(chroms.map((c) => [c.name, c]));
  const byTf = new Map(motifs.filter((m) => m.role === 'driver').map((m) => [m.tf, m]));
  const decoys = motifs.filter((m) => m.role === 'decoy');
  const instances: MotifInstance[] = [];
  for (const peak of peaks) {
    const chrom = chromOf.get(peak.chrom)!;
    const toPlant: MotifModel[] = [];
    for (const tf of peak.drivers) {
      const m = byTf.get(tf);
      if (!m) {
        throw new ChromflowError('PARAM', `Peak class driver '${tf}' has no driver motif.`, {
          field: 'peakClasses',
          expected: `one of ${[...byTf.keys()].join(', ')}`,
          found: tf,
          hint: 'Add a motif with role "driver" and this tf to `motifs`, or fix the driver name.',
        });
      }
      const n = Math.min(SITE_PLACEMENT.maxSites, 1 + rng.poisson(SITE_PLACEMENT.extraSitesMean));
      for (let i = 0; i < n; i++) toPlant.push(m);
    }
    if (decoys.length > 0 && rng.bernoulli(decoyRate))
      toPlant.push(decoys[rng.int(0, decoys.length)]!);
    const used: Interval[] = [];
    for (const m of toPlant) {
      const w = m.pwm.length;
      for (let attempt = 0; attempt < 200; attempt++) {
        const start =
          peak.summit +
          rng.int(-SITE_PLACEMENT.spread, SITE_PLACEMENT.spread + 1) -
          Math.floor(w / 2);
        if (start < peak.start || start + w > peak.end || overlapsAny(used, start, start + w, 2))
          continue;
        used.push({ start, end: start + w });
        const site = sampleSite(m, rng);
        const strand = rng.bernoulli(0.5) ? '+' : '-';
        writeSite(chrom.seq, start, strand === '+' ? site : reverseComplement(site));
        const score = scoreSite(m, site);
        instances.push({
          peak: peak.name,
          motifId: m.id,
          tf: m.tf,
          role: m.role,
          chrom: peak.chrom,
          start,
          end: start + w,
          strand,
          sequence: site,
          score,
          relativeScore: score / maxScore(m),
        });
        break;
      }
    }
  }
  return instances;
}
