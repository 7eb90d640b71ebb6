import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ChromflowError,
  defineStage,
  readTable,
  requireEncoding,
  writeTable,
} from '@chromflow/core';
import { CoverageCounter, writeBedGraph } from '../coverage.js';
import { scorePseudobulk, sumByGroup } from '../pseudobulk.js';
import { scanFragments } from '../scan-fragments.js';
import { pseudobulkToTable } from '../tables.js';
import { readCountsAndCells } from './read-counts-cells.js';

export type PseudobulkParams = {
  minCount: number;
  onlyPassing: boolean;
};

/** A file-name-safe form of a group label. */
export function trackFileName(group: string): string {
  return `${group.replace(/[^A-Za-z0-9._-]+/g, '_')}.bedGraph`;
}

/** Counts + labelled cells → per-group counts, CPM, GET accessibility; fragments → bedGraph tracks. */
export const pseudobulkStage = defineStage<PseudobulkParams>({
  name: 'atac-pseudobulk.pseudobulk',
  version: '1',
  description:
    'Sums cells × regions counts by cell label; CPM, GET accessibility log10(count/total·1e5+1)/max, binarised accessibility; per-group insertion bedGraphs.',
  params: {
    type: 'object',
    properties: {
      minCount: {
        type: 'number',
        description: '`accessible` = group count ≥ this.',
        default: 1,
        minimum: 0,
      },
      onlyPassing: {
        type: 'boolean',
        description: 'Use only cells with pass_qc (when the cells table has it).',
        default: true,
      },
    },
    additionalProperties: false,
  },
  inputs: {
    counts: { kind: 'table', type: 'sparse-coo', description: 'cells × regions counts.' },
    cells: {
      kind: 'table',
      type: 'cells',
      description: 'Rows of `counts`, with a `label` column.',
    },
    regions: { kind: 'table', type: 'regions', description: 'Columns of `counts`.' },
    fragments: {
      kind: 'file',
      type: 'fragments',
      description: 'Fragments for the coverage tracks.',
      optional: true,
    },
  },
  outputs: {
    pseudobulk: {
      kind: 'table',
      type: 'pseudobulk',
      description: 'group × region: count, cpm, accessibility, accessible.',
    },
    tracks: {
      kind: 'directory',
      type: 'bedgraph-tracks',
      description:
        'One <group>.bedGraph of per-base Tn5 insertions per group (empty without fragments).',
    },
  },
  resources: { cpu: 1, memoryGb: 4 },
  async run(ctx) {
    const countsPath = ctx.inputs['counts']!;
    const cellsPath = ctx.inputs['cells']!;
    const regionsPath = ctx.inputs['regions']!;
    const { matrix, cells } = await readCountsAndCells(countsPath, cellsPath);
    const regions = await readTable(regionsPath);
    requireEncoding(regions, 'regions', regionsPath);
    if (!cells.labels) {
      throw new ChromflowError('SCHEMA', 'the cells table has no label column to group by', {
        path: cellsPath,
        field: 'label',
        hint: 'Give count-matrix a cell-labels file (barcode + label) as its `cells` input.',
      });
    }
    if (cells.barcodes.length !== matrix.nRows || regions.numRows !== matrix.nCols) {
      throw new ChromflowError('SCHEMA', 'the counts do not match the cells and regions tables', {
        path: countsPath,
        expected: `${cells.barcodes.length} × ${regions.numRows} (cells × regions)`,
        found: `${matrix.nRows} × ${matrix.nCols}`,
      });
    }
    const use = (r: number): boolean =>
      !ctx.params.onlyPassing || !cells.passQc || cells.passQc[r]!;
    const labels = cells.labels.map((l, r) => (use(r) ? l : ''));
    const sums = sumByGroup(matrix, labels);
    await writeTable(
      ctx.outputs['pseudobulk']!,
      pseudobulkToTable(sums, scorePseudobulk(sums, ctx.params.minCount)),
    );
    const dir = ctx.outputs['tracks']!;
    await mkdir(dir, { recursive: true });
    const fragments = ctx.inputs['fragments'];
    if (fragments) {
      const membership = cells.barcodes.flatMap((barcode, r) =>
        labels[r] ? [{ barcode, group: labels[r] }] : [],
      );
      const coverage = new CoverageCounter(membership);
      await scanFragments(fragments, [coverage], {
        signal: ctx.signal,
        onProgress: ctx.onProgress,
      });
      for (const g of coverage.finish()) await writeBedGraph(join(dir, trackFileName(g.group)), g);
    }
    ctx.log.info(`${sums.groups.length} groups × ${sums.nRegions} regions`);
    return { metrics: { groups: sums.groups.length, regions: sums.nRegions } };
  },
});
