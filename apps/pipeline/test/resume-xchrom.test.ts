import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromflow, startChromflow, waitFor } from './cli-helpers.js';

// The real models.xchrom-train on test-data/ (a tiny network, 8 epochs,
// 1 worker so that training is deterministic) interrupted at epoch ≥ 3 by
// kill -9 and by SIGINT, then re-run: it must resume (its log says from which
// epoch) and end with the bytes of an uninterrupted run of the same workflow.
const TEST_DATA = join(import.meta.dirname, '..', '..', '..', 'test-data');
const TRAIN = {
  size: 'small',
  stemFilters: 8,
  towerFilters: [8, 8],
  bottleneckFilters: 8,
  embeddingDim: 8,
  cellHidden: 8,
  epochs: 8,
  patience: 8,
  seed: 0,
  workers: 1,
};
const upstream = `version: 1
cache: cache
results: results
stages:
  windows:
    uses: genome-io.peak-windows
    with: { width: 344 }
    inputs: { genome: ${TEST_DATA}/genome.fa, peaks: ${TEST_DATA}/peaks.bed }
  counts:
    uses: atac-pseudobulk.count-matrix
    with: { method: archr-insertions }
    inputs:
      fragments: ${TEST_DATA}/fragments.tsv.gz
      peaks: { from: windows.regions }
      cells: ${TEST_DATA}/cells.tsv
  rna:
    uses: cell-embedding.rna-normalise
    with: { n_hvg: 200 }
    inputs: { counts-mtx: ${TEST_DATA}/rna }
  pca:
    uses: cell-embedding.pca
    with: { n_pcs: 8 }
    inputs: { normalised: { from: rna.normalised } }
  embedding:
    uses: cell-embedding.cell-embedding
    with: { n_pcs: 8 }
    inputs:
      pca: { from: pca.pca }
      atac-counts: { from: counts.counts }
      atac-cells: { from: counts.cells }
`;
const withTrain = `${upstream}  train:
    uses: models.xchrom-train
    with: ${JSON.stringify(TRAIN)}
    inputs:
      sequences: { from: windows.sequences }
      counts: { from: counts.counts }
      cells: { from: counts.cells }
      regions: { from: counts.regions }
      embedding: { from: embedding.cell-embedding }
`;

/**
 * Every output file under `dir`, relative path → bytes (base64). The checkpoint's
 * files hold no wall time, so a resumed run's history (the report's training
 * curve) must equal the uninterrupted one byte for byte.
 */
async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    const rel = relative(dir, path);
    // The cache entry's manifest describes the run (times, host), not its output.
    if (rel === 'manifest.json') continue;
    out[rel] = (await readFile(path)).toString('base64');
  }
  return out;
}

describe('models.xchrom-train resumes through chromflow run (real processes)', () => {
  it('kill -9 and SIGINT at epoch ≥ 3: the re-run resumes and ends bit-equal to an uninterrupted run', async () => {
    if (!existsSync(join(TEST_DATA, 'genome.fa'))) {
      console.warn(`skipping: ${TEST_DATA}/genome.fa is missing`);
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'chromflow-resume-xchrom-'));
    const env = { CHROMFLOW_GPUS: '' };
    await writeFile(join(dir, 'upstream.yaml'), upstream);
    await writeFile(join(dir, 'wf.yaml'), withTrain);
    const up = chromflow(['run', 'upstream.yaml', '--plain'], {
      cwd: dir,
      env,
      timeoutMs: 900_000,
    });
    expect(up.code, up.stderr).toBe(0);

    // The uninterrupted reference: the same workflow run to the end, its entry moved aside.
    const trainEntries = join(dir, 'cache', 'entries', 'models.xchrom-train');
    const full = chromflow(['run', 'wf.yaml', '--plain'], { cwd: dir, env, timeoutMs: 900_000 });
    expect(full.code, full.stderr).toBe(0);
    const [refKey] = await readdir(trainEntries);
    await rename(join(trainEntries, refKey!), join(dir, 'reference'));
    const expected = await contents(join(dir, 'reference'));
    expect(Object.keys(expected)).toContain('checkpoint/state/weights.bin');

    const log = async () => {
      const logs = join(dir, 'cache', 'logs');
      for (const d of await readdir(logs)) {
        const p = join(logs, d, 'train.log');
        if (d.startsWith('wf-') && existsSync(p)) return readFile(p, 'utf8');
      }
      return '';
    };
    for (const signal of ['SIGKILL', 'SIGINT'] as const) {
      await rm(trainEntries, { recursive: true, force: true });
      const before = (await log()).length;
      const run = startChromflow(['run', 'wf.yaml', '--plain'], { cwd: dir, env });
      await waitFor(async () => /epoch 3: /.test((await log()).slice(before)), 600_000);
      if (signal === 'SIGKILL') process.kill(-run.child.pid!, 'SIGKILL');
      else process.kill(run.child.pid!, 'SIGINT');
      const code = await run.exited;
      if (signal === 'SIGINT') expect(code).toBe(130);
      expect(existsSync(trainEntries)).toBe(false);
      const again = chromflow(['run', 'wf.yaml', '--plain'], { cwd: dir, env, timeoutMs: 900_000 });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('resuming an interrupted attempt');
      const attemptLog = (await log()).slice(before);
      const resumedAt = Number(/resumed from epoch (\d+)/.exec(attemptLog)?.[1]);
      expect(resumedAt).toBeGreaterThanOrEqual(3);
      expect(resumedAt).toBeLessThan(TRAIN.epochs);
      const [key] = await readdir(trainEntries);
      expect(await contents(join(trainEntries, key!))).toEqual(expected);
    }
  }, 3_600_000);
});
