/**
 * Position frequency models of DNA-binding motifs, as the motif files hold
 * them: one row per motif position, one column per base in the order A, C, G, T.
 */

/** Bases of the DNA alphabet in column order; code `i` of a sequence is `DNA_ALPHABET[i]`, code 4 is N. */
export const DNA_ALPHABET = 'ACGT';

/** One motif: a letter-probability matrix plus what the file said about it. */
export interface Motif {
  /** Identifier as written in the file (`MA0004.1`, `AHR_HUMAN.H11MO.0.B`, `M00111_2.00`). */
  id: string;
  /** Second name on the `MOTIF` line (MEME) or header line (JASPAR), e.g. the TF name; '' when none. */
  altName: string;
  /** Number of positions. */
  width: number;
  /** Probabilities, row-major `width × 4` (position i, base b at `i*4+b`); each row sums to about 1. */
  probabilities: Float64Array;
  /**
   * Number of sites the matrix was built from; weights the pseudocount (FIMO:
   * `p' = (p·nsites + pseudo·bg)/(nsites + pseudo)`). MEME files without
   * `nsites=` get 20, the MEME suite's default.
   */
  nsites: number;
  /** E-value from the MEME `E=` field, when given. */
  evalue?: number;
  /** `URL` line of the MEME file, when given. */
  url?: string;
}

/** The contents of a motif file. */
export interface MotifSet {
  motifs: Motif[];
  /** Background letter frequencies A, C, G, T from the file header, when it had them. */
  background?: Float64Array;
  /** Strands the file declares (`strands: + -`); undefined when not stated. */
  strands?: '+' | '+-';
  /** MEME version line's number (`4`, `5.5.5`), when the file came from MEME format. */
  memeVersion?: string;
}

/** Number of sites assumed when a MEME motif has no `nsites=` (the MEME suite's default). */
export const DEFAULT_NSITES = 20;

/** The motif's name as a table label: `id` alone (ids are unique within a file). */
export function motifLabel(motif: Motif): string {
  return motif.id;
}

/** A motif from a count matrix (`width × 4`, A C G T per position): probabilities = counts / column total, nsites = the largest column total. */
export function motifFromCounts(
  id: string,
  altName: string,
  counts: ArrayLike<number>,
  width: number,
): Motif {
  const probabilities = new Float64Array(width * 4);
  let nsites = 0;
  for (let i = 0; i < width; i++) {
    let total = 0;
    for (let b = 0; b < 4; b++) total += counts[i * 4 + b] ?? 0;
    nsites = Math.max(nsites, total);
    for (let b = 0; b < 4; b++)
      probabilities[i * 4 + b] = total > 0 ? (counts[i * 4 + b] ?? 0) / total : 0.25;
  }
  return { id, altName, width, probabilities, nsites: nsites > 0 ? nsites : DEFAULT_NSITES };
}
