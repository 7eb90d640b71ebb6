import type { TopLevelSpec } from 'vega-lite';

/** One peak's per-base scores for several cell types (genome coordinates, 0-based). */
export interface IsmTrackInput {
  title: string;
  chrom: string;
  /** Rows: cell type, 0-based position, ISM score (centred, at the reference base), gradient × input. */
  rows: readonly { cellType: string; position: number; score: number; gxi: number }[];
}

const BASE_COLOURS = {
  domain: ['A', 'C', 'G', 'T'],
  range: ['#2ca02c', '#1f77b4', '#ff7f0e', '#d62728'],
};

/** Per-base ISM score as bars, one row per cell type, gradient × input as a line over it. */
export function ismTrackSpec(t: IsmTrackInput): TopLevelSpec {
  const xs = t.rows.map((r) => r.position);
  const domain = [Math.min(...xs), Math.max(...xs) + 1];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: t.rows.map((r) => ({ ...r, end: r.position + 1 })) },
    facet: { row: { field: 'cellType', type: 'nominal', title: null } },
    spec: {
      width: 560,
      height: 60,
      layer: [
        {
          mark: { type: 'rect', color: '#4c78a8' },
          encoding: {
            x: {
              field: 'position',
              type: 'quantitative',
              scale: { domain, nice: false, zero: false },
              title: `${t.chrom} (bp, 0-based)`,
            },
            x2: { field: 'end' },
            y: { field: 'score', type: 'quantitative', title: 'ISM (Δlogit)' },
            y2: { datum: 0 },
          },
        },
        {
          mark: { type: 'line', color: '#e45756', strokeWidth: 1 },
          encoding: {
            x: { field: 'position', type: 'quantitative' },
            y: { field: 'gxi', type: 'quantitative' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'shared' } },
    title: t.title,
  };
}

/** The 4 centred ISM values of each position of a short window, stacked per base (a logo as bars). */
export interface IsmLogoInput {
  title: string;
  /** Rows: 0-based position, reference base, base, centred Δlogit. */
  rows: readonly { position: number; ref: string; base: string; delta: number }[];
}

/**
 * A sequence logo drawn as bars: at each position the 4 bases' centred Δlogit stacked
 * above and below 0, coloured by base; the reference base is labelled on the axis.
 */
export function ismLogoSpec(l: IsmLogoInput): TopLevelSpec {
  const labels = new Map(l.rows.map((r) => [r.position, r.ref]));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: {
      values: l.rows.map((r) => ({ ...r, label: `${r.position} ${labels.get(r.position)}` })),
    },
    width: Math.max(200, 18 * labels.size),
    height: 160,
    mark: { type: 'bar' },
    encoding: {
      x: {
        field: 'label',
        type: 'ordinal',
        sort: { field: 'position' },
        title: 'position, reference base',
        axis: { labelAngle: -90 },
      },
      y: { field: 'delta', type: 'quantitative', stack: 'zero', title: 'centred Δlogit' },
      color: { field: 'base', type: 'nominal', scale: BASE_COLOURS, title: 'base' },
    },
    title: l.title,
  };
}
