import type { TopLevelSpec } from 'vega-lite';

/** One epoch of a training history: its number (1-based) and named losses. */
export interface EpochLosses {
  epoch: number;
  losses: Record<string, number>;
}

/**
 * Loss per epoch, one line per named loss (training, validation blocks), with
 * the selected epochs marked. A resumed run's history is one continuous
 * series, so the curve shows no seam.
 */
export function trainingCurvesSpec(
  history: readonly EpochLosses[],
  selected: Record<string, number> = {},
): TopLevelSpec {
  const values = history.flatMap((h) =>
    Object.entries(h.losses)
      .filter(([, v]) => Number.isFinite(v))
      .map(([series, loss]) => ({ epoch: h.epoch, series, loss })),
  );
  const marks = Object.entries(selected).map(([selection, epoch]) => ({ selection, epoch }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 420,
    height: 260,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: { size: 12 } },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
          y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false } },
          color: { field: 'series', type: 'nominal', title: 'loss' },
        },
      },
      {
        data: { values: marks },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#444' },
        encoding: {
          x: { field: 'epoch', type: 'quantitative' },
          tooltip: [{ field: 'selection' }, { field: 'epoch' }],
        },
      },
    ],
  };
}
