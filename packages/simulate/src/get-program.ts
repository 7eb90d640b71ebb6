import { ChromflowError } from '@chromflow/core';
import type { Chromosome } from './genome-model.js';
import { makeBackgroundSequence, writeSite } from './genome-model.js';
import type { SimGene } from './gene-model.js';
import type { MotifModel } from './motif-models.js';
import { DEFAULT_MOTIFS, columnFromIupac, reverseComplement, sampleSite } from './motif-models.js';
import { Random, sigmoid } from './random.js';
import { drawFragmentLength } from './fragment-sampler.js';

/**
 * An expression program GET can be judged on (`simulate --program get`):
 * regions carrying planted motif sites; eight cell types whose driver motifs
 * open regions (accessibility = sigmoid(bias + Σ activity·weight·sites));
 * genes whose log expression is a baseline plus, over the regions within
 * `maxDistance` of the TSS, decay(distance) × accessibility × (Σ motif
 * effects + cooperative-pair effects that need both motifs in one region),
 * plus noise. The effects are shared by all cell types, so a cell type left
 * out of training is predictable from its accessibility and the motifs —
 * which is what GET assumes. Observed: pseudobulk-able ATAC fragments and
 * scRNA counts of `cellsPerType` cells per type.
 */

export interface GetCellType {
  name: string;
  /** Motif id → activity opening regions that carry it (0 where absent). */
  activity: Record<string, number>;
}

export interface GetProgramOptions {
  seed: number;
  /** Chromosomes chr1…chrN, each of `regionsPerChromosome` regions (3: leave one out and one is left for validation). */
  chromosomes: number;
  regionsPerChromosome: number;
  regionLength: number;
  /** Gap between regions in bp, [min, max). */
  gap: [number, number];
  /** Fraction of regions holding a gene's TSS (a promoter). */
  promoterFraction: number;
  /** Mean planted sites per region (Poisson). */
  sitesPerRegion: number;
  motifs: readonly MotifModel[];
  cellTypes: GetCellType[];
  /** Accessibility: sigmoid(bias + openingWeight · Σ activity · sites); bias ~ N(biasMean, biasSd). */
  openingWeight: number;
  biasMean: number;
  biasSd: number;
  /** Motif id → effect on log expression per site in an open region (0 for cooperative-pair members). */
  effects: Record<string, number>;
  /** Pairs that act only together (both motifs in one region), with their effect. */
  cooperativePairs: { motifs: [string, string]; effect: number }[];
  /** Distance decay exp(−d / decayLength) over regions within maxDistance of the TSS. */
  decayLength: number;
  maxDistance: number;
  /** Gene baseline log expression ~ N(0, baselineSd); noise per (type, gene) ~ N(0, noiseSd). */
  baselineSd: number;
  noiseSd: number;
  cellsPerType: number;
  /** Fragments per cell and region: Poisson(fragmentsPerOpenRegion · (background + (1 − background)·p)). */
  fragmentsPerOpenRegion: number;
  background: number;
  /** UMIs per cell (log-normal around this, sd 0.2 in log). */
  umisPerCell: number;
  /** The cell type a model should be evaluated on, left out of training. */
  leftOutCellType: string;
}

function motif(id: string, tf: string, consensus: string): MotifModel {
  return { id, tf, consensus, role: 'driver', pwm: [...consensus].map(columnFromIupac) };
}

/** The nine motifs of the main simulation plus three more; NFKB + IRF and SOX + REST act only in pairs. */
export const GET_PROGRAM_MOTIFS: readonly MotifModel[] = [
  ...DEFAULT_MOTIFS.map((m) => ({ ...m, role: 'driver' as const })),
  motif('SIM.NFKB', 'RELA', 'GGGrATTTCC'),
  motif('SIM.IRF', 'IRF4', 'aAAnCGAAAct'),
  motif('SIM.SOX', 'SOX2', 'aCCATTGTTc'),
];

