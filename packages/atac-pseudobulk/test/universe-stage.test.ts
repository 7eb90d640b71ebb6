import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegionsFile } from '@chromflow/genome-io';
import { universeStage } from '../src/stages/universe.js';
import { checkUniverse } from '../src/tokens/universe.js';

const ctx = (dir: string) => ({
  params: {},
  tempDir: dir,
  log: { info: (): void => undefined, warn: (): void => undefined },
  onProgress: (): void => undefined,
  signal: new AbortController().signal,
});

describe('atac-pseudobulk.universe', () => {
  it('merges per-cluster peak files (overlapping and touching regions joined) into a disjoint universe', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'universe-stage-'));
    try {
      const peaks = join(dir, 'peaks');
      await mkdir(peaks);
      // Cluster A: two regions on chr2, one on chr1. Cluster B overlaps A's first chr2
      // region, touches its second ([300,400) then [400,450)) and adds one apart.
      await writeFile(
        join(peaks, 'A.bed'),
        'chr2\t100\t200\tp1\nchr2\t300\t400\tp2\nchr1\t50\t80\tp3\n',
      );
      await writeFile(
        join(peaks, 'B.narrowPeak'),
        'chr2\t150\t250\tq1\t0\t.\t1\t1\t1\t50\nchr2\t400\t450\tq2\t0\t.\t1\t1\t1\t20\nchr1\t500\t600\tq3\t0\t.\t1\t1\t1\t30\n',
      );
      await writeFile(join(peaks, '.hidden'), 'not a bed\n');
      const out = join(dir, 'universe.bed');
      const info = await universeStage.run({
        ...ctx(dir),
        inputs: { peaks },
        outputs: { universe: out },
      });
      expect(await readFile(out, 'utf8')).toBe(
        'chr2\t100\t250\tchr2:100-250\nchr2\t300\t450\tchr2:300-450\nchr1\t50\t80\tchr1:50-80\nchr1\t500\t600\tchr1:500-600\n',
      );
      expect(info?.metrics).toEqual({ peakSets: 2, regionsIn: 6, universeRegions: 4 });
      const { regions } = await readRegionsFile(out);
      expect(() => checkUniverse(regions, out, 'error')).not.toThrow();
      const empty = join(dir, 'empty');
      await mkdir(empty);
      await expect(
        universeStage.run({
          ...ctx(dir),
          inputs: { peaks: empty },
          outputs: { universe: join(dir, 'u2.bed') },
        }),
      ).rejects.toThrow(/holds no file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
