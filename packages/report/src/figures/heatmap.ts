import type { TopLevelSpec } from 'vega-lite';

export interface HeatmapInput {
  /** Row names (y, top to bottom) and column names (x, left to right). */
  rows: readonly string[];
  columns: readonly string[];
  /** [rows · columns] row-major; NaN cells are left empty. */
  values: ArrayLike<number>;
  rowTitle: string;
  columnTitle: string;
  valueTitle: string;
}

/** A rows × columns heatmap with a diverging colour scale centred on 0. */
export function heatmapSpec(h: HeatmapInput): TopLevelSpec {
  const values: { row: string; column: string; value: number }[] = [];
  h.rows.forEach((row, i) =>
    h.columns.forEach((column, j) => {
      const v = h.values[i * h.columns.length + j] as number;
      if (Number.isFinite(v)) values.push({ row, column, value: v });
    }),
  );
  const max = values.reduce((m, v) => Math.max(m, Math.abs(v.value)), 0) || 1;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    width: Math.max(120, 22 * h.columns.length),
    height: Math.max(60, 22 * h.rows.length),
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'column', type: 'nominal', sort: [...h.columns], title: h.columnTitle },
      y: { field: 'row', type: 'nominal', sort: [...h.rows], title: h.rowTitle },
      color: {
        field: 'value',
        type: 'quantitative',
        title: h.valueTitle,
        scale: { scheme: 'redblue', reverse: true, domain: [-max, max] },
      },
      tooltip: [
        { field: 'row', type: 'nominal' },
        { field: 'column', type: 'nominal' },
        { field: 'value', type: 'quantitative', format: '.3f' },
      ],
    },
  };
}
