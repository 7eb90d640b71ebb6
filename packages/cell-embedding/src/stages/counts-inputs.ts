import type { PortSpec } from '@chromflow/core';
import type { AnnData } from '../anndata-types.js';
import { readCounts } from '../read-counts.js';

/** The three ways a stage takes raw scRNA counts; exactly one must be wired (`readCounts` checks). */
export const countsInputPorts = {
  'counts-mtx': {
    kind: 'directory',
    type: '10x-mtx',
    description: '10x MTX folder of raw counts.',
    optional: true,
  },
  'counts-h5ad': {
    kind: 'file',
    type: 'h5ad',
    description: 'h5ad with raw counts in X.',
    optional: true,
  },
  'counts-10x-h5': {
    kind: 'file',
    type: '10x-h5',
    description: '10x filtered_feature_bc_matrix.h5.',
    optional: true,
  },
} as const satisfies Record<string, PortSpec>;

/** Reads the counts from whichever of `countsInputPorts` is wired. */
export function readCountsInput(inputs: Record<string, string | undefined>): Promise<AnnData> {
  return readCounts({
    mtxDir: inputs['counts-mtx'],
    h5ad: inputs['counts-h5ad'],
    tenxH5: inputs['counts-10x-h5'],
  });
}
