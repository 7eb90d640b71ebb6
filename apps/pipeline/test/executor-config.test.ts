import { isChromflowError } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { mergeSlurmSettings } from '../src/executor-config.js';
import { makeExecutor } from '../src/make-executor.js';
import { batchScript, sbatchArgs } from '../src/slurm-executor.js';
import { SlurmExecutor } from '../src/slurm-executor.js';
import { parseWorkflow } from '../src/workflow-file.js';

const wf = (executor: string) => `version: 1
executor:
${executor}
stages:
  source:
    uses: test.source
  train:
    uses: test.gpu
`;

function errorOf(text: string): string {
  try {
    parseWorkflow(text, 'wf.yaml');
  } catch (e) {
    if (isChromflowError(e)) return e.format();
    throw e;
  }
  throw new Error('no error');
}

describe('the executor: block', () => {
  // Each bad block: one error naming file:line:col, the field, what was expected.
  const cases: { name: string; block: string; where: string; says: RegExp }[] = [
    {
      name: 'unknown executor kind',
      block: '  kind: pbs',
      where: 'wf.yaml:3:9',
      says: /unknown executor 'pbs'[\s\S]*one of local, slurm/,
    },
    {
      name: 'a time Slurm would refuse',
      block: '  kind: slurm\n  time: "1h"',
      where: 'wf.yaml:4:9',
      says: /'executor\.time' is not a Slurm time limit[\s\S]*H:M:S/,
    },
    {
      name: 'a flag chromflow sets itself',
      block: '  kind: slurm\n  flags: ["--constraint=avx2", "--output=/tmp/x"]',
      where: 'wf.yaml:4:32',
      says: /sbatch option chromflow cannot pass[\s\S]*--output/,
    },
    {
      name: 'a short flag chromflow sets itself, value attached',
      block: '  kind: slurm\n  flags: ["-Jname"]',
      where: 'wf.yaml:4:11',
      says: /sbatch option chromflow cannot pass/,
    },
    {
      name: 'settings for a stage the workflow lacks',
      block: '  kind: slurm\n  stages:\n    trian: { time: "10" }',
      where: 'wf.yaml:5:5',
      says: /names no stage of this workflow: 'trian'[\s\S]*one of source, train/,
    },
    {
      name: 'an unknown field in a stage override',
      block: '  kind: slurm\n  stages:\n    train: { max-jobs: 3 }',
      where: 'wf.yaml:5:14',
      says: /unknown field 'max-jobs' in executor\.stages\.train/,
    },
    {
      name: 'max-jobs not a positive integer',
      block: '  kind: slurm\n  max-jobs: 0',
      where: 'wf.yaml:4:13',
      says: /'executor\.max-jobs' must be a positive integer/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, located`, () => {
      const message = errorOf(wf(c.block));
      expect(message.startsWith(`${c.where}:`), message).toBe(true);
      expect(message).toMatch(c.says);
    });
  }

  it('reads a full block; per-stage settings apply over the command line, which applies over the workflow', () => {
    const file = parseWorkflow(
      wf(
        '  kind: slurm\n  partition: short\n  account: lab\n  qos: normal\n  time: 90\n  flags: ["--constraint=avx2"]\n  max-jobs: 7\n  stages:\n    train: { partition: gpu, time: "1-00:00:00", flags: ["--exclusive"] }',
      ),
      'wf.yaml',
    );
    const block = file.executor!;
    expect(block.kind?.value).toBe('slurm');
    expect(block.slurm).toEqual({
      partition: 'short',
      account: 'lab',
      qos: 'normal',
      time: '90',
      flags: ['--constraint=avx2'],
      maxJobs: 7,
    });
    const cli = { partition: 'long', flags: ['--mail-type=FAIL'] };
    expect(mergeSlurmSettings(block.slurm, cli, block.stages.get('train'))).toEqual({
      partition: 'gpu',
      account: 'lab',
      qos: 'normal',
      time: '1-00:00:00',
      flags: ['--constraint=avx2', '--mail-type=FAIL', '--exclusive'],
      maxJobs: 7,
    });
    const e = makeExecutor(file, { 'max-jobs': '3' });
    expect(e).toBeInstanceOf(SlurmExecutor);
    expect(e.totalCpus).toBe(3);
  });

  it('refuses Slurm flags for the local executor, and an unknown --executor', () => {
    const file = parseWorkflow(wf('  kind: local'), 'wf.yaml');
    expect(() => makeExecutor(file, { partition: 'x' })).toThrow(/executor is local/);
    expect(() => makeExecutor(file, { executor: 'pbs' })).toThrow(/unknown executor 'pbs'/);
    expect(() => makeExecutor(file, { executor: 'slurm', time: 'soon' })).toThrow(
      /--time is not a Slurm time limit/,
    );
  });
});

describe('the sbatch job', () => {
  it('asks for the stage resources and names workflow and stage', () => {
    const args = sbatchArgs(
      { workflow: 'full', stageId: 'train', logPath: '/c/logs/train.log', cwd: '/w' },
      { cpu: 2, memoryGb: 4, gpu: true },
      { partition: 'gpu', time: '60', flags: ['--constraint=a100'] },
    );
    expect(args).toEqual([
      '--job-name=chromflow:full:train',
      '--output=/c/logs/train.log',
      '--error=/c/logs/train.log',
      '--open-mode=append',
      '--chdir=/w',
      '--nodes=1',
      '--ntasks=1',
      '--cpus-per-task=2',
      '--mem=4096M',
      '--no-requeue',
      '--gres=gpu:1',
      '--time=60',
      '--partition=gpu',
      '--constraint=a100',
    ]);
    // 0.1 GiB is 102.4 MiB: rounded up, never --mem=0 (which means the whole node).
    expect(
      sbatchArgs(
        { workflow: 'w', stageId: 's', logPath: 'l', cwd: '/' },
        { cpu: 1, memoryGb: 0.1 },
        {},
      ),
    ).toContain('--mem=103M');
    expect(
      sbatchArgs(
        { workflow: 'w', stageId: 's', logPath: 'l', cwd: '/' },
        { cpu: 1, memoryGb: 0 },
        {},
      ),
    ).toContain('--mem=1M');
    expect(
      sbatchArgs(
        { workflow: 'w', stageId: 's', logPath: 'l', cwd: '/' },
        { cpu: 1, memoryGb: 1, gpu: true },
        { gpu: false },
      ),
    ).not.toContain('--gres=gpu:1');
  });

  it('records the exit code atomically and quotes paths for the shell', () => {
    const script = batchScript({
      job: {
        stage: 'test.source',
        version: '1',
        key: 'k',
        params: {},
        inputs: {},
        outDir: "/o'dir",
        plugins: [],
      },
      stageId: 's',
      jobPath: "/o'dir/job.json",
      logPath: '/l/s.log',
      exitCodePath: '/l/s.slurm/exit-code',
      cpus: 3,
      gpu: false,
      submittedWith: ['--time=5'],
    });
    expect(script).toContain(`'/o'\\''dir/job.json' '/l/s.log'\ncode=$?\n`);
    expect(script).toContain(
      `printf '%s\\n' "$code" > '/l/s.slurm/exit-code.tmp' && mv '/l/s.slurm/exit-code.tmp' '/l/s.slurm/exit-code'`,
    );
    expect(script).toContain('export CHROMFLOW_THREADS=3\nexport CUDA_VISIBLE_DEVICES=\n');
    expect(script.trimEnd().endsWith('exit $code')).toBe(true);
  });
});
