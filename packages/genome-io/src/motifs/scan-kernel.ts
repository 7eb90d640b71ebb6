/**
 * The scanning loop, kept free of imports, closures and inner functions so
 * that its source text (`scanKernel.toString()`) also runs inside a worker
 * thread created from a string (see scan-workers.ts).
 *
 * Windows are scored 5 bases at a time: `kmers[q]` is the base-5 code of the
 * 5 codes at q … q+4 (digit 4 = N or past the region end, most significant
 * digit first), and each motif strand has one 3125-entry table per 5-position
 * block, holding that block's integer score (N inside the motif: hugely
 * negative; positions past the motif's end: ignored).
 *
 * Layout of `plan` (Int32Array, 8 ints per strand entry, entries grouped by
 * motif, forward then reverse):
 *   [width, tableStart, orderStart, motif, strand(0 '+', 1 '-'), needStart, active, nBlocks]
 * Blocks are visited most informative first: `orders[orderStart + k]` is the
 * offset in the window of the k-th visited block, its table starts at
 * `tableStart + k*3125`, and `needs[needStart + k]` is the least partial sum
 * after k+1 blocks that can still reach the threshold (the last `need` is the
 * threshold itself), so most windows are abandoned after one or two lookups.
 *
 * Regions are processed in blocks of about `blockBases` bases, motif-major
 * inside a block so a motif's tables stay in cache; the hits are then put in
 * region, motif, strand, start order by a stable counting sort on region.
 */
export interface KernelHits {
  count: number;
  regions: Int32Array;
  motifs: Int32Array;
  starts: Int32Array;
  strands: Int32Array;
  intScores: Int32Array;
}

export const KMER_K = 5;
export const KMER_TABLE_SIZE = 3125;

export function scanKernel(
  kmers: Uint16Array,
  offsets: Int32Array,
  plan: Int32Array,
  entryStart: number,
  entryEnd: number,
  tables: Int32Array,
  orders: Int32Array,
  needs: Int32Array,
  blockBases: number,
): KernelHits {
  let cap = 4096;
  let n = 0;
  let regions = new Int32Array(cap);
  let motifs = new Int32Array(cap);
  let starts = new Int32Array(cap);
  let strands = new Int32Array(cap);
  let scores = new Int32Array(cap);
  const nRegions = offsets.length - 1;
  let r0 = 0;
  while (r0 < nRegions) {
    let r1 = r0 + 1;
    while (r1 < nRegions && offsets[r1 + 1]! - offsets[r0]! <= blockBases) r1++;
    for (let x = entryStart; x < entryEnd; x++) {
      if (plan[x * 8 + 6] === 0) continue;
      const w = plan[x * 8]!;
      const t0 = plan[x * 8 + 1]!;
      const o0 = plan[x * 8 + 2]!;
      const motif = plan[x * 8 + 3]!;
      const strand = plan[x * 8 + 4]!;
      const n0 = plan[x * 8 + 5]!;
      const nb = plan[x * 8 + 7]!;
      const off0 = orders[o0]!;
      const need0 = needs[n0]!;
      const first = tables.subarray(t0, t0 + 3125);
      const firstKmers = kmers.subarray(off0);
      for (let r = r0; r < r1; r++) {
        const a = offsets[r]!;
        const last = offsets[r + 1]! - w;
        for (let p = a; p <= last; p++) {
          // Most windows fail on the first (most informative) block.
          let s = first[firstKmers[p]!]!;
          if (s < need0) continue;
          let k = 1;
          for (; k < nb; k++) {
            s += tables[t0 + k * 3125 + kmers[p + orders[o0 + k]!]!]!;
            if (s < needs[n0 + k]!) break;
          }
          if (k < nb) continue;
          if (n === cap) {
            cap *= 2;
            const r2 = new Int32Array(cap);
            r2.set(regions);
            regions = r2;
            const m2 = new Int32Array(cap);
            m2.set(motifs);
            motifs = m2;
            const s2 = new Int32Array(cap);
            s2.set(starts);
            starts = s2;
            const d2 = new Int32Array(cap);
            d2.set(strands);
            strands = d2;
            const c2 = new Int32Array(cap);
            c2.set(scores);
            scores = c2;
          }
          regions[n] = r;
          motifs[n] = motif;
          starts[n] = p - a;
          strands[n] = strand;
          scores[n] = s;
          n++;
        }
      }
    }
    r0 = r1;
  }
  // Stable counting sort by region: (motif, strand, region, start) within a block → (region, motif, strand, start).
  const counts = new Int32Array(nRegions + 1);
  for (let i = 0; i < n; i++) counts[regions[i]! + 1]!++;
  for (let r = 0; r < nRegions; r++) counts[r + 1]! += counts[r]!;
  const oRegions = new Int32Array(n);
  const oMotifs = new Int32Array(n);
  const oStarts = new Int32Array(n);
  const oStrands = new Int32Array(n);
  const oScores = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = counts[regions[i]!]!++;
    oRegions[j] = regions[i]!;
    oMotifs[j] = motifs[i]!;
    oStarts[j] = starts[i]!;
    oStrands[j] = strands[i]!;
    oScores[j] = scores[i]!;
  }
  return {
    count: n,
    regions: oRegions,
    motifs: oMotifs,
    starts: oStarts,
    strands: oStrands,
    intScores: oScores,
  };
}

/**
 * Base-5 codes of the 5-base words starting at each position (digits: codes
 * 0–3, 4 for N, for anything above 3 and for positions past the region's end).
 */
export function kmersFromCodes(codes: Uint8Array, offsets: Int32Array): Uint16Array {
  const kmers = new Uint16Array(codes.length);
  const nRegions = offsets.length - 1;
  for (let r = 0; r < nRegions; r++) {
    const a = offsets[r]!;
    const b = offsets[r + 1]!;
    let v = 0;
    // Prime with the first 4 digits, then roll.
    for (let q = a; q < a + 4; q++) v = v * 5 + (q < b && codes[q]! < 4 ? codes[q]! : 4);
    for (let p = a; p < b; p++) {
      const q = p + 4;
      v = (v % 625) * 5 + (q < b && codes[q]! < 4 ? codes[q]! : 4);
      kmers[p] = v;
    }
  }
  return kmers;
}
