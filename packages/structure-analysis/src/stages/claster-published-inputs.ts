import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ChromflowError,
  defineStage,
  makeTable,
  writeFileAtomic,
  writeTable,
} from '@chromflow/core';
import { CLASTER_TRACKS, readClasterLandscapes, readClasterTargets } from '../claster-layout.js';
import { CLASTER_LANDSCAPE, CLASTER_TARGET } from '../claster-tracks.js';
import { encodeNpy } from '../npy.js';

export type ClasterPublishedInputsParams = {
  split: 'train' | 'validation' | 'test';
  orientations: 'forward' | 'both';
};

/** CLASTER's split folder names (and ours) → split. */
const SPLIT_FOLDERS: Record<string, 'train' | 'validation' | 'test'> = {
  train: 'train',
  training: 'train',
  val: 'validation',
  valid: 'validation',
  validation: 'validation',
  test: 'test',
};

/**
 * CLASTER's published arrays (`landscape_arrays/[<split>/]<gene>_forward|_rev.npy`,
 * float (4, 10001), and a targets CSV with `-200_ctrl … 200_ctrl`) as the same
 * `claster-samples` table and `claster-arrays` folder as
 * `structure-analysis.claster-inputs` writes, so a user with that data runs
 * the same training and prediction stages.
 */
export const clasterPublishedInputsStage = defineStage<ClasterPublishedInputsParams>({
  name: 'structure-analysis.claster-published-inputs',
  version: '1',
  description:
    "CLASTER's published layout (per-gene <gene>_forward|_rev.npy landscapes (4, 10001) in split folders train/val/test, targets CSV -200_ctrl … 200_ctrl) → the claster-samples table and claster-arrays folder claster-inputs writes.",
  params: {
    type: 'object',
    properties: {
      split: {
        type: 'string',
        enum: ['train', 'validation', 'test'],
        description:
          'Split of arrays lying directly in the folder (not in train/val/test folders).',
        default: 'test',
      },
      orientations: {
        type: 'string',
        enum: ['forward', 'both'],
        description:
          "'forward' (the gene-orientation arrays) or 'both' (the _rev copies as extra rows).",
        default: 'forward',
      },
    },
    additionalProperties: false,
  },
  inputs: {
    landscapes: {
      kind: 'directory',
      type: 'claster-landscapes',
      description:
        'landscape_arrays folder: <gene>_forward|_rev.npy, directly or in train/val/test folders.',
    },
    targets: {
      kind: 'file',
      type: 'claster-targets',
      description: 'Targets CSV: id column, then -200_ctrl … 200_ctrl.',
      optional: true,
    },
  },
  outputs: {
    samples: {
      kind: 'table',
      type: 'claster-samples',
      description:
        'One row per array: gene, chromosome and strand empty (the layout has none), tss −1, split, masked_bins 0.',
    },
    arrays: {
      kind: 'directory',
      type: 'claster-arrays',
      description:
        'landscape.npy, landscape_mask.npy (all 1), targets.npy, targets_mask.npy, arrays.json.',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const root = ctx.inputs['landscapes']!;
    const folders: [string, 'train' | 'validation' | 'test'][] = [[root, ctx.params.split]];
    for (const name of (await readdir(root)).sort()) {
      const split = SPLIT_FOLDERS[name.toLowerCase()];
      if (split && (await stat(join(root, name))).isDirectory())
        folders.push([join(root, name), split]);
    }
    const rows: { gene: string; split: string; values: Float32Array }[] = [];
    for (const [dir, split] of folders) {
      for (const a of await readClasterLandscapes(dir)) {
        if (a.orientation === 'rev' && ctx.params.orientations === 'forward') continue;
        rows.push({
          gene: a.orientation === 'rev' ? `${a.gene}_rev` : a.gene,
          split,
          values: a.values,
        });
      }
    }
    if (rows.length === 0) {
      throw new ChromflowError('VALUE', 'no CLASTER landscape arrays found', {
        path: root,
        expected: '<gene>_forward.npy files, directly or in train/val/test folders',
        found: 'none',
      });
    }
    const n = rows.length;
    const nb = CLASTER_LANDSCAPE.nBins;
    const nTracks = CLASTER_TRACKS.length;
    const landscape = new Float32Array(n * nTracks * nb);
    rows.forEach((r, k) => landscape.set(r.values, k * nTracks * nb));
    const dir = ctx.outputs['arrays']!;
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, 'landscape.npy'), encodeNpy(landscape, [n, nTracks, nb]));
    await writeFileAtomic(
      join(dir, 'landscape_mask.npy'),
      encodeNpy(new Uint8Array(n * nb).fill(1), [n, nb]),
    );
    const describe: Record<string, unknown> = {
      format: 'chromflow-claster-arrays',
      version: 1,
      genes: n,
      tracks: [...CLASTER_TRACKS],
      landscape: { file: 'landscape.npy', shape: [n, nTracks, nb], binSize: 100 },
      landscapeMask: { file: 'landscape_mask.npy', shape: [n, nb] },
      windowsOffChromosome: 0,
      source: 'CLASTER published layout',
    };
    const targetsPath = ctx.inputs['targets'];
    if (targetsPath) {
      const t = await readClasterTargets(targetsPath);
      const tb = CLASTER_TARGET.nBins;
      const byId = new Map(t.ids.map((id, r) => [id, r]));
      const targets = new Float32Array(n * tb);
      rows.forEach((row, k) => {
        // CLASTER ids are the gene or the array's name (<gene>_forward / <gene>_rev);
        // a _rev row without its own line takes the forward profile reversed, as its array is
        const rev = row.gene.endsWith('_rev');
        const base = rev ? row.gene.slice(0, -4) : row.gene;
        const own = rev ? byId.get(row.gene) : undefined;
        const r = own ?? byId.get(base) ?? byId.get(`${base}_forward`);
        if (r === undefined) {
          throw new ChromflowError('VALUE', 'a landscape has no row in the targets CSV', {
            path: targetsPath,
            field: t.idColumn,
            expected: `a row for ${base} (or ${base}_forward)`,
            found: `${t.ids.length} ids, e.g. ${t.ids.slice(0, 3).join(', ')}`,
          });
        }
        const v = Float32Array.from(t.values.subarray(r * tb, (r + 1) * tb));
        targets.set(rev && own === undefined ? v.reverse() : v, k * tb);
      });
      await writeFileAtomic(join(dir, 'targets.npy'), encodeNpy(targets, [n, tb]));
      await writeFileAtomic(
        join(dir, 'targets_mask.npy'),
        encodeNpy(new Uint8Array(n * tb).fill(1), [n, tb]),
      );
      describe['targets'] = { file: 'targets.npy', shape: [n, tb], binSize: 1000 };
      describe['targetsMask'] = { file: 'targets_mask.npy', shape: [n, tb] };
      describe['targetWindowsOffChromosome'] = 0;
    }
    await writeFileAtomic(join(dir, 'arrays.json'), JSON.stringify(describe, null, 2) + '\n');
    await writeTable(
      ctx.outputs['samples']!,
      makeTable(
        {
          gene: rows.map((r) => r.gene),
          chromosome: rows.map(() => ''),
          strand: rows.map(() => ''),
          tss: new Int32Array(n).fill(-1),
          split: rows.map((r) => r.split),
          masked_bins: new Int32Array(n),
        },
        'claster-samples',
      ),
    );
    ctx.log.info(`${n} CLASTER arrays read (${folders.length - 1} split folders)`);
    return { metrics: { genes: n } };
  },
});
