import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import {
  CLASTER_TARGET_COLUMNS,
  clasterPublishedInputsStage,
  parseNpy,
  writeClasterLandscape,
  writeClasterTargets,
} from '../src/index.js';
import { runStage } from './stage-context.js';

const NB = 10001;

/** A published-layout folder: G1 in test/ (forward + rev), G2 in train/; targets for both. */
async function layout(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'claster-published-'));
  const arrays = join(root, 'landscape_arrays');
  for (const [split, gene, v] of [
    ['test', 'G1', 1],
    ['train', 'G2', 2],
  ] as const) {
    await mkdir(join(arrays, split), { recursive: true });
    const values = new Float32Array(4 * NB).fill(v);
    values[0] = -v; // first bin of ATAC marks the orientation
    await writeClasterLandscape(join(arrays, split), {
      gene,
      orientation: 'forward',
      values,
      nTracks: 4,
      nBins: NB,
    });
    if (gene === 'G1') {
      const rev = values.slice();
      rev[0] = v;
      rev[NB - 1] = -v;
      await writeClasterLandscape(join(arrays, split), {
        gene,
        orientation: 'rev',
        values: rev,
        nTracks: 4,
        nBins: NB,
      });
    }
  }
  const values = new Float64Array(2 * 401);
  for (let b = 0; b < 401; b++) {
    values[b] = b; // G1: 0 … 400
    values[401 + b] = 1000 + b;
  }
  await writeClasterTargets(join(root, 'targets.csv'), {
    idColumn: 'ID',
    ids: ['G1', 'G2'],
    values,
  });
  return root;
}

describe('structure-analysis.claster-published-inputs', () => {
  it('reads CLASTER’s layout into the claster-samples table and arrays, splits from the folders', async () => {
    const root = await layout();
    const { outputs } = await runStage(
      clasterPublishedInputsStage,
      { landscapes: join(root, 'landscape_arrays'), targets: join(root, 'targets.csv') },
      { orientations: 'both' },
    );
    const t = await readTable(outputs['samples']!);
    expect(t.getChild('gene')!.toArray()).toEqual(['G1', 'G1_rev', 'G2']);
    expect(t.getChild('split')!.toArray()).toEqual(['test', 'test', 'train']);
    const a = outputs['arrays']!;
    const land = parseNpy(await readFile(join(a, 'landscape.npy')));
    expect(land.shape).toEqual([3, 4, NB]);
    expect(land.data[0]).toBe(-1);
    expect(land.data[4 * NB + NB - 1]).toBe(-1); // G1_rev
    expect(land.data[2 * 4 * NB]).toBe(-2);
    const targets = parseNpy(await readFile(join(a, 'targets.npy')));
    expect(targets.shape).toEqual([3, 401]);
    expect(targets.data[5]).toBe(5);
    expect(targets.data[401 + 5]).toBe(395); // the rev copy's profile is reversed
    expect(targets.data[2 * 401]).toBe(1000);
  });

  it('a targets CSV with the wrong bin columns or without a gene is a clear error', async () => {
    const root = await layout();
    const cols = CLASTER_TARGET_COLUMNS.map((c) => c.replace('_ctrl', '_kb'));
    await writeFile(
      join(root, 'bad.csv'),
      `ID,${cols.join(',')}\nG1,${cols.map(() => 0).join(',')}\n`,
    );
    const inputs = { landscapes: join(root, 'landscape_arrays'), targets: join(root, 'bad.csv') };
    await expect(runStage(clasterPublishedInputsStage, inputs)).rejects.toThrow(
      /does not have CLASTER’s bin columns/,
    );
    const only = CLASTER_TARGET_COLUMNS;
    await writeFile(
      join(root, 'g1.csv'),
      `ID,${only.join(',')}\nG1,${only.map(() => 0).join(',')}\n`,
    );
    await expect(
      runStage(clasterPublishedInputsStage, { ...inputs, targets: join(root, 'g1.csv') }),
    ).rejects.toThrow(/no row in the targets CSV/);
  });
});
