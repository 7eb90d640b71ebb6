import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromflow, makeProject, PLUGIN } from './cli-helpers.js';

// source(three.txt) → mod(m) ─┐
// other(5) ───────────────────┴─ add
const chain = (m: number) => `version: 1
plugins: [${PLUGIN}]
cache: cache
stages:
  source:
    uses: test.source
    inputs: { seed: three.txt }
    with: { value: 0 }
  other:
    uses: test.source
    with: { value: 5 }
  mod:
    uses: test.mod
    with: { m: ${m} }
    inputs: { a: { from: source.out } }
  add:
    uses: test.add
    inputs:
      a: { from: mod.out }
      b: { from: other.out }
`;

/** `▶ <id> (…) started on … — why: <reason>` lines of a run, by stage id. */
function why(stderr: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of stderr.matchAll(/^▶ (\S+) \(\S+\) started on .* — why: (.*)$/gm))
    out[m[1]!] = m[2]!;
  return out;
}

/** `plan`'s status column, by stage id. */
function planned(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of stdout.matchAll(/^ {2}(\S+)\s+\S+\s+(.*?)(?: {2}← .*)?$/gm)) out[m[1]!] = m[2]!;
  return out;
}

async function project() {
  const p = await makeProject(chain(10));
  const run = (args: string[] = [], env: Record<string, string> = {}) =>
    chromflow(['run', p.wf, '--plain', ...args], { cwd: p.dir, env: { ...p.env, ...env } });
  const plan = (args: string[] = [], env: Record<string, string> = {}) =>
    planned(chromflow(['plan', p.wf, ...args], { cwd: p.dir, env: { ...p.env, ...env } }).stdout);
  return { p, run, plan };
}

// Several CLI runs per test: minutes on a loaded machine.
describe('plan and run say why each stage runs', { timeout: 600_000 }, () => {
  it('new: never run', async () => {
    const { run, plan } = await project();
    const before = plan();
    expect(before['source']).toBe('runs — new (never run)');
    expect(before['other']).toBe('runs — new (never run)');
    expect(before['mod']).toBe('runs if upstream output changes (source runs)');
    const r = run();
    expect(r.code).toBe(0);
    expect(why(r.stderr)).toEqual({
      source: 'new (never run)',
      other: 'new (never run)',
      mod: 'new (never run)',
      add: 'new (never run)',
    });
    expect(plan()['add']).toMatch(/^cached \([0-9a-f]{12}\)$/);
  });

  it('params (which, old → new), then upstream output changed (which port ← which output)', async () => {
    const { p, run, plan } = await project();
    expect(run().code).toBe(0);
    await writeFile(p.wf, chain(2));
    const pl = plan();
    expect(pl['mod']).toBe('runs — params: m (10 → 2)');
    expect(pl['add']).toBe('runs if upstream output changes (mod runs)');
    expect(pl['source']).toMatch(/^cached/);
    const r = run();
    expect(why(r.stderr)).toEqual({
      mod: 'params: m (10 → 2)',
      add: 'upstream output changed: a ← mod.out',
    });
  });

  it('input data (which port, which file)', async () => {
    const { p, run, plan } = await project();
    expect(run().code).toBe(0);
    await writeFile(join(p.dir, 'three.txt'), '4');
    expect(plan()['source']).toBe('runs — input data: seed (three.txt)');
    const r = run();
    // 4 % 10 = 4, not 3: mod and add see a changed upstream output.
    expect(why(r.stderr)).toEqual({
      source: 'input data: seed (three.txt)',
      mod: 'upstream output changed: a ← source.out',
      add: 'upstream output changed: a ← mod.out',
    });
  });

  it('code: the stage version changed', async () => {
    const { run, plan } = await project();
    expect(run().code).toBe(0);
    const env = { CHROMFLOW_TEST_MOD_VERSION: '2' };
    expect(plan([], env)['mod']).toBe('runs — code: test.mod v1 → test.mod v2');
    const r = run([], env);
    // Same bytes from the new version: add stays cached.
    expect(why(r.stderr)).toEqual({ mod: 'code: test.mod v1 → test.mod v2' });
    expect(r.stderr).toContain('1 ran, 3 cached');
  });

  it('forced, and output missing (an entry deleted by hand)', async () => {
    const { p, run, plan } = await project();
    expect(run().code).toBe(0);
    expect(plan(['--force', 'other'])['other']).toBe('runs — forced');
    expect(why(run(['--force', 'other']).stderr)).toEqual({ other: 'forced' });
    const adds = join(p.dir, 'cache', 'entries', 'test.add');
    for (const key of await readdir(adds)) await rm(join(adds, key), { recursive: true });
    expect(plan()['add']).toBe('runs — output missing (entry removed)');
    expect(why(run().stderr)).toEqual({ add: 'output missing (entry removed)' });
  });
});
