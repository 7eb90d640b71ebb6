import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromflow, makeProject, PLUGIN } from './cli-helpers.js';

// Two workflow files with the same `name:` sharing one cache, as when a user
// copies a workflow to try a variant (issue 17 point 8).
const variant = (value: number, results: string) => `version: 1
name: analysis
plugins: [${PLUGIN}]
cache: cache
results: ${results}
stages:
  source:
    uses: test.source
    with: { value: ${value} }
  mod:
    uses: test.mod
    with: { m: 100 }
    inputs: { a: { from: source.out } }
`;

// Several CLI runs per test: minutes on a loaded machine.
describe('run records are kept per workflow file', { timeout: 600_000 }, () => {
  it('a copied workflow with the same name keeps its own record: clean keeps both variants', async () => {
    const p = await makeProject(variant(7, 'results-a'));
    const b = join(p.dir, 'wf-b.yaml');
    await writeFile(b, variant(9, 'results-b'));
    const run = (wf: string) =>
      chromflow(['run', wf, '--plain'], { cwd: p.dir, env: p.env }).stderr;
    expect(run(p.wf)).toContain('2 ran, 0 cached');
    expect(run(b)).toContain('2 ran, 0 cached');
    // Keyed by `name:`, b's record replaced a's and clean dropped a's two entries.
    const clean = chromflow(['clean', p.wf], { cwd: p.dir, env: p.env });
    expect(clean.stdout).toMatch(/^removed 0 unused entries and 0 unfinished working directories/);
    expect(run(p.wf)).toContain('0 ran, 2 cached');
    expect(run(b)).toContain('0 ran, 2 cached');
    expect(await readFile(join(p.dir, 'results-a', 'mod', 'out.txt'), 'utf8')).toBe('7');
    expect(await readFile(join(p.dir, 'results-b', 'mod', 'out.txt'), 'utf8')).toBe('9');
    // status reads each file's own record.
    const status = chromflow(['status', b], { cwd: p.dir, env: p.env });
    expect(status.stdout).toContain(`last run of 'analysis'`);
    expect(status.stdout).toMatch(/mod\s+test\.mod\s+cached/);
  });

  it('clean says what it removes, with bytes, and removes results links that would dangle', async () => {
    const p = await makeProject(variant(7, 'results'));
    chromflow(['run', p.wf, '--plain'], { cwd: p.dir, env: p.env });
    // The same file, changed: its record now names the new entries only.
    await writeFile(p.wf, variant(8, 'results').replace('m: 100', 'm: 5'));
    chromflow(['run', p.wf, '--plain'], { cwd: p.dir, env: p.env });
    const clean = chromflow(['clean', p.wf], { cwd: p.dir, env: p.env });
    // source(7) and mod(7 % 100) are no longer used; each entry holds its out.txt (1 byte) and manifest.
    expect(clean.stdout).toMatch(
      /^removed 2 unused entries and 0 unfinished working directories \(\d+\.\d KiB\) from /,
    );
    expect(await readFile(join(p.dir, 'results', 'mod', 'out.txt'), 'utf8')).toBe('3');

    // --all removes the cache; the results links into it go too, each named.
    const all = chromflow(['clean', p.wf, '--all'], { cwd: p.dir, env: p.env });
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/entries and 0 unfinished working directories, \d+\.\d KiB/);
    expect(all.stdout).toContain('removed 2 results links that pointed into what was removed:');
    expect(all.stdout).toContain(join('results', 'mod'));
    expect(await readdir(join(p.dir, 'results'))).toEqual([]);
    expect(existsSync(join(p.dir, 'cache'))).toBe(false);
  });

  it('a record written before records were keyed by file is still read for its own file', async () => {
    const p = await makeProject(variant(7, 'results'));
    chromflow(['run', p.wf, '--plain'], { cwd: p.dir, env: p.env });
    const runs = join(p.dir, 'cache', 'runs');
    const [rec] = await readdir(runs);
    expect(rec).toMatch(/^wf-[0-9a-f]{8}\.json$/);
    // As the previous version wrote it: runs/<name>.json, without `completed`.
    const old = JSON.parse(await readFile(join(runs, rec!), 'utf8')) as Record<string, unknown>;
    delete old['completed'];
    await writeFile(join(runs, 'analysis.json'), JSON.stringify(old));
    await rm(join(runs, rec!));
    const status = chromflow(['status', p.wf], { cwd: p.dir, env: p.env });
    expect(status.stdout).toMatch(/mod\s+test\.mod\s+ran/);
    await writeFile(p.wf, variant(7, 'results').replace('m: 100', 'm: 4'));
    const plan = chromflow(['plan', p.wf], { cwd: p.dir, env: p.env });
    expect(plan.stdout).toContain('runs — params: m (100 → 4)');
    expect((await lstat(join(p.dir, 'results', 'mod'))).isSymbolicLink()).toBe(true);
  });
});
