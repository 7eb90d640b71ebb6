import { Float64, makeVector, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { withEncoding } from '@chromflow/core';
import type { BlockMetrics } from '@chromflow/compute';

export const METRICS_ENCODING = 'xchrom-metrics';
export const METRICS_ENCODING_VERSION = '1';

const KEYS: (keyof BlockMetrics)[] = [
  'auroc',
  'auprc',
  'perCellAuroc',
  'perCellAuprc',
  'perPeakAuroc',
  'perPeakAuprc',
  'nCells',
  'nPeaks',
  'positiveRate',
];

/** Long table `block` utf8, `metric` utf8, `value` float64 (NaN where undefined) of every block. */
export function metricsToTable(blocks: Partial<Record<string, BlockMetrics>>): Table {
  const block: string[] = [];
  const metric: string[] = [];
  const value: number[] = [];
  for (const [name, m] of Object.entries(blocks)) {
    if (!m) continue;
    for (const k of KEYS) {
      block.push(name);
      metric.push(k);
      value.push(m[k]);
    }
  }
  const t = new Table({
    block: vectorFromArray(block, new Utf8()),
    metric: vectorFromArray(metric, new Utf8()),
    value: makeVector({ type: new Float64(), data: Float64Array.from(value) }),
  });
  return withEncoding(t, METRICS_ENCODING, METRICS_ENCODING_VERSION);
}

/** `block.metric` → value, for a stage's run info. */
export function flattenBlockMetrics(
  blocks: Partial<Record<string, BlockMetrics>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, m] of Object.entries(blocks)) {
    if (!m) continue;
    for (const k of KEYS) out[`${name}.${k}`] = m[k];
  }
  return out;
}
