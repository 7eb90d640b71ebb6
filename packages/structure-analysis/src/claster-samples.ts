import type { Table } from 'apache-arrow';
import { ChromflowError, makeTable } from '@chromflow/core';
import {
  CLASTER_LANDSCAPE,
  CLASTER_TARGET,
  type TrackIntervals,
  type TssBinning,
  binAroundTss,
  tssWindowRange,
} from './claster-tracks.js';

/** A signal track by chromosome: a bigWig (genome-io `openBigWig`) or an in-memory bedGraph fits. */
export interface TrackSource {
  name: string;
  /** Chromosome name → length (bp); compared across tracks to catch mixed genome builds. */
  chroms: Map<string, number>;
  fetch(chrom: string, start: number, end: number): Promise<TrackIntervals>;
}

/** A gene to sample; `tss` 0-based position of the first transcribed base. */
export interface ClasterGene {
  gene: string;
  chrom: string;
  strand: '+' | '-';
  tss: number;
}

export interface ClasterSampleOptions {
  /** Chromosomes whose genes form the validation split. Default ['chr17'] (CLASTER's). */
  validationChroms?: string[];
  /** Chromosomes whose genes form the test split. Default ['chr4'] (CLASTER's). */
  testChroms?: string[];
  landscape?: TssBinning;
  target?: TssBinning;
}

/**
 * Samples: an Arrow table (gene, chromosome, strand, tss, split, masked_bins) and,
 * beside it, row-major float32 arrays — landscape (genes, tracks, bins),
 * its mask (genes, bins), targets (genes, 401) — ready for `.npy` or tensors.
 */
export interface ClasterSamples {
  table: Table;
  landscape: Float32Array;
  landscapeMask: Uint8Array;
  targets: Float32Array | undefined;
  /** (genes, target bins): 1 = target bin wholly on the chromosome. */
  targetMask: Uint8Array | undefined;
  nTracks: number;
  nBins: number;
  /** Genes whose landscape window runs off a chromosome end (padded and masked). */
  windowsOffChromosome: number;
}

/** Every track must give the same length for every chromosome it shares with the first. */
export function checkSameBuild(tracks: TrackSource[]): void {
  const first = tracks[0];
  if (!first) return;
  for (const t of tracks.slice(1)) {
    for (const [c, len] of t.chroms) {
      const want = first.chroms.get(c);
      if (want !== undefined && want !== len) {
        throw new ChromflowError('VALUE', 'the tracks come from different genome builds', {
          field: `${t.name}.${c}`,
          expected: `${c} of length ${want} (as in ${first.name})`,
          found: `${len}`,
          hint: 'lift all tracks over to one assembly',
        });
      }
    }
  }
}

export async function makeClasterSamples(
  genes: ClasterGene[],
  tracks: TrackSource[],
  target: TrackSource | undefined,
  options: ClasterSampleOptions = {},
): Promise<ClasterSamples> {
  const land = options.landscape ?? CLASTER_LANDSCAPE;
  const tb = options.target ?? CLASTER_TARGET;
  const all = target ? [...tracks, target] : tracks;
  checkSameBuild(all);
  const val = new Set(options.validationChroms ?? ['chr17']);
  const test = new Set(options.testChroms ?? ['chr4']);
  const n = genes.length;
  const landscape = new Float32Array(n * tracks.length * land.nBins);
  const landscapeMask = new Uint8Array(n * land.nBins);
  const targets = target ? new Float32Array(n * tb.nBins) : undefined;
  const targetMask = target ? new Uint8Array(n * tb.nBins) : undefined;
  const masked: number[] = [];
  let off = 0;
  for (let g = 0; g < n; g++) {
    const gene = genes[g]!;
    for (const t of all) {
      if (!t.chroms.has(gene.chrom)) {
        throw new ChromflowError('VALUE', 'a track lacks the chromosome of a gene', {
          field: `${t.name}`,
          expected: `chromosome ${gene.chrom} (gene ${gene.gene})`,
          found: `${t.chroms.size} chromosomes: ${[...t.chroms.keys()].slice(0, 6).join(', ')}`,
        });
      }
    }
    const len = all[0]!.chroms.get(gene.chrom)!;
    const [ws, we] = tssWindowRange(gene.tss, land);
    let m = 0;
    for (let k = 0; k < tracks.length; k++) {
      const t = tracks[k]!;
      const iv = await t.fetch(gene.chrom, Math.max(0, ws), Math.min(len, we));
      const w = binAroundTss(iv, len, gene.tss, gene.strand, land);
      landscape.set(w.values, (g * tracks.length + k) * land.nBins);
      if (k === 0) {
        landscapeMask.set(w.mask, g * land.nBins);
        m = w.maskedBins;
      }
    }
    masked.push(m);
    if (m > 0) off++;
    if (target && targets && targetMask) {
      const [ts, te] = tssWindowRange(gene.tss, tb);
      const iv = await target.fetch(gene.chrom, Math.max(0, ts), Math.min(len, te));
      const w = binAroundTss(iv, len, gene.tss, gene.strand, tb);
      targets.set(w.values, g * tb.nBins);
      targetMask.set(w.mask, g * tb.nBins);
    }
  }
  const table = makeTable(
    {
      gene: genes.map((x) => x.gene),
      chromosome: genes.map((x) => x.chrom),
      strand: genes.map((x) => x.strand),
      tss: Int32Array.from(genes, (x) => x.tss),
      split: genes.map((x) =>
        test.has(x.chrom) ? 'test' : val.has(x.chrom) ? 'validation' : 'train',
      ),
      masked_bins: Int32Array.from(masked),
    },
    'claster-samples',
  );
  return {
    table,
    landscape,
    landscapeMask,
    targets,
    targetMask,
    nTracks: tracks.length,
    nBins: land.nBins,
    windowsOffChromosome: off,
  };
}
