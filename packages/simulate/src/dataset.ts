import { ChromflowError } from '@chromflow/core';
import type {
  AccessibilityConstants,
  CellTypeSpec,
  PeakParams,
  SimCell,
} from './accessibility-model.js';
import {
  DEFAULT_ACCESSIBILITY,
  makeCells,
  makePeakParams,
  openProbabilities,
} from './accessibility-model.js';
import type { CellDepth, FragmentColumns, FragmentConstants } from './fragment-sampler.js';
import {
  DEFAULT_FRAGMENTS,
  binarizedPeakCounts,
  makeCellDepths,
  sampleFragments,
} from './fragment-sampler.js';
import type { GeneLayoutOptions, SimGene } from './gene-model.js';
import { layOutGenes } from './gene-model.js';
import type { Chromosome, Interval } from './genome-model.js';
import { insertRepeats, makeBackgroundSequence, paintGaps } from './genome-model.js';
import type { MotifModel } from './motif-models.js';
import { DEFAULT_MOTIFS } from './motif-models.js';
import type { MotifInstance, PeakClassSpec, SimPeak } from './peak-layout.js';
import { layOutPeaks, plantMotifs } from './peak-layout.js';
import { Random } from './random.js';
import type { GeneRegulation, RnaConstants } from './rna-model.js';
import {
  DEFAULT_RNA,
  expressionLogRates,
  makeGeneRegulation,
  sampleRnaCounts,
} from './rna-model.js';

/** Everything that shapes a simulated data set. Every field has a default (`DEFAULT_SIMULATION`). */
export interface SimulateOptions {
  seed: number;
  chromosomes: { name: string; length: number }[];
  genes: GeneLayoutOptions;
  /** Gene name → TF whose activity sets its expression. */
  tfGenes: Record<string, string>;
  cellTypes: CellTypeSpec[];
  peakClasses: PeakClassSpec[];
  motifs: readonly MotifModel[];
  /** Probability that a peak (any class) receives one decoy-motif site. */
  decoyRate: number;
  /** Fraction of the genome soft-masked as repeats. */
  repeatFraction: number;
  /** Fractions of peaks and of cells put in the held-out split. */
  heldOut: { peaks: number; cells: number };
  accessibility: AccessibilityConstants;
  fragments: FragmentConstants;
  rna: RnaConstants;
}

export const DEFAULT_SIMULATION: SimulateOptions = {
  seed: 1,
  chromosomes: [
    { name: 'chr1', length: 650_000 },
    { name: 'chr2', length: 520_000 },
    { name: 'chr3', length: 330_000 },
  ],
  genes: { spacing: [1500, 7000], length: [1500, 9000] },
  tfGenes: {
    SPI1: 'SPI1',
    GATA1: 'GATA1',
    CEBPB: 'CEBPB',
    FOS: 'FOS::JUN',
    JUN: 'FOS::JUN',
    CTCF: 'CTCF',
    EBF1: 'EBF1',
  },
  cellTypes: [
    { name: 'Mono', count: 90, activity: { CEBPB: 1, SPI1: 0.6, CTCF: 1 } },
    { name: 'Ery', count: 75, activity: { GATA1: 1, CTCF: 1 } },
    { name: 'B', count: 75, activity: { SPI1: 1, EBF1: 1, CTCF: 1 } },
    { name: 'Tact', count: 60, activity: { 'FOS::JUN': 1, CTCF: 1 } },
  ],
  peakClasses: [
    { kind: 'tf', drivers: ['SPI1'], count: 130 },
    { kind: 'tf', drivers: ['GATA1'], count: 140 },
    { kind: 'tf', drivers: ['CEBPB'], count: 120 },
    { kind: 'tf', drivers: ['FOS::JUN'], count: 120 },
    { kind: 'tf', drivers: ['EBF1'], count: 110 },
    { kind: 'tf', drivers: ['SPI1', 'CEBPB'], count: 50 },
    { kind: 'constitutive', drivers: ['CTCF'], count: 130 },
    { kind: 'background', drivers: [], count: 130 },
  ],
  motifs: DEFAULT_MOTIFS,
  decoyRate: 0.15,
  repeatFraction: 0.08,
  heldOut: { peaks: 0.1, cells: 0.1 },
  accessibility: DEFAULT_ACCESSIBILITY,
  fragments: DEFAULT_FRAGMENTS,
  rna: DEFAULT_RNA,
};

/**
 * The same design `factor` times larger in sequence: chromosome lengths, peaks
 * of every class and each cell's depth all scale, so genes and peaks keep
 * their density and an open peak its expected fragments (labels as dense as
 * in test-data). Cells are unchanged. For evaluating sequence models, which
 * need more training peaks than the embedded data set has.
 */
export function scaleSimulation(options: SimulateOptions, factor: number): SimulateOptions {
  if (!(factor > 0) || !Number.isFinite(factor)) {
    throw new ChromflowError('PARAM', `The scale must be a positive number, got ${factor}.`, {
      field: 'scale',
    });
  }
  return {
    ...options,
    chromosomes: options.chromosomes.map((c) => ({ ...c, length: Math.round(c.length * factor) })),
    peakClasses: options.peakClasses.map((p) => ({ ...p, count: Math.round(p.count * factor) })),
    fragments: { ...options.fragments, medianDepth: options.fragments.medianDepth * factor },
  };
}