export const DEFAULT_GET_PROGRAM: GetProgramOptions = {
  seed: 1,
  chromosomes: 3,
  regionsPerChromosome: 300,
  regionLength: 500,
  gap: [1000, 3000],
  promoterFraction: 0.35,
  sitesPerRegion: 1.5,
  motifs: GET_PROGRAM_MOTIFS,
  cellTypes: [
    { name: 'Mono', activity: { 'SIM.CEBPB': 1, 'SIM.SPI1': 0.6 } },
    { name: 'Ery', activity: { 'SIM.GATA1': 1 } },
    { name: 'B', activity: { 'SIM.EBF1': 1, 'SIM.SPI1': 1, 'SIM.NFKB': 0.6 } },
    { name: 'Tact', activity: { 'SIM.AP1': 1, 'SIM.RUNX1': 0.8 } },
    { name: 'NK', activity: { 'SIM.RUNX1': 1, 'SIM.IRF': 0.8 } },
    { name: 'HSC', activity: { 'SIM.GATA1': 0.5, 'SIM.HNF1A': 1, 'SIM.SOX': 0.6 } },
    { name: 'pDC', activity: { 'SIM.IRF': 1, 'SIM.NFKB': 1, 'SIM.SPI1': 0.4 } },
    { name: 'Neur', activity: { 'SIM.REST': 1, 'SIM.SOX': 1, 'SIM.AP1': 0.4 } },
  ],
  openingWeight: 2.5,
  biasMean: -1.5,
  biasSd: 0.7,
  effects: {
    'SIM.SPI1': 0.8,
    'SIM.GATA1': 1,
    'SIM.CEBPB': 0.8,
    'SIM.AP1': 0.6,
    'SIM.EBF1': 0.8,
    'SIM.CTCF': 0,
    'SIM.HNF1A': 0.7,
    'SIM.REST': 0,
    'SIM.RUNX1': 0.6,
    'SIM.NFKB': 0,
    'SIM.IRF': 0,
    'SIM.SOX': 0,
  },
  cooperativePairs: [
    { motifs: ['SIM.NFKB', 'SIM.IRF'], effect: 1.5 },
    { motifs: ['SIM.SOX', 'SIM.REST'], effect: 1.2 },
  ],
  decayLength: 10_000,
  maxDistance: 50_000,
  baselineSd: 0.7,
  noiseSd: 0.25,
  cellsPerType: 10,
  fragmentsPerOpenRegion: 2,
  background: 0.05,
  umisPerCell: 4000,
  leftOutCellType: 'pDC',
};

/**
 * The program `scale` times larger: scale × regions per chromosome (so ×
 * genes) and × UMIs per cell (the same depth per gene), same cells and types.
 */
export function scaleGetProgram(options: GetProgramOptions, scale: number): GetProgramOptions {
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new ChromflowError('PARAM', `scale must be a positive number, got ${scale}`, {
      field: 'scale',
    });
  }
  return {
    ...options,
    regionsPerChromosome: Math.round(options.regionsPerChromosome * scale),
    umisPerCell: options.umisPerCell * scale,
  };
}

export interface GetRegion {
  name: string;
  chrom: string;
  start: number;
  end: number;
  bias: number;
  /** Planted sites: motif index, 0-based start, strand. */
  sites: { motif: number; start: number; strand: '+' | '-' }[];
  /** Index of the gene whose TSS it holds, or −1. */
  gene: number;
}

export interface GetProgram {
  options: GetProgramOptions;
  chroms: Chromosome[];
  regions: GetRegion[];
  genes: SimGene[];
  /** Gene baselines α_g. */
  baselines: Float64Array;
  /** Row-major types × regions: the true open probability. */
  open: Float64Array;
  /** Row-major types × genes: true log expression rate without noise, and with noise. */
  meanLogRate: Float64Array;
  logRate: Float64Array;
  /** Per cell: type index and barcode. */
  cells: { barcode: string; type: number }[];
  /** Fragments sorted by chrom, start, end, cell. */
  fragments: { chrom: number; start: number; end: number; cell: number }[];
  /** Cells × genes UMI counts (row-major). */
  umis: Int32Array;
}

/** Site counts per region × motif. */
export function siteCounts(p: Pick<GetProgram, 'regions' | 'options'>): Int32Array {
  const nm = p.options.motifs.length;
  const out = new Int32Array(p.regions.length * nm);
  p.regions.forEach((r, i) => r.sites.forEach((s) => out[i * nm + s.motif]!++));
  return out;
}

/**
 * Regions within `maxDistance` of each gene's TSS (the promoter region at
 * distance 0, others by centre), with their decay weight exp(−d / decayLength).
 */
