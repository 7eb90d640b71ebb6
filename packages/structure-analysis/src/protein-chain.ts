import { ChromflowError } from '@chromflow/core';

/**
 * One polymer chain of a protein model, one entry per residue in file order.
 * Residue `i` (0-based index into the arrays) carries the author residue
 * number of the file (`residueNumbers[i]`, 1-based as in UniProt for
 * AlphaFold models) and its pLDDT (the B-factor column, 0–100).
 */
export interface ProteinChain {
  /** Chain identifier (PDB column 22, mmCIF `auth_asym_id`). */
  chainId: string;
  /** Author residue numbers (PDB columns 23–26, mmCIF `auth_seq_id`), 1-based. */
  residueNumbers: Int32Array;
  /** Insertion codes ('' when none). */
  insertionCodes: string[];
  /** Three-letter residue names. */
  residueNames: string[];
  /** One-letter sequence, `X` for residues with no standard code. */
  sequence: string;
  /** Per-residue pLDDT: the CA atom's B-factor (first atom's when there is no CA). */
  plddt: Float64Array;
}

/** A model file's chains in file order (first model only). */
export interface ProteinModel {
  path?: string;
  chains: ProteinChain[];
}

const THREE_TO_ONE: Record<string, string> = {
  ALA: 'A',
  ARG: 'R',
  ASN: 'N',
  ASP: 'D',
  CYS: 'C',
  GLN: 'Q',
  GLU: 'E',
  GLY: 'G',
  HIS: 'H',
  ILE: 'I',
  LEU: 'L',
  LYS: 'K',
  MET: 'M',
  PHE: 'F',
  PRO: 'P',
  SER: 'S',
  THR: 'T',
  TRP: 'W',
  TYR: 'Y',
  VAL: 'V',
  SEC: 'U',
  PYL: 'O',
  MSE: 'M',
  UNK: 'X',
};

/** Three-letter residue name → one-letter code (`X` when unknown). Opposite direction is not needed. */
export function oneLetterFromThree(name: string): string {
  return THREE_TO_ONE[name.toUpperCase()] ?? 'X';
}

/** Accumulates atoms into residues; shared by the PDB and mmCIF readers. */
export class ChainBuilder {
  readonly chainId: string;
  private readonly numbers: number[] = [];
  private readonly icodes: string[] = [];
  private readonly names: string[] = [];
  private readonly plddts: number[] = [];
  private hasCa: boolean[] = [];
  private lastKey = '';

  constructor(chainId: string) {
    this.chainId = chainId;
  }

  /** Adds one atom; a new residue starts when (number, insertion code) changes. */
  addAtom(resNum: number, icode: string, resName: string, atomName: string, bfactor: number): void {
    const key = `${resNum}|${icode}`;
    const isCa = atomName === 'CA';
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.numbers.push(resNum);
      this.icodes.push(icode);
      this.names.push(resName);
      this.plddts.push(bfactor);
      this.hasCa.push(isCa);
      return;
    }
    const last = this.plddts.length - 1;
    if (isCa && !this.hasCa[last]) {
      this.plddts[last] = bfactor;
      this.hasCa[last] = true;
    }
  }

  build(): ProteinChain {
    return {
      chainId: this.chainId,
      residueNumbers: Int32Array.from(this.numbers),
      insertionCodes: this.icodes,
      residueNames: this.names,
      sequence: this.names.map(oneLetterFromThree).join(''),
      plddt: Float64Array.from(this.plddts),
    };
  }
}

/** The chain named `chainId` (or the first chain when undefined); a VALUE error naming the chains otherwise. */
export function selectChain(model: ProteinModel, chainId?: string): ProteinChain {
  const chain =
    chainId === undefined || chainId === ''
      ? model.chains[0]
      : model.chains.find((c) => c.chainId === chainId);
  if (!chain) {
    throw new ChromflowError('VALUE', 'the structure has no such chain', {
      path: model.path,
      field: 'chain',
      expected: `one of ${model.chains.map((c) => `'${c.chainId}'`).join(', ') || 'no chains'}`,
      found: chainId === undefined ? 'no chain at all' : `'${chainId}'`,
      hint: 'pass the chain identifier from column 22 of the ATOM records (auth_asym_id in mmCIF)',
    });
  }
  return chain;
}

/**
 * Checks that B-factors are pLDDT values: each within [0, 100] and not all
 * zero (a model written without pLDDT has 0.00 in every B-factor field).
 */
export function requirePlddt(chain: ProteinChain, path?: string): void {
  let nonZero = false;
  for (let i = 0; i < chain.plddt.length; i++) {
    const v = chain.plddt[i]!;
    if (!(v >= 0 && v <= 100)) {
      throw new ChromflowError('VALUE', 'a B-factor is not a pLDDT value', {
        path,
        field: 'B-factor',
        expected: 'pLDDT between 0 and 100 in the B-factor column (AlphaFold models)',
        found: `${v} at residue ${chain.residueNumbers[i]} of chain ${chain.chainId}`,
        hint: 'this looks like an experimental structure; pLDDT segmentation needs a predicted model',
      });
    }
    if (v !== 0) nonZero = true;
  }
  if (!nonZero) {
    throw new ChromflowError('VALUE', 'every B-factor is zero, so the file holds no pLDDT', {
      path,
      field: 'B-factor',
      expected: 'pLDDT (0–100) in the B-factor column',
      found: `0.00 for all ${chain.plddt.length} residues of chain ${chain.chainId}`,
    });
  }
}
