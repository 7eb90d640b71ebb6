import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChromflowError, type StageResources, writeFileAtomic } from '@chromflow/core';
import type { Executor, ExecutorHooks, ExecutorResult } from './executor.js';
import { mergeSlurmSettings, type SlurmSettings } from './executor-config.js';
import type { Placement } from './local-executor.js';
import {
  isTerminal,
  type JobState,
  sbatch,
  scancel,
  scancelNow,
  scontrolState,
  squeueStates,
} from './slurm-commands.js';
import type { StageJob, StageJobResult } from './stage-job.js';

/**
 * Runs each stage as one Slurm batch job built from its `StageJob`: the job
 * runs the same stage process the local executor forks, on whatever node
 * Slurm picks, reading inputs from and writing into the shared cache. The
 * orchestrator submits a stage only once its inputs are in the cache (its key
 * needs their content hashes), so no `--dependency` is used
 * (docs/adr/0003-slurm-executor.md). State comes from squeue/scontrol polls
 * (one squeue call for all jobs in flight) and a per-job exit-code file.
 */

export const DEFAULT_MAX_JOBS = 100;
const DEFAULT_POLL_MS = 1000;
/** After scancel, how long to wait for the job to end before giving up on it (KillWait is 30 s by default). */
const CANCEL_WAIT_MS = 60_000;
/** Consecutive polls that found a job nowhere (not in squeue, not in scontrol) before it is reported lost. */
const LOST_AFTER_POLLS = 3;

export interface SlurmExecutorOptions {
  /** Workflow name, for job names. */
  workflow: string;
  /** Settings for every job (workflow `executor:` block merged with CLI flags). */
  settings: SlurmSettings;
  /** Stage id → settings over the run's. */
  stageSettings?: ReadonlyMap<string, SlurmSettings>;
  /** squeue poll interval; `$CHROMFLOW_SLURM_POLL_MS` overrides the default 1 s. */
  pollMs?: number;
}

interface Watch {
  resolve(state: JobState): void;
  missing: number;
}

function stageProcessScript(): string {
  const js = fileURLToPath(new URL('./stage-process.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./stage-process.ts', import.meta.url));
}

const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** sbatch's memory figure: whole MiB, at least 1 (`--mem=0` would mean the whole node). */
export function memoryFlag(res: StageResources): string {
  return `--mem=${Math.max(1, Math.ceil(res.memoryGb * 1024))}M`;
}

/** The sbatch options for one stage (before the script path), in the order passed. */
export function sbatchArgs(
  opts: { workflow: string; stageId: string; logPath: string; cwd: string },
  res: StageResources,
  s: SlurmSettings,
): string[] {
  const args = [
    `--job-name=chromflow:${opts.workflow}:${opts.stageId}`,
    `--output=${opts.logPath}`,
    `--error=${opts.logPath}`,
    '--open-mode=append',
    `--chdir=${opts.cwd}`,
    '--nodes=1',
    '--ntasks=1',
    `--cpus-per-task=${Math.max(1, res.cpu)}`,
    memoryFlag(res),
    // A node failure is reported, not silently re-run in the same directory; a re-run of chromflow resumes.
    '--no-requeue',
  ];
  if (res.gpu && s.gpu !== false) args.push('--gres=gpu:1');
  if (s.time) args.push(`--time=${s.time}`);
  if (s.partition) args.push(`--partition=${s.partition}`);
  if (s.account) args.push(`--account=${s.account}`);
  if (s.qos) args.push(`--qos=${s.qos}`);
  return [...args, ...(s.flags ?? [])];
}

/** The batch script: runs the stage process, then records its exit code atomically. */
export function batchScript(opts: {
  job: StageJob;
  stageId: string;
  jobPath: string;
  logPath: string;
  exitCodePath: string;
  cpus: number;
  gpu: boolean;
  submittedWith: string[];
}): string {
  const node = [process.execPath, ...process.execArgv, stageProcessScript()].map(q).join(' ');
  return [
    '#!/bin/bash',
    `# chromflow stage '${opts.stageId}' (${opts.job.stage} ${opts.job.version}), cache key ${opts.job.key}`,
    `# submitted with: sbatch ${opts.submittedWith.map(q).join(' ')}`,
    `export CHROMFLOW_THREADS=${opts.cpus}`,
    // Slurm sets CUDA_VISIBLE_DEVICES for a job given a GPU; a CPU job sees none (as the local executor does).
    ...(opts.gpu ? [] : ['export CUDA_VISIBLE_DEVICES=']),
    `${node} ${q(opts.jobPath)} ${q(opts.logPath)}`,
    'code=$?',
    `printf '%s\\n' "$code" > ${q(`${opts.exitCodePath}.tmp`)} && mv ${q(`${opts.exitCodePath}.tmp`)} ${q(opts.exitCodePath)}`,
    'exit $code',
    '',
  ].join('\n');
}

