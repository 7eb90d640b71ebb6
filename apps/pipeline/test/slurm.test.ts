import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chromflow, makeProject, PLUGIN, startChromflow, traced, waitFor } from './cli-helpers.js';
import {
  jobFields,
  jobsNamed,
  scancel,
  SLURM_PLUGIN,
  slurmMissing,
  uniqueName,
} from './slurm-helpers.js';

// Real jobs on a real Slurm (scripts/slurm/start.sh: one node, loopback, fake GPUs).
const missing = slurmMissing();
if (missing) console.warn(`skipping: Slurm executor tests: ${missing}`);

// An orchestrator a failed test leaves running is interrupted, so that it cancels its jobs.
const started: ReturnType<typeof startChromflow>[] = [];
function start(...args: Parameters<typeof startChromflow>): ReturnType<typeof startChromflow> {
  const r = startChromflow(...args);
  started.push(r);
  return r;
}
afterEach(async () => {
  for (const r of started.splice(0)) {
    if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
    r.child.kill('SIGINT');
    await r.exited;
  }
});

const env = (p: { env: Record<string, string> }) => ({ ...p.env, CHROMFLOW_SLURM_POLL_MS: '250' });

/** Job id per stage from the summary table (`stage  uses  status  time  job  outputs`). */
function jobIds(stderr: string): Record<string, string> {
  const table = stderr.slice(stderr.lastIndexOf('\nstage '));
  const out: Record<string, string> = {};
  for (const m of table.matchAll(
    /^(\S+)\s+test\.\S+\s+(?:ran|failed)\s+.*?\s(\d+)\s+(?:cache|log:)/gm,
  ))
    out[m[1]!] = m[2]!;
  return out;
}

async function entriesOf(cacheDir: string, stage: string): Promise<string[]> {
  return readdir(join(cacheDir, 'entries', stage)).catch(() => []);
}

