import type { TopLevelSpec } from 'vega-lite';
import type { RocCurve } from '@chromflow/core';
import { thinCurve } from '../thin-curve.js';

/** ROC curves of several held-out blocks in one panel, each named with its AUROC. */
export function rocFigureSpec(curves: readonly { name: string; curve: RocCurve }[]): TopLevelSpec {
  const values = curves.flatMap(({ name, curve }) => {
    const t = thinCurve(curve);
    const label = `${name} (AUROC ${curve.auc.toFixed(3)})`;
    return t.fpr.map((fpr, i) => ({ block: label, fpr, tpr: t.tpr[i]!, order: i }));
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 300,
    height: 300,
    layer: [
      {
        data: { values: [{ a: 0 }, { a: 1 }] },
        mark: { type: 'line', strokeDash: [4, 3], color: '#999' },
        encoding: {
          x: { field: 'a', type: 'quantitative' },
          y: { field: 'a', type: 'quantitative' },
        },
      },
      {
        data: { values },
        mark: { type: 'line' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false-positive rate' },
          y: { field: 'tpr', type: 'quantitative', title: 'true-positive rate' },
          color: {
            field: 'block',
            type: 'nominal',
            title: 'held-out block',
            legend: { labelLimit: 400, orient: 'bottom', direction: 'vertical' },
          },
          order: { field: 'order', type: 'quantitative' },
        },
      },
    ],
  };
}
