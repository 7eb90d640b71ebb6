import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runsFromPositions } from '@chromflow/atac-pseudobulk';
import { ChromflowError } from '@chromflow/core';
import { openBigWig, readBed, readFragments } from '@chromflow/genome-io';
import type { TrackIntervals } from './claster-tracks.js';
import type { TrackSource } from './claster-samples.js';

const BIGWIG_MAGIC = 0x888ffc26;
const TRACK_EXTENSIONS = ['.bw', '.bigWig', '.bigwig', '.bedGraph', '.bedgraph', '.bg'];

async function isBigWig(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch((e: unknown) => {
    throw new ChromflowError('IO', 'the track file cannot be read', { path, cause: e });
  });
  try {
    const b = new Uint8Array(4);
    await fh.read(b, 0, 4, 0);
    return new DataView(b.buffer).getUint32(0, true) === BIGWIG_MAGIC;
  } finally {
    await fh.close();
  }
}

/**
 * A bedGraph held in memory as a {@link TrackSource}. Its chromosome lengths
 * are the largest interval end per chromosome (bedGraph states none) until
 * {@link adoptLengths} gives it those of a bigWig of the same build.
 */
async function bedGraphSource(path: string, name: string): Promise<TrackSource> {
  const r = await readBed(path, { flavour: 'bedGraph' });
  const value = r.columns['value'] as Float64Array;
  const byChrom = new Map<string, { starts: number[]; ends: number[]; values: number[] }>();
  for (let k = 0; k < r.length; k++) {
    const c = r.chromNames[r.chromIds[k]!]!;
    let e = byChrom.get(c);
    if (!e) byChrom.set(c, (e = { starts: [], ends: [], values: [] }));
    e.starts.push(r.starts[k]!);
    e.ends.push(r.ends[k]!);
    e.values.push(value[k]!);
  }
  const chroms = new Map<string, number>();
  const arrays = new Map<string, TrackIntervals>();
  for (const [c, e] of byChrom) {
    const order = e.starts.map((_, i) => i).sort((a, b) => e.starts[a]! - e.starts[b]!);
    arrays.set(c, {
      starts: Int32Array.from(order, (i) => e.starts[i]!),
      ends: Int32Array.from(order, (i) => e.ends[i]!),
      values: Float32Array.from(order, (i) => e.values[i]!),
    });
    chroms.set(c, Math.max(...e.ends));
  }
  return memoryTrackSource(name, chroms, arrays);
}

/** Sorted, non-overlapping intervals per chromosome as a {@link TrackSource}. */
function memoryTrackSource(
  name: string,
  chroms: Map<string, number>,
  arrays: Map<string, TrackIntervals>,
): TrackSource {
  return {
    name,
    chroms,
    fetch(chrom, start, end) {
      const a = arrays.get(chrom);
      if (!a) return Promise.resolve({ starts: [], ends: [], values: [] });
      let lo = 0;
      let hi = a.starts.length;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if (a.ends[m]! <= start) lo = m + 1;
        else hi = m;
      }
      let top = lo;
      while (top < a.starts.length && a.starts[top]! < end) top++;
      return Promise.resolve({
        starts: (a.starts as Int32Array).subarray(lo, top),
        ends: (a.ends as Int32Array).subarray(lo, top),
        values: (a.values as Float32Array).subarray(lo, top),
      });
    },
  };
}

/**
 * An accessibility track from a fragments file: Tn5 insertions (each
 * fragment's `start` and `end − 1`, as atac-pseudobulk's coverage) per base,
 * all barcodes pooled, run-length encoded by atac-pseudobulk's
 * `runsFromPositions`. Binned to 100 bp it is insertions per base (mean).
 * Chromosome lengths are the last insertion + 1 until {@link adoptLengths}.
 */
