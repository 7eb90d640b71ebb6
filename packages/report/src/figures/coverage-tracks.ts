import type { TopLevelSpec } from 'vega-lite';

export interface CoverageTrack {
  group: string;
  /** 0-based starts of the bins (bedGraph intervals), exclusive ends, values. */
  starts: ArrayLike<number>;
  ends: ArrayLike<number>;
  values: ArrayLike<number>;
}

export interface CoverageTracksInput {
  title: string;
  chrom: string;
  /** The window shown: 0-based start, exclusive end. */
  start: number;
  end: number;
  /** 0-based TSS position and strand of the gene, marked on every track. */
  tss: number;
  tracks: readonly CoverageTrack[];
}

/** One step-area track per group around a gene (a genome-browser view, rows share the x axis). */
export function coverageTracksSpec(c: CoverageTracksInput): TopLevelSpec {
  // One rectangle per bedGraph interval (clipped to the window), as a genome browser draws it.
  const values = c.tracks.flatMap((t) => {
    const rows: { group: string; start: number; end: number; value: number }[] = [];
    for (let i = 0; i < t.starts.length; i++) {
      const s = Math.max(c.start, t.starts[i] as number);
      const e = Math.min(c.end, t.ends[i] as number);
      if (e > s) rows.push({ group: t.group, start: s, end: e, value: t.values[i] as number });
    }
    if (rows.length === 0) rows.push({ group: t.group, start: c.start, end: c.start, value: 0 });
    return rows;
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    facet: { row: { field: 'group', type: 'nominal', title: null } },
    spec: {
      width: 520,
      height: 50,
      layer: [
        {
          mark: { type: 'rect', color: '#4c78a8' },
          encoding: {
            x2: { field: 'end' },
            y2: { datum: 0 },
            x: {
              field: 'start',
              type: 'quantitative',
              scale: { domain: [c.start, c.end] },
              title: `${c.chrom} (bp)`,
            },
            y: { field: 'value', type: 'quantitative', title: null },
          },
        },
        {
          data: { values: [{ tss: c.tss }] },
          mark: { type: 'rule', color: '#d62728' },
          encoding: { x: { field: 'tss', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { y: 'shared' } },
    title: c.title,
  };
}
