import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromflow, makeProject, PLUGIN, startChromflow, traced, waitFor } from './cli-helpers.js';

// source(3) ─┬─ mod(m) ─┐
//            │          add ── (out)
// other(5) ──┴──────────┘      slow (after add)
const chain = (m: number, sleepMs = 0) => `version: 1
plugins: [$PLUGIN]
cache: cache
results: results
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
${sleepMs ? `  slow:\n    uses: test.sleep\n    with: { ms: ${sleepMs} }\n    inputs: { a: { from: add.out } }\n` : ''}`;

/** Every entry directory in the cache: it must hold a manifest (no half entries). */
async function entries(cacheDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const stage of await readdir(join(cacheDir, 'entries')).catch(() => [] as string[])) {
    for (const key of await readdir(join(cacheDir, 'entries', stage)))
      out.push(join(cacheDir, 'entries', stage, key));
  }
  return out;
}

// Real processes: on a loaded 2-core machine a test took over 120 s.
describe('running workflows (real processes, real files)', { timeout: 600_000 }, () => {
  it('runs, then re-runs from cache with no stage executed', async () => {
    const p = await makeProject(chain(10));
    const first = chromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    expect(first.stderr).toContain('4 ran, 0 cached, 0 failed');
    expect(first.code).toBe(0);
    expect((await traced(p.trace)).sort()).toEqual(['add', 'mod', 'source', 'source']);
    expect(await readFile(join(p.dir, 'results', 'add', 'out.txt'), 'utf8')).toBe('8');
    const second = chromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('0 ran, 4 cached, 0 failed');
    expect(await traced(p.trace)).toHaveLength(4);
    for (const e of await entries(join(p.dir, 'cache'))) {
      const m = JSON.parse(await readFile(join(e, 'manifest.json'), 'utf8')) as {
        outputs: Record<string, { hash: string }>;
        parts: { params: unknown };
      };
      expect(Object.keys(m.outputs)).toEqual(['out']);
      expect(m.parts.params).toBeDefined();
    }
    const status = chromflow(['status', p.wf], { cwd: p.dir, env: p.env });
    expect(status.stdout).toMatch(/add\s+test\.add\s+cached/);
  });

  it('re-runs exactly the changed stage and what depends on it; identical output stops the wave', async () => {
    const p = await makeProject(chain(10));
    expect(chromflow(['run', p.wf], { cwd: p.dir, env: p.env }).code).toBe(0);
    // m 10 → 2: mod's output changes (3 % 2 = 1), so add re-runs; source and other do not.
    await writeFile(p.wf, chain(2).replace('$PLUGIN', PLUGIN));
    const r = chromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    expect(r.stderr).toContain('2 ran, 2 cached');
    expect((await traced(p.trace)).slice(4)).toEqual(['mod', 'add']);
    expect(await readFile(join(p.dir, 'results', 'add', 'out.txt'), 'utf8')).toBe('6');
    // m 2 → 16: mod re-runs and writes 3 again, byte-identical to the first run's: add is a hit.
    await writeFile(p.wf, chain(16).replace('$PLUGIN', PLUGIN));
    const same = chromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    expect(same.stderr).toContain('1 ran, 3 cached');
    expect((await traced(p.trace)).slice(6)).toEqual(['mod']);
    expect(await readFile(join(p.dir, 'results', 'add', 'out.txt'), 'utf8')).toBe('8');
  });

  it('--force and --from re-run what they name', async () => {
    const p = await makeProject(chain(10));
    chromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    expect(
      chromflow(['run', p.wf, '--force', 'other'], { cwd: p.dir, env: p.env }).stderr,
    ).toContain('1 ran, 3 cached');
    expect(chromflow(['run', p.wf, '--from', 'mod'], { cwd: p.dir, env: p.env }).stderr).toContain(
      '2 ran, 2 cached',
    );
    const bad = chromflow(['run', p.wf, '--from', 'mdo'], { cwd: p.dir, env: p.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--from names no stage of this workflow: 'mdo'");
  });

  it('a failing stage: error and log shown, independent stages finish, non-zero exit, re-run resumes', async () => {
    const yaml = `${chain(10)}  broken:\n    uses: test.fail\n    inputs: { a: { from: source.out } }\n  after:\n    uses: test.mod\n    inputs: { a: { from: broken.out } }\n`;
    const p = await makeProject(yaml);
    const r = chromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✗ broken \(test\.fail\) failed/);
    expect(r.stderr).toMatch(/three|out\.txt:1: the number is unlucky/);
    expect(r.stderr).toMatch(/log: .*broken\.log/);
    expect(r.stderr).toMatch(/- after \(test\.mod\) skipped/);
    expect(r.stderr).toContain('4 ran, 0 cached, 1 failed');
    const log = /log: (\S+broken\.log)/.exec(r.stderr)![1]!;
    expect(await readFile(log, 'utf8')).toContain('about to fail');
    const again = chromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    expect(again.stderr).toContain('0 ran, 4 cached, 1 failed');
  });

  it('kill -9 during a stage leaves no half entry, and the next run resumes', async () => {
    const p = await makeProject(chain(10, 4000));
    const run = startChromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    await waitFor(async () => (await traced(p.trace)).includes('sleep-start'));
    process.kill(-run.child.pid!, 'SIGKILL'); // the CLI and its stage process
    await run.exited;
    const cache = join(p.dir, 'cache');
    for (const e of await entries(cache)) expect(existsSync(join(e, 'manifest.json'))).toBe(true);
    expect((await entries(cache)).some((e) => e.includes('test.sleep'))).toBe(false);
    const resumed = chromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('1 ran, 4 cached');
    expect(await readdir(join(cache, 'tmp')).catch(() => [])).toEqual([]);
    expect(await readdir(join(cache, 'locks'))).toEqual([]);
    // The finished stage's working directory became its entry.
    expect(await readdir(join(cache, 'work', 'test.sleep'))).toEqual([]);
  });

  it('two runs on one cache at once: no corruption, each stage executed once', async () => {
    const p = await makeProject(chain(10, 1500));
    const a = startChromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    const b = startChromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    const t = await traced(p.trace);
    expect(t.filter((x) => x === 'sleep-start')).toHaveLength(1);
    expect(t.filter((x) => x === 'add')).toHaveLength(1);
    expect(await entries(join(p.dir, 'cache'))).toHaveLength(5);
  });

  it('SIGINT stops cleanly: exit 130, nothing half-written', async () => {
    const p = await makeProject(chain(10, 8000));
    const run = startChromflow(['run', p.wf], { cwd: p.dir, env: p.env });
    await waitFor(async () => (await traced(p.trace)).includes('sleep-start'));
    process.kill(run.child.pid!, 'SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.stderr()).toContain('interrupted');
    expect((await entries(join(p.dir, 'cache'))).some((e) => e.includes('test.sleep'))).toBe(false);
    expect(await readdir(join(p.dir, 'cache', 'tmp')).catch(() => [])).toEqual([]);
  });

  it('a GPU stage gets a GPU slot where one exists, and runs on CPU (said once, recorded) where none does', async () => {
    const yaml = `version: 1\nplugins: [$PLUGIN]\ncache: cache\nstages:\n  s:\n    uses: test.source\n  g1:\n    uses: test.gpu\n    inputs: { a: { from: s.out } }\n`;
    const p = await makeProject(yaml);
    const none = chromflow(['run', p.wf, '--plain'], { cwd: p.dir, env: p.env });
    expect(none.stderr.match(/no GPU found/g)).toHaveLength(1);
    const [entry] = (await entries(join(p.dir, 'cache'))).filter((e) => e.includes('test.gpu'));
    const m = JSON.parse(await readFile(join(entry!, 'manifest.json'), 'utf8')) as {
      placement: string;
      backend: string;
    };
    expect(m.placement).toBe('cpu×1 (no GPU available)');
    expect(m.backend).toBe('test-cpu');
    const withGpu = chromflow(['run', p.wf, '--force', 'g1'], {
      cwd: p.dir,
      env: { ...p.env, CHROMFLOW_GPUS: '3' },
    });
    expect(withGpu.stderr).toMatch(/g1 \(test\.gpu\) done in .* on gpu:3/);
    expect(await readFile(join(entry!, 'out.txt'), 'utf8')).toBe('3');
  });
});

describe('single stages outside a workflow', () => {
  it('`chromflow stage` runs one stage with the same validation and outputs', async () => {
    const p = await makeProject('');
    const out = join(p.dir, 'out');
    const r = chromflow(
      [
        'stage',
        'test.mod',
        '--plugin',
        PLUGIN,
        '--input',
        `a=${join(p.dir, 'three.txt')}`,
        '--param',
        'm=2',
        '--out',
        out,
      ],
      { cwd: p.dir, env: p.env },
    );
    expect(r.code).toBe(0);
    expect(await readFile(join(out, 'out.txt'), 'utf8')).toBe('1');
    const bad = chromflow(
      [
        'stage',
        'test.mod',
        '--plugin',
        PLUGIN,
        '--input',
        `a=${join(p.dir, 'three.txt')}`,
        '--param',
        'mm=2',
        '--out',
        join(p.dir, 'o2'),
      ],
      { cwd: p.dir, env: p.env },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown parameter 'mm'");
    expect(bad.stderr).toContain("did you mean 'm'?");
    expect(existsSync(join(p.dir, 'o2'))).toBe(false);
  });

  it('`chromflow stages` lists stages with params and ports', async () => {
    const p = await makeProject('');
    const r = chromflow(['stages', '--plugin', PLUGIN], { cwd: p.dir, env: p.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('test.mod v1 — writes a mod m');
    expect(r.stdout).toMatch(/m: number = 10 — modulus/);
    expect(r.stdout).toMatch(/a: file number-text — a number/);
  });
});