export class SlurmExecutor implements Executor {
  readonly name = 'slurm';
  readonly totalCpus: number;
  readonly gpus: string[];
  private inFlight = 0;
  private readonly watches = new Map<string, Watch>();
  /** What each granted placement was asked for (a placement carries cpus and GPU only). */
  private readonly resources = new WeakMap<Placement, StageResources>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly pollMs: number;

  constructor(private readonly opts: SlurmExecutorOptions) {
    this.totalCpus = opts.settings.maxJobs ?? DEFAULT_MAX_JOBS;
    // No GPU list to hand out: Slurm places GPU jobs; `gres` marks that GPU stages ask for one.
    this.gpus = opts.settings.gpu === false ? [] : ['gres'];
    this.pollMs =
      opts.pollMs ?? (Number(process.env['CHROMFLOW_SLURM_POLL_MS']) || DEFAULT_POLL_MS);
  }

  /** Job ids submitted and not yet finished. */
  get submitted(): string[] {
    return [...this.watches.keys()];
  }

  tryAcquire(res: StageResources): Placement | undefined {
    if (this.inFlight >= this.totalCpus) return undefined;
    this.inFlight++;
    const gpu = res.gpu && this.gpus.length > 0 ? 'gres' : undefined;
    const placement: Placement = { cpus: Math.max(1, res.cpu), gpu, label: 'slurm' };
    this.resources.set(placement, res);
    return placement;
  }

  release(_p: Placement): void {
    this.inFlight--;
  }

  cancelAllNow(): void {
    scancelNow(this.submitted);
  }

