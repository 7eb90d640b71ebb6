import { pearson, readTable } from '@chromflow/core';
import type { ReportSection } from '../html-report.js';
import { renderVegaLite } from '../render-svg.js';
import { predictedObservedSpec } from '../figures/predicted-observed.js';
import { numberColumn, stringColumn } from '../table-columns.js';

/**
 * GET predicted against observed expression on TSS regions, per cell type:
 * each (region, strand) with a TSS is one point, its prediction averaged over
 * the windows that hold it (as models.get-predict's metrics do).
 */
export async function getSection(
  predictionsPath: string,
  rnaOnlyCellTypes: readonly string[] = [],
): Promise<ReportSection> {
  const t = await readTable(predictionsPath);
  const type = stringColumn(t, 'cell_type') ?? [];
  const strand = stringColumn(t, 'strand') ?? [];
  const row = numberColumn(t, 'row', predictionsPath);
  const predicted = numberColumn(t, 'predicted', predictionsPath);
  const observed = numberColumn(t, 'observed', predictionsPath);
  const tssCol = t.getChild('tss');
  const points = new Map<string, Map<string, { p: number; o: number; n: number }>>();
  for (let i = 0; i < t.numRows; i++) {
    if (tssCol?.get(i) !== true) continue;
    const byType = points.get(type[i]!) ?? new Map<string, { p: number; o: number; n: number }>();
    points.set(type[i]!, byType);
    const key = `${row[i]}${strand[i]}`;
    const acc = byType.get(key) ?? { p: 0, o: observed[i]!, n: 0 };
    acc.p += predicted[i]!;
    acc.n += 1;
    byType.set(key, acc);
  }
  const types = [...points.keys()].sort();
  if (types.length === 0)
    return {
      title: 'GET',
      paragraphs: [`No TSS rows in ${predictionsPath} (an accessibility-only GET has none).`],
    };
  const stats = types.map((ty) => {
    const v = [...points.get(ty)!.values()];
    const p = v.map((x) => x.p / x.n);
    const o = v.map((x) => x.o);
    return {
      type: ty,
      p,
      o,
      r: pearson(p, o),
      n: v.length,
      rnaOnly: rnaOnlyCellTypes.includes(ty),
    };
  });
  const name = (s: (typeof stats)[number]): string =>
    `${s.type}${s.rnaOnly ? ' (RNA only)' : ''}: Pearson ${s.r.toFixed(3)}, n = ${s.n}`;
  const svg = await renderVegaLite(
    predictedObservedSpec(
      stats.map((s) => ({ name: name(s), predicted: s.p, observed: s.o })),
      { predicted: 'GET predicted expression', observed: 'observed expression (label)' },
    ),
  );
  return {
    title: 'GET',
    paragraphs: [
      `GET predictions on TSS regions for ${types.length} cell types${rnaOnlyCellTypes.length ? `; ${rnaOnlyCellTypes.join(', ')} had no ATAC (its accessibility came from XChrom)` : ''}.`,
    ],
    tables: [
      {
        title: 'Pearson of predicted and observed expression on TSS (region, strand) pairs',
        columns: ['cell type', 'TSS pairs', 'Pearson'],
        rows: stats.map((s) => [`${s.type}${s.rnaOnly ? ' (RNA only)' : ''}`, s.n, s.r]),
      },
    ],
    figures: [
      {
        id: 'get-predicted-vs-observed',
        title: 'GET: predicted against observed expression at TSSs',
        svg,
        caption:
          'One point per TSS (region, strand) of each cell type, the prediction averaged over the windows holding it; dashed: y = x.',
      },
    ],
  };
}
