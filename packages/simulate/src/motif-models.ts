import { ChromflowError } from '@chromflow/core';
import type { Random } from './random.js';

/**
 * Position weight matrices of the planted (driver) and decoy motifs, built
 * from each factor's published consensus written in IUPAC letters. Upper case
 * letters are strong positions, lower case weak ones, `N` uninformative.
 * The probabilities are ours (see `columnFromIupac`), not copied from a database.
 */
export interface MotifModel {
  /** MEME motif identifier, e.g. `SIM.SPI1`. */
  id: string;
  /** The transcription factor (MEME alternate name), e.g. `SPI1` or `FOS::JUN`. */
  tf: string;
  /** The IUPAC consensus the matrix was built from. */
  consensus: string;
  /** `driver`: opens peaks in the cell types where its TF is active; `decoy`: planted but drives nothing. */
  role: 'driver' | 'decoy';
  /** Rows = positions, columns = A, C, G, T probabilities (each row sums to 1). */
  pwm: number[][];
}

const IUPAC: Record<string, string> = {
  A: 'A',
  C: 'C',
  G: 'G',
  T: 'T',
  R: 'AG',
  Y: 'CT',
  S: 'CG',
  W: 'AT',
  K: 'GT',
  M: 'AC',
  N: 'ACGT',
};

/**
 * One PWM column for an IUPAC letter. A strong single base gets 0.85 (a 15 %
 * mismatch rate, typical of the core positions of SELEX/ChIP-derived matrices),
 * a weak (lower-case) base 0.55, a two-base code 0.45 per base; the rest is
 * spread evenly over the other bases.
 */
export function columnFromIupac(letter: string): number[] {
  const upper = letter.toUpperCase();
  const bases = IUPAC[upper];
  if (bases === undefined) {
    throw new ChromflowError(
      'PARAM',
      `The motif consensus has the letter '${letter}', which is not an IUPAC DNA code.`,
      {
        field: 'consensus',
        expected: 'one of A C G T R Y S W K M N (lower case = weak position)',
        found: letter,
      },
    );
  }
  const weak = letter !== upper;
  const inSet = bases.length === 1 ? (weak ? 0.55 : 0.85) : bases.length === 2 ? 0.45 : 0.25;
  const rest = (1 - inSet * bases.length) / (4 - bases.length || 1);
  return ['A', 'C', 'G', 'T'].map((b) =>
    bases.includes(b) ? inSet : bases.length === 4 ? 0.25 : rest,
  );
}

function makeMotif(
  id: string,
  tf: string,
  consensus: string,
  role: MotifModel['role'],
): MotifModel {
  return { id, tf, consensus, role, pwm: [...consensus].map(columnFromIupac) };
}

/** The factors of the simulation. Consensus sequences follow the JASPAR CORE profiles of each factor. */
export const DEFAULT_MOTIFS: readonly MotifModel[] = [
  makeMotif('SIM.SPI1', 'SPI1', 'wAAAAGAGGAAGTGr', 'driver'),
  makeMotif('SIM.GATA1', 'GATA1', 'tTCTTATCTgt', 'driver'),
  makeMotif('SIM.CEBPB', 'CEBPB', 'aTTGCGCAAt', 'driver'),
  makeMotif('SIM.AP1', 'FOS::JUN', 'rTGASTCAy', 'driver'),
  makeMotif('SIM.EBF1', 'EBF1', 'aTTCCCaAGGGAAt', 'driver'),
  makeMotif('SIM.CTCF', 'CTCF', 'tgGCCACCAGGGGGCGCya', 'driver'),
  makeMotif('SIM.HNF1A', 'HNF1A', 'gTTAATnATTAACn', 'decoy'),
  makeMotif('SIM.REST', 'REST', 'tTCAGCACCATGGACAGCgcC', 'decoy'),
  makeMotif('SIM.RUNX1', 'RUNX1', 'tcTGTGGTTt', 'decoy'),
];

const BASES = 'ACGT';

/** Draws one binding site from the PWM, position by position: the realistic mismatch rate. */
export function sampleSite(motif: MotifModel, rng: Random): string {
  let out = '';
  for (const col of motif.pwm) out += BASES[rng.weighted(col)]!;
  return out;
}

/** log2-odds of `site` (forward strand, upper case) under `motif` against a uniform background. */
export function scoreSite(motif: MotifModel, site: string): number {
  let s = 0;
  for (let i = 0; i < motif.pwm.length; i++) {
    const k = BASES.indexOf(site[i]!.toUpperCase());
    s += k < 0 ? -4 : Math.log2(motif.pwm[i]![k]! / 0.25);
  }
  return s;
}

/** The best log2-odds any site can reach (the consensus). */
export function maxScore(motif: MotifModel): number {
  let s = 0;
  for (const col of motif.pwm) s += Math.log2(Math.max(...col) / 0.25);
  return s;
}

/** Reverse complement of an upper-case DNA string. */
export function reverseComplement(seq: string): string {
  const comp: Record<string, string> = { A: 'T', C: 'G', G: 'C', T: 'A', N: 'N' };
  let out = '';
  for (let i = seq.length - 1; i >= 0; i--) out += comp[seq[i]!] ?? 'N';
  return out;
}

/**
 * MEME minimal motif format (version 4) text for `motifs`: one `MOTIF id alt`
 * block with a `letter-probability matrix` each, background = `background`
 * (A, C, G, T frequencies of the genome).
 */
export function formatMeme(
  motifs: readonly MotifModel[],
  background: readonly number[],
  nsites = 100,
): string {
  const lines = [
    'MEME version 4',
    '',
    'ALPHABET= ACGT',
    '',
    'strands: + -',
    '',
    'Background letter frequencies',
    `A ${fmt(background[0]!)} C ${fmt(background[1]!)} G ${fmt(background[2]!)} T ${fmt(background[3]!)}`,
    '',
  ];
  for (const m of motifs) {
    lines.push(`MOTIF ${m.id} ${m.tf}`, '');
    lines.push(`letter-probability matrix: alength= 4 w= ${m.pwm.length} nsites= ${nsites} E= 0`);
    for (const col of m.pwm) lines.push(col.map((p) => ` ${fmt(p)}`).join('\t'));
    lines.push('');
  }
  return lines.join('\n');
}

function fmt(p: number): string {
  return p.toFixed(6);
}