  async run(
    job: StageJob,
    placement: Placement,
    logPath: string,
    hooks: ExecutorHooks,
  ): Promise<ExecutorResult> {
    const stageId = hooks.stageId ?? basename(logPath).replace(/\.log$/, '');
    const settings = mergeSlurmSettings(this.opts.settings, this.opts.stageSettings?.get(stageId));
    // Beside the log, not in the entry's directory: the entry must hold outputs only.
    const jobDir = join(dirname(logPath), `${stageId}.slurm`);
    await mkdir(jobDir, { recursive: true });
    const exitCodePath = join(jobDir, 'exit-code');
    await rm(exitCodePath, { force: true });
    const jobPath = join(job.outDir, 'job.json');
    await writeFileAtomic(jobPath, JSON.stringify(job, null, 2));
    const declared = this.resources.get(placement);
    const res: StageResources = {
      cpu: placement.cpus,
      memoryGb: declared?.memoryGb ?? 1,
      gpu: placement.gpu !== undefined,
    };
    const args = sbatchArgs(
      { workflow: this.opts.workflow, stageId, logPath, cwd: process.cwd() },
      res,
      settings,
    );
    const scriptPath = join(jobDir, 'job.sh');
    await writeFileAtomic(
      scriptPath,
      batchScript({
        job,
        stageId,
        jobPath,
        logPath,
        exitCodePath,
        cpus: placement.cpus,
        gpu: res.gpu === true,
        submittedWith: args,
      }),
    );
    if (hooks.signal.aborted) throw new ChromflowError('ABORTED', 'cancelled before submission');
    const jobIdPath = join(jobDir, `${job.key}.job-id`);
    await this.cancelOrphan(jobIdPath, hooks);
    let id: string;
    try {
      id = await sbatch([...args, scriptPath]);
    } catch (e) {
      throw new ChromflowError('STAGE', `sbatch refused the job for '${stageId}'`, {
        path: scriptPath,
        cause: e,
        found: e instanceof Error ? e.message : String(e),
        hint: 'check the executor settings (partition, account, qos, time, flags) and the stage resources',
      });
    }
    await writeFileAtomic(jobIdPath, id);
    hooks.onSubmitted?.(id);
    placement.label = `slurm job ${id}`;
    const ended = this.watch(id);
    const onAbort = (): void => {
      void scancel([id]).catch(() => undefined);
    };
    hooks.signal.addEventListener('abort', onAbort, { once: true });
    if (hooks.signal.aborted) onAbort();
    let final: JobState;
    try {
      final = hooks.signal.aborted ? await this.bounded(ended, id) : await ended;
      if (hooks.signal.aborted && !isTerminal(final.state)) final = await this.bounded(ended, id);
    } finally {
      hooks.signal.removeEventListener('abort', onAbort);
    }
    // Where it ran, for the manifest and the summary (the placement is this executor's own object).
    placement.label = `slurm job ${id}${final.nodes ? ` on ${final.nodes}` : ''}`;
    if (hooks.signal.aborted)
      throw new ChromflowError('ABORTED', `cancelled (slurm job ${id} ${final.state})`);
    const exitCode = await readFile(exitCodePath, 'utf8').then(
      (t) => t.trim(),
      () => undefined,
    );
    // LOST: purged from the controller before a poll saw it end; the exit-code file still tells.
    if (exitCode === '0' && (final.state === 'COMPLETED' || final.state === 'LOST')) {
      const result = JSON.parse(
        await readFile(join(job.outDir, 'result.json'), 'utf8'),
      ) as StageJobResult;
      return { ...result, jobId: id };
    }
    const detail = (await scontrolState(id)) ?? final;
    const code = exitCode ?? detail.exitCode?.split(':')[0];
    const error = await readFile(join(job.outDir, 'error.json'), 'utf8')
      .then((t) => (JSON.parse(t) as { message: string }).message)
      .catch(() => undefined);
    const why = [
      `slurm job ${id} ${final.state}`,
      code !== undefined && code !== '0' ? `exit code ${code}` : undefined,
      final.reason && final.reason !== 'None' ? `reason ${final.reason}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    throw new ChromflowError('STAGE', error ? `${why}: ${error}` : why, { path: logPath });
  }

  /**
   * A job an earlier orchestrator submitted for this key and left running
   * (it was killed with SIGKILL, so it cancelled nothing). We hold the key's
   * lock now, so that job's owner is gone: cancel it and wait until it ended
   * before a new job uses the same working directory.
   */
  private async cancelOrphan(jobIdPath: string, hooks: ExecutorHooks): Promise<void> {
    const previous = await readFile(jobIdPath, 'utf8').then(
      (t) => t.trim(),
      () => undefined,
    );
    if (!previous) return;
    const state = (await squeueStates([previous])).get(previous);
    if (!state || isTerminal(state.state)) return;
    hooks.onLog(
      'warn',
      `slurm job ${previous} of an interrupted run is still ${state.state}: cancelling it before resubmitting`,
    );
    const ended = this.watch(previous);
    await scancel([previous]);
    await this.bounded(ended, previous);
  }

  /** Resolves when the job reaches a terminal state. */
  private watch(id: string): Promise<JobState> {
    return new Promise((resolve) => {
      this.watches.set(id, { resolve, missing: 0 });
      this.timer ??= setInterval(() => void this.poll(), this.pollMs);
    });
  }

  /** Waits for a cancelled job to end, but not forever (an unreachable controller). */
  private bounded(ended: Promise<JobState>, id: string): Promise<JobState> {
    return Promise.race([
      ended,
      new Promise<JobState>((r) =>
        setTimeout(
          () => r({ id, state: 'CANCELLING', reason: 'None', nodes: '' }),
          CANCEL_WAIT_MS,
        ).unref(),
      ),
    ]);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const ids = [...this.watches.keys()];
      let states: Map<string, JobState>;
      try {
        states = await squeueStates(ids);
      } catch {
        return; // controller busy or restarting: the next poll asks again
      }
      for (const id of ids) {
        const w = this.watches.get(id)!;
        let s = states.get(id);
        if (!s) {
          s = await scontrolState(id);
          if (!s && ++w.missing >= LOST_AFTER_POLLS)
            s = { id, state: 'LOST', reason: 'not known to squeue or scontrol', nodes: '' };
        }
        if (s && (isTerminal(s.state) || s.state === 'LOST')) {
          this.watches.delete(id);
          w.resolve(s);
        }
      }
      if (this.watches.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    } finally {
      this.polling = false;
    }
  }
}
