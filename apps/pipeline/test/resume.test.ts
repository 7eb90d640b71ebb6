import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromflow, makeProject, startChromflow, traced, waitFor } from './cli-helpers.js';

// A toy training stage (fixtures/stages.mjs, test.train) that checkpoints
// after every step. The oracle is the recurrence itself: 12 steps of
// x ← (1103515245·x + 12345 + step) mod 2³¹ from x = 3, computed here.
const STEPS = 12;
const yaml = `version: 1
plugins: [$PLUGIN]
cache: cache
results: results
stages:
  train:
    uses: test.train
    with: { steps: ${STEPS}, ms: 150 }
    inputs: { a: three.txt }
`;

function expectedValues(): number[] {
  let x = 3n;
  const out: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    x = (1103515245n * x + 12345n + BigInt(step)) % 2147483648n;
    out.push(Number(x));
  }
  return out;
}

const steps = (t: string[]): number[] =>
  t.filter((x) => x.startsWith('train-step ')).map((x) => Number(x.split(' ')[1]));

async function interruptAndResume(signal: 'SIGKILL' | 'SIGINT') {
  const p = await makeProject(yaml);
  const run = startChromflow(['run', p.wf, '--plain'], { cwd: p.dir, env: p.env });
  await waitFor(async () => steps(await traced(p.trace)).includes(4));
  // SIGKILL: the CLI and its stage process at once; SIGINT: the CLI alone, as Ctrl-C in a shell that forwards it.
  if (signal === 'SIGKILL') process.kill(-run.child.pid!, 'SIGKILL');
  else process.kill(run.child.pid!, 'SIGINT');
  const code = await run.exited;
  const before = steps(await traced(p.trace));
  const entryBefore = existsSync(join(p.dir, 'cache', 'entries', 'test.train'));
  const workBefore = await readdir(join(p.dir, 'cache', 'work', 'test.train'));
  const resumed = chromflow(['run', p.wf, '--plain'], { cwd: p.dir, env: p.env });
  return { p, code, before, entryBefore, workBefore, resumed, stderr: run.stderr() };
}

describe('a stage resumes from its working directory after an interruption', () => {
  for (const signal of ['SIGKILL', 'SIGINT'] as const) {
    it(`${signal}: the re-run continues from the last checkpointed step and ends with the uninterrupted bytes`, async () => {
      const { p, code, before, entryBefore, workBefore, resumed, stderr } =
        await interruptAndResume(signal);
      if (signal === 'SIGINT') {
        expect(code).toBe(130);
        expect(stderr).toContain('interrupted');
      }
      const k = Math.max(...before);
      expect(k).toBeGreaterThanOrEqual(4);
      expect(k).toBeLessThan(STEPS);
      // Nothing half-written became an entry; the attempt's working directory stayed.
      expect(entryBefore).toBe(false);
      expect(workBefore).toHaveLength(1);
      expect(resumed.code).toBe(0);
      expect(resumed.stderr).toContain('1 ran, 0 cached');
      expect(resumed.stderr).toMatch(/why: new \(never run\); resuming an interrupted attempt/);
      const t = await traced(p.trace);
      expect(t).toContain(`train-resumed-from ${k}`);
      // Every step ran exactly once over both attempts.
      expect(steps(t)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
      const expected = expectedValues();
      const state = JSON.parse(
        await readFile(join(p.dir, 'results', 'train', 'checkpoint', 'state.json'), 'utf8'),
      ) as { step: number; value: number; history: number[] };
      expect(state).toEqual({ step: STEPS, value: expected.at(-1), history: expected });
      expect(await readFile(join(p.dir, 'results', 'train', 'summary.txt'), 'utf8')).toBe(
        String(expected.at(-1)),
      );
      // The log keeps both attempts, each opened by a header line.
      const log = await readFile(join(await logDir(p.dir), 'train.log'), 'utf8');
      const attempts = log.split('\n').filter((l) => l.includes('==== attempt: train'));
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts[0]).toContain('why: new (never run)');
      expect(attempts[1]).toContain('resuming an interrupted attempt');
      expect(log).toContain('step 4: ');
      expect(log).toContain(`resumed from step ${k}`);
      // The working directory became the entry.
      expect(await readdir(join(p.dir, 'cache', 'work', 'test.train')).catch(() => [])).toEqual([]);
    });
  }
});

async function logDir(projectDir: string): Promise<string> {
  const logs = join(projectDir, 'cache', 'logs');
  const [only] = await readdir(logs);
  return join(logs, only!);
}