describe.skipIf(missing !== undefined)('slurm executor (real jobs)', () => {
  it('reports a job that fails (exit 3), one killed by its time limit and one cancelled from outside, each as such; the rest finish; a re-run resumes from the cache', async () => {
    const name = uniqueName('fail');
    const workflow = (withSlow: boolean) => `version: 1
name: ${name}
plugins: [${PLUGIN}, ${SLURM_PLUGIN}]
cache: cache
executor:
  kind: slurm
  time: "10"
${withSlow ? '  stages:\n    timeout: { time: "1" }\n' : ''}stages:
  source:
    uses: test.source
    inputs: { seed: three.txt }
  exit3:
    uses: test.exit
    with: { code: 3 }
    inputs: { a: { from: source.out } }
  after-exit3:
    uses: test.mod
    inputs: { a: { from: exit3.out } }
  good:
    uses: test.sleep
    with: { ms: 500 }
    inputs: { a: { from: source.out } }
  after-good:
    uses: test.mod
    with: { m: 2 }
    inputs: { a: { from: good.out } }
${
  withSlow
    ? `  timeout:
    uses: test.sleep
    with: { ms: 600000 }
    inputs: { a: { from: source.out } }
  cancelled:
    uses: test.sleep
    with: { ms: 600001 }
    inputs: { a: { from: source.out } }
`
    : ''
}`;
    const p = await makeProject(workflow(true));
    const run = start(['run', p.wf], { cwd: p.dir, env: env(p) });
    // Cancel `cancelled` from outside once Slurm runs it.
    await waitFor(
      () =>
        Promise.resolve(
          jobsNamed(`chromflow:${name}:cancelled`).some((j) => j.state === 'RUNNING'),
        ),
      60_000,
    );
    scancel(jobsNamed(`chromflow:${name}:cancelled`)[0]!.id);
    // The time limit is 1 min; slurmctld checks limits every 30 s.
    const code = await Promise.race([
      run.exited,
      new Promise((r) => setTimeout(() => r('still running'), 240_000)),
    ]);
    const err = run.stderr();
    expect(code, err).toBe(1);
    expect(err).toMatch(/✗ exit3 \(test\.exit\) failed\n.*slurm job \d+ FAILED, exit code 3/);
    expect(err).toMatch(
      /✗ timeout \(test\.sleep\) failed\n.*slurm job \d+ TIMEOUT.*reason TimeLimit/,
    );
    expect(err).toMatch(/✗ cancelled \(test\.sleep\) failed\n.*slurm job \d+ CANCELLED/);
    expect(err).toMatch(/- after-exit3 \(test\.mod\) skipped/);
    expect(err).toMatch(/✓ after-good \(test\.mod\) done/);
    expect(err).toContain(`log: ${join(p.dir, 'cache', 'logs')}`);
    // Slurm agrees about each job, and the summary names every job id.
    const ids = jobIds(err);
    expect(Object.keys(ids).sort()).toEqual(
      ['after-good', 'cancelled', 'exit3', 'good', 'source', 'timeout'].sort(),
    );
    expect(jobFields(ids['exit3']!)['ExitCode']).toBe('3:0');
    expect(jobFields(ids['timeout']!)['JobState']).toBe('TIMEOUT');
    expect(jobFields(ids['cancelled']!)['JobState']).toBe('CANCELLED');
    // source writes 1 + 3 (its seed file), good copies it, after-good writes 4 mod 2.
    const [modKey] = await entriesOf(join(p.dir, 'cache'), 'test.mod');
    expect(
      await readFile(join(p.dir, 'cache', 'entries', 'test.mod', modKey!, 'out.txt'), 'utf8'),
    ).toBe('0');
    expect(await entriesOf(join(p.dir, 'cache'), 'test.exit')).toEqual([]);
    // Re-run without the slow stages: only exit3 runs (and fails) again; the rest is cached.
    const before = (await traced(p.trace)).length;
    await writeFile(p.wf, workflow(false));
    const again = chromflow(['run', p.wf], { cwd: p.dir, env: env(p) });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('0 ran, 3 cached, 1 failed');
    expect((await traced(p.trace)).slice(before)).toEqual(['exit']);
  }, 300_000);

  it('SIGINT to the orchestrator cancels its running and pending jobs and leaves no entry', async () => {
    const name = uniqueName('sigint');
    const p = await makeProject(`version: 1
name: ${name}
plugins: [${PLUGIN}]
cache: cache
executor:
  kind: slurm
  stages:
    pending: { flags: ["--begin=now+600"] }
stages:
  source:
    uses: test.source
    inputs: { seed: three.txt }
  running1:
    uses: test.sleep
    with: { ms: 600000 }
    inputs: { a: { from: source.out } }
  running2:
    uses: test.sleep
    with: { ms: 600001 }
    inputs: { a: { from: source.out } }
  pending:
    uses: test.sleep
    with: { ms: 1000 }
    inputs: { a: { from: source.out } }
`);
    const run = start(['run', p.wf], { cwd: p.dir, env: env(p) });
    const ours = () => jobsNamed(`chromflow:${name}:`).filter((j) => !j.name.endsWith(':source'));
    await waitFor(() => {
      const jobs = ours();
      return Promise.resolve(
        jobs.filter((j) => j.state === 'RUNNING').length === 2 &&
          jobs.some((j) => j.state === 'PENDING'),
      );
    }, 60_000);
    await waitFor(
      async () => (await traced(p.trace)).filter((t) => t === 'sleep-start').length === 2,
    );
    run.child.kill('SIGINT');
    const code = await run.exited;
    expect(code, run.stderr()).toBe(130);
    const states = ours().map((j) => j.state);
    expect(states).toHaveLength(3);
    expect(
      states.every((s) => s === 'CANCELLED'),
      states.join(','),
    ).toBe(true);
    expect(await entriesOf(join(p.dir, 'cache'), 'test.sleep')).toEqual([]);
    expect(await traced(p.trace)).not.toContain('sleep-end');
    expect(run.stderr()).toMatch(/! running1 \(test\.sleep\) cancelled/);
  }, 120_000);

  it('after kill -9 of the orchestrator, the re-run cancels the job it left running, then runs the stage once', async () => {
    const name = uniqueName('orphan');
    const p = await makeProject(`version: 1
name: ${name}
plugins: [${PLUGIN}]
cache: cache
executor: { kind: slurm }
stages:
  source:
    uses: test.source
    inputs: { seed: three.txt }
  slow:
    uses: test.sleep
    with: { ms: 15000 }
    inputs: { a: { from: source.out } }
`);
    const first = start(['run', p.wf], { cwd: p.dir, env: env(p) });
    await waitFor(async () => (await traced(p.trace)).includes('sleep-start'), 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const [orphan] = jobsNamed(`chromflow:${name}:slow`);
    expect(orphan?.state).toBe('RUNNING');
    const again = start(['run', p.wf], { cwd: p.dir, env: env(p) });
    expect(await again.exited, again.stderr()).toBe(0);
    expect(again.stderr()).toContain(
      `slurm job ${orphan!.id} of an interrupted run is still RUNNING: cancelling it before resubmitting`,
    );
    expect(jobFields(orphan!.id)['JobState']).toBe('CANCELLED');
    // Two starts (the orphan's, cut short, and the new job's), one end.
    expect((await traced(p.trace)).filter((t) => t.startsWith('sleep'))).toEqual([
      'sleep-start',
      'sleep-start',
      'sleep-end',
    ]);
  }, 180_000);

  it('gives a GPU stage --gres=gpu:1, and it sees CUDA_VISIBLE_DEVICES; with gpu: false it gets none', async () => {
    const name = uniqueName('gpu');
    const wf = (gpu: boolean) => `version: 1
name: ${name}
plugins: [${PLUGIN}]
cache: cache-${gpu}
executor: { kind: slurm, gpu: ${gpu} }
stages:
  source:
    uses: test.source
    inputs: { seed: three.txt }
  gpu:
    uses: test.gpu
    inputs: { a: { from: source.out } }
`;
    const p = await makeProject(wf(true));
    const r = chromflow(['run', p.wf], { cwd: p.dir, env: env(p) });
    expect(r.code, r.stderr).toBe(0);
    const id = jobIds(r.stderr)['gpu']!;
    expect(jobFields(id)['TresPerNode']).toBe('gres:gpu:1');
    expect(jobFields(jobIds(r.stderr)['source']!)['TresPerNode']).toBeUndefined();
    const [key] = await entriesOf(join(p.dir, 'cache-true'), 'test.gpu');
    // The fake node has GPUs 0 and 1 (scripts/slurm/start.sh).
    expect(
      await readFile(join(p.dir, 'cache-true', 'entries', 'test.gpu', key!, 'out.txt'), 'utf8'),
    ).toMatch(/^[01]$/);
    await writeFile(p.wf, wf(false));
    const cpu = chromflow(['run', p.wf], { cwd: p.dir, env: env(p) });
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(jobFields(jobIds(cpu.stderr)['gpu']!)['TresPerNode']).toBeUndefined();
    const [cpuKey] = await entriesOf(join(p.dir, 'cache-false'), 'test.gpu');
    expect(
      await readFile(join(p.dir, 'cache-false', 'entries', 'test.gpu', cpuKey!, 'out.txt'), 'utf8'),
    ).toBe('');
  }, 120_000);

  it('two orchestrators on one shared cache never run one stage twice', async () => {
    const name = uniqueName('two');
    const p = await makeProject(`version: 1
name: ${name}
plugins: [${PLUGIN}]
cache: cache
executor: { kind: slurm }
stages:
  source:
    uses: test.source
    inputs: { seed: three.txt }
  other:
    uses: test.source
    with: { value: 5 }
  slow:
    uses: test.sleep
    with: { ms: 1500 }
    inputs: { a: { from: source.out } }
  add:
    uses: test.add
    inputs:
      a: { from: slow.out }
      b: { from: other.out }
`);
    const a = start(['run', p.wf], { cwd: p.dir, env: env(p) });
    const b = start(['run', p.wf], { cwd: p.dir, env: env(p) });
    const [ca, cb] = await Promise.all([a.exited, b.exited]);
    expect(ca, a.stderr()).toBe(0);
    expect(cb, b.stderr()).toBe(0);
    expect((await traced(p.trace)).sort()).toEqual([
      'add',
      'sleep-end',
      'sleep-start',
      'source',
      'source',
    ]);
    // Between them, each stage ran once and was cached once.
    const ran = (s: string) => Number(/(\d+) ran, (\d+) cached/.exec(s)?.[1]);
    expect(ran(a.stderr()) + ran(b.stderr())).toBe(4);
    expect(
      existsSync(join(p.dir, 'cache', 'locks')) ? await readdir(join(p.dir, 'cache', 'locks')) : [],
    ).toEqual([]);
  }, 120_000);
});