/** A simulated data set held in memory, with everything the truth needs. */
export interface SimDataset {
  options: SimulateOptions;
  chroms: Chromosome[];
  repeats: Interval[][];
  genes: SimGene[];
  peaks: SimPeak[];
  instances: MotifInstance[];
  peakParams: PeakParams[];
  cells: SimCell[];
  /** π_{c,p}, cells × peaks row-major. */
  openProbability: Float64Array;
  depths: CellDepth[];
  /** Sampled open state X_{c,p}, cells × peaks. */
  open: Uint8Array;
  fragments: FragmentColumns;
  /** y_{c,p}: any insertion of cell c in peak p, cells × peaks. */
  observed: Uint8Array;
  regulation: GeneRegulation[];
  /** η_{c,g}, cells × genes. */
  logRates: Float64Array;
  /** UMI counts, cells × genes. */
  rnaCounts: Int32Array;
  librarySizes: Float64Array;
  heldOutPeaks: Uint8Array;
  heldOutCells: Uint8Array;
}

/** Gaps: 5 kb of N at the start, 1 kb at the end, one 2–5 kb gap inside. */
function makeGaps(length: number, rng: Random): Interval[] {
  const inner = rng.int(Math.floor(length * 0.3), Math.floor(length * 0.7));
  return [
    { start: 0, end: 5000 },
    { start: inner, end: inner + rng.int(2000, 5001) },
    { start: length - 1000, end: length },
  ];
}

/**
 * Runs the whole generative model. Each part draws from its own stream forked
 * from `seed`, so the same options give the same data set bit for bit.
 */
export function simulateDataset(overrides: Partial<SimulateOptions> = {}): SimDataset {
  const options: SimulateOptions = { ...DEFAULT_SIMULATION, ...overrides };
  const root = new Random(options.seed);
  const rGenome = root.fork('genome');
  const rGenes = root.fork('genes');
  const rPeaks = root.fork('peaks');
  const rRepeats = root.fork('repeats');
  const rMotifs = root.fork('motifs');
  const rParams = root.fork('params');
  const rCells = root.fork('cells');
  const rDepth = root.fork('depth');
  const rFrag = root.fork('fragments');
  const rReg = root.fork('regulation');
  const rRna = root.fork('rna');
  const rSplit = root.fork('split');

  const chroms: Chromosome[] = options.chromosomes.map((c) => {
    const chrom = {
      name: c.name,
      seq: makeBackgroundSequence(c.length, rGenome),
      gaps: makeGaps(c.length, rGenome),
    };
    paintGaps(chrom);
    return chrom;
  });
  const genes = layOutGenes(chroms, options.genes, rGenes);
  const tfNames = Object.keys(options.tfGenes);
  const slots = rGenes.shuffle(genes.map((_, i) => i)).slice(0, tfNames.length);
  tfNames.forEach((name, k) => {
    if (slots[k] !== undefined) genes[slots[k]]!.geneName = name;
  });
  const peaks = layOutPeaks(chroms, genes, options.peakClasses, rPeaks);
  const families = [300, 180, 500, 120].map((len) => makeBackgroundSequence(len, rRepeats));
  const repeats = chroms.map((c) =>
    insertRepeats(
      c,
      families,
      options.repeatFraction,
      peaks.filter((p) => p.chrom === c.name),
      rRepeats,
    ),
  );
  const instances = plantMotifs(chroms, peaks, options.motifs, options.decoyRate, rMotifs);
  const peakParams = makePeakParams(peaks, instances, options.accessibility, rParams);
  const tfs = options.motifs.filter((m) => m.role === 'driver').map((m) => m.tf);
  const cells = makeCells(options.cellTypes, tfs, options.accessibility, rCells);
  const openProbability = openProbabilities(cells, peakParams);
  const genomeBases = chroms.reduce(
    (s, c) => s + c.seq.length - c.gaps.reduce((g, x) => g + x.end - x.start, 0),
    0,
  );
  const depths = makeCellDepths(
    openProbability,
    cells.length,
    peakParams,
    genomeBases,
    options.fragments,
    rDepth,
  );
  const { fragments, open } = sampleFragments(
    chroms,
    peaks,
    peakParams,
    openProbability,
    depths,
    options.fragments,
    rFrag,
  );
  const observed = binarizedPeakCounts(fragments, chroms, peaks, cells.length);
  const regulation = makeGeneRegulation(
    genes,
    peaks,
    new Map(Object.entries(options.tfGenes)),
    options.rna,
    rReg,
  );
  const logRates = expressionLogRates(cells, regulation, openProbability, peaks.length);
  const { counts: rnaCounts, librarySizes } = sampleRnaCounts(
    logRates,
    cells.length,
    genes.length,
    options.rna,
    rRna,
  );
  const heldOutPeaks = pickHeldOut(peaks.length, options.heldOut.peaks, rSplit);
  const heldOutCells = pickHeldOut(cells.length, options.heldOut.cells, rSplit);
  return {
    options,
    chroms,
    repeats,
    genes,
    peaks,
    instances,
    peakParams,
    cells,
    openProbability,
    depths,
    open,
    fragments,
    observed,
    regulation,
    logRates,
    rnaCounts,
    librarySizes,
    heldOutPeaks,
    heldOutCells,
  };
}

function pickHeldOut(n: number, fraction: number, rng: Random): Uint8Array {
  const mask = new Uint8Array(n);
  const idx = rng
    .shuffle(Array.from({ length: n }, (_, i) => i))
    .slice(0, Math.round(n * fraction));
  for (const i of idx) mask[i] = 1;
  return mask;
}