export function geneNeighbourhoods(
  p: Pick<GetProgram, 'regions' | 'options' | 'genes'>,
): { regions: Int32Array; weights: Float64Array }[] {
  const o = p.options;
  return p.genes.map((gene, g) => {
    const rows: number[] = [];
    const weights: number[] = [];
    p.regions.forEach((r, i) => {
      if (r.chrom !== gene.chrom) return;
      const d = r.gene === g ? 0 : Math.abs((r.start + r.end) / 2 - gene.tss);
      if (d > o.maxDistance) return;
      rows.push(i);
      weights.push(Math.exp(-d / o.decayLength));
    });
    return { regions: Int32Array.from(rows), weights: Float64Array.from(weights) };
  });
}

/**
 * The program's regulatory term of a gene in a cell type whose region
 * accessibility is `access(region)`: over the gene's neighbourhood, Σ decay ·
 * access · (Σ_m effect_m · sites_m + Σ_pairs effect · [both motifs present]).
 * With `perMotif` it adds each motif's share too (a pair's effect split
 * evenly between its motifs), for naming drivers.
 */
export function regulatoryTerm(
  options: GetProgramOptions,
  counts: Int32Array,
  neighbourhood: { regions: Int32Array; weights: Float64Array },
  access: (region: number) => number,
  perMotif?: Float64Array,
): number {
  const nm = options.motifs.length;
  const ids = options.motifs.map((m) => m.id);
  const pairs = options.cooperativePairs.map((pr) => ({
    a: ids.indexOf(pr.motifs[0]),
    b: ids.indexOf(pr.motifs[1]),
    effect: pr.effect,
  }));
  let total = 0;
  neighbourhood.regions.forEach((i, k) => {
    const w = neighbourhood.weights[k]! * access(i);
    if (w === 0) return;
    for (let m = 0; m < nm; m++) {
      const c = counts[i * nm + m]!;
      if (c === 0) continue;
      const e = (options.effects[ids[m]!] ?? 0) * c * w;
      total += e;
      if (perMotif) perMotif[m]! += e;
    }
    for (const { a, b, effect } of pairs) {
      if (counts[i * nm + a]! > 0 && counts[i * nm + b]! > 0) {
        total += effect * w;
        if (perMotif) {
          perMotif[a]! += (effect * w) / 2;
          perMotif[b]! += (effect * w) / 2;
        }
      }
    }
  });
  return total;
}

