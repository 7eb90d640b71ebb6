import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stages } from '../src/stages/all.js';
import { DATASET_FILES, datasetPathsIn } from '../src/write-dataset.js';
import { TEST_DATA, hasTestData } from './fixtures.js';

// Compressed files are compared after inflating: deflate output may differ
// between zlib builds (Chromium's zlib picks its hash by CPU), the content may
// not. See docs/adr/0001-determinism-of-compressed-files.md.
describe.skipIf(!hasTestData)('the default options regenerate the committed test-data/', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chromflow-sim-'));
    // Through the stage, as the orchestrator runs it, with the default seed.
    const stage = stages.find((s) => s.name === 'simulate.dataset')!;
    const info = await stage.run({
      params: { seed: 1, scale: 1 },
      inputs: {},
      outputs: { ...datasetPathsIn(dir) },
      tempDir: dir,
      log: { info: () => undefined, warn: () => undefined },
      onProgress: () => undefined,
      signal: new AbortController().signal,
    });
    expect(info?.metrics?.['cells']).toBe(300);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const plain = DATASET_FILES.filter((f) => !f.endsWith('.gz') && !f.endsWith('.tbi'));
  it.each(plain)('%s is byte-identical', (file) => {
    const fresh = readFileSync(join(dir, file));
    const committed = readFileSync(join(TEST_DATA, file));
    expect(fresh.equals(committed)).toBe(true);
  });

  const gz = DATASET_FILES.filter((f) => f.endsWith('.gz'));
  it.each(gz)('%s inflates to identical bytes', (file) => {
    const fresh = gunzipSync(readFileSync(join(dir, file)));
    const committed = gunzipSync(readFileSync(join(TEST_DATA, file)));
    expect(fresh.equals(committed)).toBe(true);
  });

  it('fragments.tsv.gz.tbi is identical whenever the compressed fragments are', (ctx) => {
    const same = readFileSync(join(dir, 'fragments.tsv.gz')).equals(
      readFileSync(join(TEST_DATA, 'fragments.tsv.gz')),
    );
    if (!same) ctx.skip(); // block offsets follow the deflate output, which this zlib build encodes differently
    const fresh = gunzipSync(readFileSync(join(dir, 'fragments.tsv.gz.tbi')));
    const committed = gunzipSync(readFileSync(join(TEST_DATA, 'fragments.tsv.gz.tbi')));
    expect(fresh.equals(committed)).toBe(true);
  });
});
