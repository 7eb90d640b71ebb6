import type { BigWigTrack, SignalIntervals } from '@chromflow/genome-io';

/** Per-base values of one attributed span on the genome (0-based start). */
export interface BaseTrackSpan {
  readonly chrom: string;
  readonly start: number;
  readonly values: Float32Array;
}

/**
 * One genome-browser track of per-base spans: one-base intervals, sorted by
 * chromosome (first-seen order) and position. Where spans overlap (nearby
 * peaks' windows), the span listed first keeps the bases, since bigWig and
 * bedGraph allow one value per base. Chromosome lengths are the last covered
 * base (the windows table holds no chromosome sizes).
 */
export function trackFromSpans(spans: readonly BaseTrackSpan[]): BigWigTrack {
  const byChrom = new Map<string, Map<number, number>>();
  for (const s of spans) {
    const bases = byChrom.get(s.chrom) ?? new Map<number, number>();
    byChrom.set(s.chrom, bases);
    s.values.forEach((v, i) => {
      if (!bases.has(s.start + i)) bases.set(s.start + i, v);
    });
  }
  const chroms: BigWigTrack['chroms'] = [];
  const intervals = new Map<string, SignalIntervals>();
  for (const [chrom, bases] of byChrom) {
    const pos = Int32Array.from(bases.keys()).sort();
    intervals.set(chrom, {
      starts: pos,
      ends: pos.map((p) => p + 1),
      values: Float32Array.from(pos, (p) => bases.get(p) as number),
    });
    chroms.push({ name: chrom, length: (pos[pos.length - 1] ?? 0) + 1 });
  }
  return { chroms, intervals };
}

/** bedGraph text (0-based half-open, 6 significant digits) of `track`, with a track line naming it. */
export function bedGraphFromTrack(track: BigWigTrack, name: string): string {
  const lines = [`track type=bedGraph name="${name.replace(/"/g, "'")}"`];
  for (const { name: chrom } of track.chroms) {
    const iv = track.intervals.get(chrom);
    if (!iv) continue;
    for (let i = 0; i < iv.starts.length; i++)
      lines.push(
        `${chrom}\t${iv.starts[i]}\t${iv.ends[i]}\t${Number((iv.values[i] as number).toPrecision(6))}`,
      );
  }
  return lines.join('\n') + '\n';
}