/** Simulates the program; the same options give the same result. */
export function simulateGetProgram(overrides: Partial<GetProgramOptions> = {}): GetProgram {
  const o: GetProgramOptions = { ...DEFAULT_GET_PROGRAM, ...overrides };
  if (!o.cellTypes.some((t) => t.name === o.leftOutCellType)) {
    throw new ChromflowError(
      'PARAM',
      `the left-out cell type '${o.leftOutCellType}' is not one of the cell types`,
      {
        field: 'leftOutCellType',
        expected: o.cellTypes.map((t) => t.name).join(', '),
      },
    );
  }
  for (const field of ['chromosomes', 'regionsPerChromosome'] as const) {
    if (!Number.isInteger(o[field]) || o[field] < 1) {
      throw new ChromflowError('PARAM', `${field} must be a positive integer, got ${o[field]}`, {
        field,
      });
    }
  }
  const root = new Random(o.seed);
  const layout = root.fork('layout');
  const nm = o.motifs.length;
  const chroms: Chromosome[] = [];
  const regions: GetRegion[] = [];
  const genes: SimGene[] = [];
  for (let c = 0; c < o.chromosomes; c++) {
    const name = `chr${c + 1}`;
    const starts: number[] = [];
    let at = layout.int(o.gap[0], o.gap[1]);
    for (let i = 0; i < o.regionsPerChromosome; i++) {
      starts.push(at);
      at += o.regionLength + layout.int(o.gap[0], o.gap[1]);
    }
    const seq = makeBackgroundSequence(at, layout);
    chroms.push({ name, seq, gaps: [] });
    for (const start of starts) {
      const region: GetRegion = {
        name: `greg${String(regions.length + 1).padStart(5, '0')}`,
        chrom: name,
        start,
        end: start + o.regionLength,
        bias: o.biasMean + o.biasSd * layout.normal(),
        sites: [],
        gene: -1,
      };
      // Sites in disjoint slots of 25 bp so they never overlap (the longest motif is 21 bp).
      const slots = layout.shuffle(
        Array.from({ length: Math.floor(o.regionLength / 25) }, (_, k) => k),
      );
      const n = Math.min(slots.length, layout.poisson(o.sitesPerRegion));
      for (let k = 0; k < n; k++) {
        const m = layout.int(0, nm);
        const strand = layout.bernoulli(0.5) ? '+' : '-';
        const site = sampleSite(o.motifs[m]!, layout);
        const s = start + slots[k]! * 25 + 2;
        writeSite(seq, s, strand === '+' ? site : reverseComplement(site));
        region.sites.push({ motif: m, start: s, strand });
      }
      region.sites.sort((a, b) => a.start - b.start);
      if (layout.uniform() < o.promoterFraction) {
        region.gene = genes.length;
        const strand = layout.bernoulli(0.5) ? '+' : '-';
        const tss = start + Math.floor(o.regionLength / 2);
        const len = layout.int(2000, 20000);
        const gStart = strand === '+' ? tss : Math.max(0, tss + 1 - len);
        const gEnd = strand === '+' ? Math.min(at, tss + len) : tss + 1;
        const id = genes.length + 1;
        genes.push({
          geneId: `GETG${String(id).padStart(6, '0')}`,
          geneName: `GG${String(id).padStart(5, '0')}`,
          chrom: name,
          start: gStart,
          end: gEnd,
          strand,
          tss,
          exons: [{ start: gStart, end: gEnd }],
        });
      }
      regions.push(region);
    }
  }
  const counts = siteCounts({ regions, options: o });
  const nTypes = o.cellTypes.length;
  const ids = o.motifs.map((m) => m.id);
  const open = new Float64Array(nTypes * regions.length);
  o.cellTypes.forEach((t, ti) => {
    regions.forEach((r, i) => {
      let drive = 0;
      for (let m = 0; m < nm; m++) drive += (t.activity[ids[m]!] ?? 0) * counts[i * nm + m]!;
      open[ti * regions.length + i] = sigmoid(r.bias + o.openingWeight * drive);
    });
  });
  const expr = root.fork('expression');
  const baselines = Float64Array.from(genes, () => o.baselineSd * expr.normal());
  const meanLogRate = new Float64Array(nTypes * genes.length);
  const logRate = new Float64Array(nTypes * genes.length);
  const hoods = geneNeighbourhoods({ regions, options: o, genes });
  for (let t = 0; t < nTypes; t++) {
    for (let g = 0; g < genes.length; g++) {
      const access = (i: number): number => open[t * regions.length + i]!;
      const m = baselines[g]! + regulatoryTerm(o, counts, hoods[g]!, access);
      meanLogRate[t * genes.length + g] = m;
      logRate[t * genes.length + g] = m + o.noiseSd * expr.normal();
    }
  }
  const obs = root.fork('observations');
  const cells: GetProgram['cells'] = [];
  o.cellTypes.forEach((t, ti) => {
    for (let k = 0; k < o.cellsPerType; k++)
      cells.push({ barcode: `${t.name}-${String(k + 1).padStart(3, '0')}`, type: ti });
  });
  const fragments: GetProgram['fragments'] = [];
  const chromIndex = new Map(chroms.map((c, i) => [c.name, i]));
  cells.forEach((cell, ci) => {
    regions.forEach((r, i) => {
      const rate =
        o.fragmentsPerOpenRegion *
        (o.background + (1 - o.background) * open[cell.type * regions.length + i]!);
      const n = obs.poisson(rate);
      for (let k = 0; k < n; k++) {
        const len = Math.min(drawFragmentLength(obs), o.regionLength - 1);
        const start = r.start + obs.int(0, o.regionLength - len);
        fragments.push({ chrom: chromIndex.get(r.chrom)!, start, end: start + len, cell: ci });
      }
    });
  });
  fragments.sort(
    (a, b) => a.chrom - b.chrom || a.start - b.start || a.end - b.end || a.cell - b.cell,
  );
  const umis = new Int32Array(cells.length * genes.length);
  cells.forEach((cell, ci) => {
    const rates = logRate.subarray(cell.type * genes.length, (cell.type + 1) * genes.length);
    let z = 0;
    for (const lr of rates) z += Math.exp(lr);
    const depth = Math.exp(Math.log(o.umisPerCell) + 0.2 * obs.normal());
    for (let g = 0; g < genes.length; g++)
      umis[ci * genes.length + g] = obs.poisson((depth * Math.exp(rates[g]!)) / z);
  });
  return {
    options: o,
    chroms,
    regions,
    genes,
    baselines,
    open,
    meanLogRate,
    logRate,
    cells,
    fragments,
    umis,
  };
}
