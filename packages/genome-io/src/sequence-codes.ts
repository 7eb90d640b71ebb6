import { ChromflowError } from '@chromflow/core';

/**
 * DNA as compact codes (one byte per base: A=0, C=1, G=2, T=3, N=4 — XChrom's
 * and scBasset's order) and as one-hot tensors (Float32Array [n, width, 4],
 * channels A, C, G, T). Lower-case (soft-masked) bases encode as their base
 * unless `softMasked: 'n'`; every letter other than ACGT (N and the IUPAC
 * ambiguity codes) encodes as N.
 */

export const CODE_A = 0;
export const CODE_C = 1;
export const CODE_G = 2;
export const CODE_T = 3;
export const CODE_N = 4;

/** What soft-masked (lower-case) bases become: their base (`upper`, default) or N (`n`, i.e. hard-masked). */
export type SoftMaskPolicy = 'upper' | 'n';

const UPPER_TABLE = new Uint8Array(256).fill(CODE_N);
const HARDMASK_TABLE = new Uint8Array(256).fill(CODE_N);
for (const [ch, code] of [
  ['A', CODE_A],
  ['C', CODE_C],
  ['G', CODE_G],
  ['T', CODE_T],
] as const) {
  UPPER_TABLE[ch.charCodeAt(0)] = code;
  UPPER_TABLE[ch.toLowerCase().charCodeAt(0)] = code;
  HARDMASK_TABLE[ch.charCodeAt(0)] = code;
}

/** Codes of a sequence (see the module comment). `into`/`at` write into an existing buffer. */
export function codesFromSequence(
  sequence: string,
  options: { softMasked?: SoftMaskPolicy; into?: Uint8Array; at?: number } = {},
): Uint8Array {
  const table = options.softMasked === 'n' ? HARDMASK_TABLE : UPPER_TABLE;
  const out = options.into ?? new Uint8Array(sequence.length);
  const at = options.at ?? 0;
  for (let i = 0; i < sequence.length; i++) out[at + i] = table[sequence.charCodeAt(i) & 0xff]!;
  return out;
}

/** The opposite of `codesFromSequence` (upper case; code 4 → N). Throws VALUE on a code above 4. */
export function sequenceFromCodes(codes: Uint8Array): string {
  let s = '';
  const letters = 'ACGTN';
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c > 4) {
      throw new ChromflowError('VALUE', `sequence code ${c} at position ${i} is not 0–4`, {
        expected: 'A=0 C=1 G=2 T=3 N=4',
      });
    }
    s += letters[c];
  }
  return s;
}

/** What N becomes in one-hot: all channels 0 (default) or 0.25 each. */
export type NEncoding = 'zeros' | 'quarter';

/**
 * One-hot of `n` sequences of `width` codes each (codes.length must be n × width):
 * Float32Array [n, width, 4] in A, C, G, T order.
 */
export function oneHotFromCodes(
  codes: Uint8Array,
  width: number,
  options: { n?: NEncoding } = {},
): Float32Array {
  if (width <= 0 || codes.length % width !== 0) {
    throw new ChromflowError('VALUE', `cannot split ${codes.length} codes into rows of ${width}`, {
      field: 'width',
      expected: 'codes.length a multiple of width',
    });
  }
  const out = new Float32Array(codes.length * 4);
  const nValue = options.n === 'quarter' ? 0.25 : 0;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c < 4) out[i * 4 + c] = 1;
    else if (c === CODE_N) {
      if (nValue !== 0) out.fill(nValue, i * 4, i * 4 + 4);
    } else {
      throw new ChromflowError('VALUE', `sequence code ${c} at position ${i} is not 0–4`, {
        expected: 'A=0 C=1 G=2 T=3 N=4',
      });
    }
  }
  return out;
}

/**
 * The opposite of `oneHotFromCodes`: per position the channel holding the
 * maximum; a position whose four channels are equal (all 0 or all 0.25) is N.
 */
export function codesFromOneHot(oneHot: Float32Array): Uint8Array {
  if (oneHot.length % 4 !== 0) {
    throw new ChromflowError('VALUE', 'one-hot length is not a multiple of 4', {
      found: `${oneHot.length}`,
    });
  }
  const n = oneHot.length / 4;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = oneHot[i * 4]!;
    const c = oneHot[i * 4 + 1]!;
    const g = oneHot[i * 4 + 2]!;
    const t = oneHot[i * 4 + 3]!;
    if (a === c && c === g && g === t) {
      out[i] = CODE_N;
      continue;
    }
    let best = 0;
    let bv = a;
    if (c > bv) {
      best = 1;
      bv = c;
    }
    if (g > bv) {
      best = 2;
      bv = g;
    }
    if (t > bv) best = 3;
    out[i] = best;
  }
  return out;
}

/** Reverse complement of codes (A↔T, C↔G, N stays N), into a new array. */
export function reverseComplementCodes(codes: Uint8Array): Uint8Array {
  const n = codes.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = codes[n - 1 - i]!;
    out[i] = c < 4 ? 3 - c : c;
  }
  return out;
}

const COMPLEMENT: Record<string, string> = {
  A: 'T',
  C: 'G',
  G: 'C',
  T: 'A',
  N: 'N',
  a: 't',
  c: 'g',
  g: 'c',
  t: 'a',
  n: 'n',
  R: 'Y',
  Y: 'R',
  S: 'S',
  W: 'W',
  K: 'M',
  M: 'K',
  B: 'V',
  V: 'B',
  D: 'H',
  H: 'D',
  r: 'y',
  y: 'r',
  s: 's',
  w: 'w',
  k: 'm',
  m: 'k',
  b: 'v',
  v: 'b',
  d: 'h',
  h: 'd',
};

/** Reverse complement of a sequence, keeping case (IUPAC codes complemented; other characters kept). */
export function reverseComplement(sequence: string): string {
  let s = '';
  for (let i = sequence.length - 1; i >= 0; i--) {
    const ch = sequence[i]!;
    s += COMPLEMENT[ch] ?? ch;
  }
  return s;
}