export async function fragmentsTrackSource(path: string, name: string): Promise<TrackSource> {
  const positions = new Map<string, number[]>();
  for await (const b of readFragments(path)) {
    for (let i = 0; i < b.length; i++) {
      const c = b.chromNames[b.chromIds[i]!]!;
      let list = positions.get(c);
      if (!list) positions.set(c, (list = []));
      list.push(b.starts[i]!, b.ends[i]! - 1);
    }
  }
  const chroms = new Map<string, number>();
  const arrays = new Map<string, TrackIntervals>();
  for (const [c, list] of positions) {
    const runs = runsFromPositions(c, Int32Array.from(list).sort());
    const starts: number[] = [];
    const ends: number[] = [];
    const values: number[] = [];
    let pos = 0;
    for (let k = 0; k < runs.lengths.length; k++) {
      const v = runs.values[k]!;
      if (v !== 0) {
        starts.push(pos);
        ends.push(pos + runs.lengths[k]!);
        values.push(v);
      }
      pos += runs.lengths[k]!;
    }
    arrays.set(c, {
      starts: Int32Array.from(starts),
      ends: Int32Array.from(ends),
      values: Float32Array.from(values),
    });
    chroms.set(c, pos);
  }
  return memoryTrackSource(name, chroms, arrays);
}

/** Opens one signal track, bigWig (by its magic) or bedGraph, as a {@link TrackSource}. */
export async function openTrackSource(path: string, name: string): Promise<TrackSource> {
  if (await isBigWig(path)) {
    const bw = await openBigWig(path);
    return { name, chroms: bw.chroms, fetch: (c, s, e) => bw.fetch(c, s, e) };
  }
  return bedGraphSource(path, name);
}

/** `<dir>/<name>.<bw|bigWig|bedGraph|bg>` for each name; a VALUE error names a missing track. */
export async function findTrackFiles(dir: string, names: readonly string[]): Promise<string[]> {
  const files = await readdir(dir).catch((e: unknown) => {
    throw new ChromflowError('IO', 'the tracks folder cannot be read', { path: dir, cause: e });
  });
  return names.map((n) => {
    const f = TRACK_EXTENSIONS.map((x) => `${n}${x}`).find((x) => files.includes(x));
    if (!f) {
      throw new ChromflowError('VALUE', `no file for track ${n}`, {
        path: dir,
        field: 'tracks',
        expected: `${n}.bw, ${n}.bigWig or ${n}.bedGraph`,
        found: files.length ? files.slice(0, 8).join(', ') : 'an empty folder',
      });
    }
    return join(dir, f);
  });
}

/**
 * A bedGraph (or fragments) track states no chromosome lengths: it takes those of `reference` (a
 * bigWig); an interval past a reference chromosome's end means another genome
 * build (VALUE error). A reference chromosome without bedGraph lines is all
 * zero signal (bedGraphs of sparse signal list only where it is).
 */
export function adoptLengths(bedGraph: TrackSource, reference: TrackSource): void {
  for (const [c, maxEnd] of bedGraph.chroms) {
    const len = reference.chroms.get(c);
    if (len === undefined) continue;
    if (maxEnd > len) {
      throw new ChromflowError('VALUE', 'the tracks come from different genome builds', {
        field: `${bedGraph.name}.${c}`,
        expected: `intervals within ${c}'s ${len} bp (as in ${reference.name})`,
        found: `an interval ending at ${maxEnd}`,
        hint: 'lift all tracks over to one assembly',
      });
    }
    bedGraph.chroms.set(c, len);
  }
  for (const [c, len] of reference.chroms) if (!bedGraph.chroms.has(c)) bedGraph.chroms.set(c, len);
}

/** Opens tracks and makes bedGraph ones adopt the lengths of the first bigWig among them. */
export async function openTrackSources(
  paths: readonly string[],
  names: readonly string[],
): Promise<TrackSource[]> {
  const out: TrackSource[] = [];
  const kinds: boolean[] = [];
  for (let k = 0; k < paths.length; k++) {
    kinds.push(await isBigWig(paths[k]!));
    out.push(await openTrackSource(paths[k]!, names[k]!));
  }
  const ref = out.find((_, k) => kinds[k]);
  if (ref) out.forEach((t, k) => !kinds[k] && adoptLengths(t, ref));
  return out;
}
