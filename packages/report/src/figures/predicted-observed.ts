import type { TopLevelSpec } from 'vega-lite';

export interface PredictedObservedPanel {
  /** Facet title (e.g. "Tact (RNA only) — Pearson 0.41, n = 120"). */
  name: string;
  predicted: ArrayLike<number>;
  observed: ArrayLike<number>;
}

/** Predicted against observed, one scatter panel per group with a y = x line. */
export function predictedObservedSpec(
  panels: readonly PredictedObservedPanel[],
  axis: { predicted: string; observed: string },
): TopLevelSpec {
  const values = panels.flatMap((p) =>
    Array.from({ length: p.predicted.length }, (_, i) => ({
      panel: p.name,
      predicted: p.predicted[i] as number,
      observed: p.observed[i] as number,
    })).filter((v) => Number.isFinite(v.predicted) && Number.isFinite(v.observed)),
  );
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v.predicted, v.observed);
    hi = Math.max(hi, v.predicted, v.observed);
  }
  if (!(hi > lo)) [lo, hi] = [0, 1];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels.map((p) => p.name) },
    columns: 2,
    spec: {
      width: 220,
      height: 220,
      layer: [
        {
          mark: { type: 'point', size: 14, opacity: 0.6, filled: true },
          encoding: {
            x: {
              field: 'observed',
              type: 'quantitative',
              title: axis.observed,
              scale: { domain: [lo, hi] },
            },
            y: {
              field: 'predicted',
              type: 'quantitative',
              title: axis.predicted,
              scale: { domain: [lo, hi] },
            },
          },
        },
        {
          data: { values: [{ a: lo }, { a: hi }] },
          mark: { type: 'line', strokeDash: [4, 3], color: '#999' },
          encoding: {
            x: { field: 'a', type: 'quantitative' },
            y: { field: 'a', type: 'quantitative' },
          },
        },
      ],
    },
  };
}
