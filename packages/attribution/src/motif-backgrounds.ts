import { ChromflowError, SeededRandom } from '@chromflow/core';

/**
 * GC-matched random backgrounds [n · L] (base codes A=0 C=1 G=2 T=3): background i
 * takes the GC fraction of a peak drawn uniformly (seeded) from `peakCodes`
 * ([nPeaks · L]; N positions ignored) and draws each base i.i.d. with
 * P(C) = P(G) = gc/2, P(A) = P(T) = (1 − gc)/2. This is scBasset's "GC-matched
 * random" background; no shuffling, so the peaks' own motifs are not kept.
 */
export function gcMatchedBackgrounds(
  peakCodes: Uint8Array,
  length: number,
  n: number,
  seed: number,
): Uint8Array {
  const nPeaks = Math.floor(peakCodes.length / length);
  if (nPeaks === 0 || nPeaks * length !== peakCodes.length) {
    throw new ChromflowError('VALUE', 'background source is not whole sequences', {
      expected: `a positive multiple of ${length} codes`,
      found: String(peakCodes.length),
    });
  }
  const gc = new Float64Array(nPeaks);
  for (let p = 0; p < nPeaks; p++) {
    let g = 0;
    let known = 0;
    for (let i = p * length; i < (p + 1) * length; i++) {
      const c = peakCodes[i] as number;
      if (c < 4) {
        known++;
        if (c === 1 || c === 2) g++;
      }
    }
    gc[p] = known > 0 ? g / known : 0.5;
  }
  const rng = new SeededRandom(seed);
  const out = new Uint8Array(n * length);
  for (let b = 0; b < n; b++) {
    const f = gc[rng.int(0, nPeaks)] as number;
    for (let i = b * length; i < (b + 1) * length; i++) {
      const u = rng.uniform();
      // A | C | G | T with widths (1−f)/2, f/2, f/2, (1−f)/2.
      out[i] = u < (1 - f) / 2 ? 0 : u < 0.5 ? 1 : u < 0.5 + f / 2 ? 2 : 3;
    }
  }
  return out;
}

/** Consensus codes of a row-major `width × 4` probability matrix (argmax per position; ties → lowest code). */
export function consensusCodes(probabilities: ArrayLike<number>, width: number): Uint8Array {
  const out = new Uint8Array(width);
  for (let i = 0; i < width; i++) {
    let best = 0;
    for (let b = 1; b < 4; b++)
      if ((probabilities[i * 4 + b] ?? 0) > (probabilities[i * 4 + best] ?? 0)) best = b;
    out[i] = best;
  }
  return out;
}

/** Copies of `backgrounds` ([n · L]) with `site` written over the centre, from ⌊(L − w)/2⌋ (0-based). */
export function insertAtCentre(
  backgrounds: Uint8Array,
  length: number,
  site: Uint8Array,
): Uint8Array {
  if (site.length > length) {
    throw new ChromflowError('VALUE', 'motif is longer than the sequence window', {
      expected: `≤ ${length} bp`,
      found: `${site.length} bp`,
    });
  }
  const out = backgrounds.slice();
  const start = Math.floor((length - site.length) / 2);
  for (let b = 0; b < out.length / length; b++) out.set(site, b * length + start);
  return out;
}
