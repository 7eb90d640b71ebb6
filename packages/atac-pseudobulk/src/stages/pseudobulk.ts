import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ChromflowError,
  defineStage,
  readTable,
  requireEncoding,
  writeTable,
} from '@chromflow/core';
import { countGroups, labelWarning, readCellLabels } from '../cell-labels.js';
import { CoverageCounter, writeBedGraph, writeCpmBedGraph } from '../coverage.js';
import { scorePseudobulk, sumByGroup } from '../pseudobulk.js';
import { scanFragments } from '../scan-fragments.js';
import { pseudobulkToTable } from '../tables.js';
import { readCountsAndCells } from './read-counts-cells.js';
import { LABEL_COLUMN_PARAM, labelColumnOption } from './write-counted-cells.js';

export type PseudobulkParams = {
  minCount: number;
  onlyPassing: boolean;
  labelColumn: string;
};

/** A file-name-safe form of a group label. */
export function trackFileName(group: string): string {
  return `${group.replace(/[^A-Za-z0-9._-]+/g, '_')}.bedGraph`;
}

/** Counts + labelled cells → per-group counts, CPM, GET accessibility; fragments → bedGraph tracks. */
export const pseudobulkStage = defineStage<PseudobulkParams>({
  name: 'atac-pseudobulk.pseudobulk',
  version: '2',
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
      labelColumn: {
        ...LABEL_COLUMN_PARAM.labelColumn,
        description:
          "Label column of the `labels` input (e.g. 'cluster' from cell-embedding.cluster, 'Clusters' in ArchR's cellColData); '' = its first column after barcode. Without `labels`, the cells table's `label`.",
      },
    },
    additionalProperties: false,
  },
  inputs: {
    counts: { kind: 'table', type: 'sparse-coo', description: 'cells × regions counts.' },
    cells: {
      kind: 'table',
      type: 'cells',
      description: 'Rows of `counts`; its `label` column groups them unless `labels` is wired.',
    },
    labels: {
      kind: 'file',
      type: 'cell-labels',
      description:
        'Cell table giving each barcode its group (e.g. cell-embedding.cluster); cells it does not list are left out.',
      optional: true,
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
      description: 'group × region: region_name, count, cpm, accessibility, accessible.',
    },
    tracks: {
      kind: 'directory',
      type: 'bedgraph-tracks',
      description:
        'One <group>.bedGraph of per-base Tn5 insertions per group (empty without fragments).',
    },
    'tracks-cpm': {
      kind: 'directory',
      type: 'bedgraph-tracks',
      description:
        'The same tracks as counts per million of the group’s insertions, so groups of different size compare (empty without fragments).',
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
    const labelsPath = ctx.inputs['labels'];
    let byRow: string[];
    if (labelsPath) {
      const given = await readCellLabels(labelsPath, labelColumnOption(ctx.params.labelColumn));
      if (!given.labels) {
        throw new ChromflowError('SCHEMA', 'the labels file has no label column', {
          path: labelsPath,
          expected: 'barcode<TAB>label',
          found: 'one column',
        });
      }
      const of = new Map(given.barcodes.map((b, i) => [b, given.labels![i]!]));
      byRow = cells.barcodes.map((b) => of.get(b) ?? '');
      const missing = byRow.filter((l) => l === '').length;
      if (missing > 0)
        ctx.log.warn(
          `${missing} of ${byRow.length} cells have no label in ${labelsPath} and are left out`,
        );
    } else if (cells.labels) {
      byRow = cells.labels;
    } else {
      throw new ChromflowError('SCHEMA', 'the cells table has no label column to group by', {
        path: cellsPath,
        field: 'label',
        hint: 'Wire a cell-labels file as `labels` (e.g. cell-embedding.cluster), or give count-matrix one as its `cells`.',
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
    const labels = byRow.map((l, r) => (use(r) ? l : ''));
    const used = countGroups(labels);
    if (used.labelled === 0) {
      ctx.log.warn(
        `0 of ${labels.length} cells are used (${cells.passQc && ctx.params.onlyPassing ? 'none passes QC or ' : ''}none has a label): the pseudobulk is empty`,
      );
    } else {
      const w = labelWarning(labels, labelsPath ? ctx.params.labelColumn || undefined : 'label');
      if (w) ctx.log.warn(w);
    }
    const sums = sumByGroup(matrix, labels);
    await writeTable(
      ctx.outputs['pseudobulk']!,
      // Region names travel with the rows (issue 17): readers join on `region_name`, not position.
      pseudobulkToTable(
        sums,
        scorePseudobulk(sums, ctx.params.minCount),
        [...regions.getChild('name')!].map(String),
      ),
    );
    const dir = ctx.outputs['tracks']!;
    await mkdir(dir, { recursive: true });
    const cpmDir = ctx.outputs['tracks-cpm']!;
    await mkdir(cpmDir, { recursive: true });
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
      for (const g of coverage.finish()) {
        await writeBedGraph(join(dir, trackFileName(g.group)), g);
        await writeCpmBedGraph(join(cpmDir, trackFileName(g.group)), g);
      }
    }
    ctx.log.info(
      `${used.labelled} of ${labels.length} cells in ${sums.groups.length} groups × ${sums.nRegions} regions`,
    );
    return {
      metrics: { groups: sums.groups.length, regions: sums.nRegions, cells: used.labelled },
    };
  },
});
