import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { CLI, NODE_ARGS } from './cli-helpers.js';

// The two example workflows of docs/own-data.md over ../shared/data.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ARCHR = sharedDataFile('atac', 'archr_pbsmall_hg19', 'PBSmall.tsv.gz');
const MUON = sharedDataFile('multiome', 'muon_pbmc_10x_multiome', 'fragments.tsv.gz');
if (!ARCHR || !MUON)
  console.warn('skipping: ../shared/data (ArchR PBSmall, muon multiome) is absent');
// A full run takes minutes on a loaded 2-core machine; .ci/run sets this (CI has the time).
const RUN = process.env['CHROMFLOW_RUN_EXAMPLES'] === '1';

// Asynchronous, unlike cli-helpers' spawnSync: a plan takes over a minute on a
// loaded machine, and a blocked worker loses vitest's RPC ("Timeout calling onTaskUpdate").
function chromflow(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_ARGS, CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}
if (!RUN) console.warn('skipping the example runs: set CHROMFLOW_RUN_EXAMPLES=1');

describe.skipIf(!ARCHR || !MUON)('docs/own-data.md example workflows', () => {
  it.each(['archr-pbsmall', 'muon-multiome'])(
    '%s plans valid (every file and wire checked)',
    async (name) => {
      const cache = mkdtempSync(join(tmpdir(), 'own-data-cache-'));
      const r = await chromflow(['plan', `workflows/examples/${name}.yaml`, '--cache', cache]);
      expect(r.out).toMatch(/valid, \d+ stages/);
      expect(r.code, r.out).toBe(0);
    },
    300_000,
  );

  it.skipIf(!RUN)(
    'archr-pbsmall runs: 127 of 150 barcodes pass (ArchR project cells), report path printed',
    async () => {
      const cache = mkdtempSync(join(tmpdir(), 'own-data-cache-'));
      const r = await chromflow(['run', 'workflows/examples/archr-pbsmall.yaml', '--cache', cache]);
      expect(r.code, r.out).toBe(0);
      // ArchR's own PBSmall project keeps 127 of the 150 barcodes (shared data README).
      expect(r.out).toContain('qc (atac-pseudobulk.cell-qc): 127 of 150 cells pass QC');
      expect(r.out).toMatch(
        /report \(report\.html\): report .*results\/archr-pbsmall\/report\/report\/index\.html/,
      );
    },
    620_000,
  );

  it.skipIf(!RUN)(
    'muon-multiome runs: the cells passing QC are the cells clustered and pseudobulked',
    async () => {
      const cache = mkdtempSync(join(tmpdir(), 'own-data-cache-'));
      const r = await chromflow(['run', 'workflows/examples/muon-multiome.yaml', '--cache', cache]);
      expect(r.code, r.out).toBe(0);
      // The muon folder holds 600 barcodes (shared data README); how many pass is the
      // example's thresholds' business, but every later stage must see that same set.
      const pass = /qc \(atac-pseudobulk\.cell-qc\): (\d+) of 600 cells pass QC/.exec(r.out);
      expect(pass, r.out).not.toBeNull();
      const n = Number(pass![1]);
      expect(n).toBeGreaterThan(0);
      expect(r.out).toMatch(
        new RegExp(`clusters \\(cell-embedding\\.cluster\\): \\d+ clusters of ${n} cells`),
      );
      expect(r.out).toMatch(
        new RegExp(`pseudobulk \\(atac-pseudobulk\\.pseudobulk\\): \\d+ groups of ${n} cells`),
      );
      expect(r.out).toMatch(
        /report \(report\.html\): report .*results\/muon-multiome\/report\/report\/index\.html/,
      );
    },
    620_000,
  );
});
