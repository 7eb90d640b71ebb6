import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ChromflowError, defineStage } from '@chromflow/core';
import { readRegionsFile, writeBed } from '@chromflow/genome-io';
import { universeFromPeakSets } from '../tokens/universe.js';

// A type alias (not an interface) so it is assignable to Stage's Record<string, unknown> params.
export type UniverseParams = Record<string, never>;

/** Per-cluster peak sets (one file each in a folder) merged into one Atacformer universe. */
export const universeStage = defineStage<UniverseParams>({
  name: 'atac-pseudobulk.universe',
  version: '1',
  description:
    'An Atacformer universe built from peak sets (e.g. one per cluster): every region of every file in the folder (BED, narrowPeak, regions TSV, Arrow or Parquet; files in name order, hidden files skipped) merged where they overlap or touch, as bedtools merge (-d 0, half-open); chromosomes in order of first appearance, regions by start. Disjoint by construction, so atac-pseudobulk.tokenize accepts it with overlaps: error.',
  params: { type: 'object', additionalProperties: false, properties: {} },
  inputs: {
    peaks: {
      kind: 'directory',
      type: 'peak-sets',
      description: 'a folder of peak files, one per cluster (or sample)',
    },
  },
  outputs: {
    universe: {
      kind: 'file',
      type: 'regions-file',
      extension: '.bed',
      description: 'the merged regions (BED4, name chrom:start-end); region i is token 7 + i',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const dir = ctx.inputs['peaks']!;
    const entries = await readdir(dir, { withFileTypes: true });
    const files = entries
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
    if (files.length === 0) {
      throw new ChromflowError('EMPTY', 'the peak-set folder holds no file', {
        path: dir,
        expected: 'one or more peak files (BED, narrowPeak, TSV, Arrow, Parquet)',
      });
    }
    const sets = [];
    let regionsIn = 0;
    for (const f of files) {
      const { regions } = await readRegionsFile(join(dir, f), { signal: ctx.signal });
      regionsIn += regions.length;
      sets.push(regions);
    }
    const u = universeFromPeakSets(sets);
    if (u.starts.length === 0) {
      throw new ChromflowError('EMPTY', 'the peak sets hold no region', { path: dir });
    }
    const n = u.starts.length;
    await writeBed(ctx.outputs['universe']!, {
      chromNames: [...u.chromNames],
      chromIds: Int32Array.from(u.chromIds),
      starts: u.starts,
      ends: u.ends,
      names: Array.from(
        { length: n },
        (_, i) => `${u.chromNames[u.chromIds[i]!]}:${u.starts[i]}-${u.ends[i]}`,
      ),
      columns: {},
      length: n,
    });
    ctx.log.info(`${files.length} peak sets, ${regionsIn} regions → ${n} universe regions`);
    return { metrics: { peakSets: files.length, regionsIn, universeRegions: n } };
  },
});
