import type { TopLevelSpec } from 'vega-lite';

export interface QcScatterInput {
  nFragments: ArrayLike<number>;
  tssEnrichment: ArrayLike<number>;
  /** Whether each cell passed QC; omitted: every cell is drawn alike. */
  passQc?: ArrayLike<boolean | number>;
  /** Thresholds drawn as lines, where the QC stage states them. */
  minFragments?: number;
  minTssEnrichment?: number;
}

/** TSS enrichment against unique fragments per cell (log x), coloured by QC outcome, with the thresholds. */
export function qcScatterSpec(q: QcScatterInput): TopLevelSpec {
  const values = Array.from({ length: q.nFragments.length }, (_, i) => ({
    fragments: Math.max(1, q.nFragments[i] as number),
    tss: Number.isFinite(q.tssEnrichment[i]) ? (q.tssEnrichment[i] as number) : 0,
    qc: q.passQc === undefined ? 'cell' : q.passQc[i] ? 'pass' : 'fail',
  }));
  const layers: object[] = [
    {
      mark: { type: 'point', filled: true, size: 14, opacity: 0.6 },
      encoding: {
        x: {
          field: 'fragments',
          type: 'quantitative',
          scale: { type: 'log' },
          title: 'unique fragments per cell',
        },
        y: { field: 'tss', type: 'quantitative', title: 'TSS enrichment' },
        color: {
          field: 'qc',
          type: 'nominal',
          title: 'QC',
          scale: { domain: ['pass', 'fail', 'cell'], range: ['#1f77b4', '#d62728', '#555555'] },
        },
      },
    },
  ];
  if (q.minFragments !== undefined)
    layers.push({
      data: { values: [{ v: q.minFragments }] },
      mark: { type: 'rule', strokeDash: [4, 3], color: '#444' },
      encoding: { x: { field: 'v', type: 'quantitative' } },
    });
  if (q.minTssEnrichment !== undefined)
    layers.push({
      data: { values: [{ v: q.minTssEnrichment }] },
      mark: { type: 'rule', strokeDash: [4, 3], color: '#444' },
      encoding: { y: { field: 'v', type: 'quantitative' } },
    });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 420,
    height: 300,
    data: { values },
    layer: layers,
  } as TopLevelSpec;
}
