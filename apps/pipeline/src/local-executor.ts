import { execFileSync, fork } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChromflowError, type StageResources, writeFileAtomic } from '@chromflow/core';
import type { StageJob, StageJobResult } from './stage-job.js';
import type { ChildMessage } from './stage-process.js';

/**
 * Runs stages as child processes on this machine within CPU and GPU slots.
 * A stage that declares a GPU gets one (`CUDA_VISIBLE_DEVICES` set) where one
 * is free; without any GPU it takes CPU slots and runs on the best CPU backend.
 * The job travels as a JSON file, so a cluster executor can ship the same job.
 */

export interface Placement {
  cpus: number;
  gpu?: string;
  /** Human-readable: `cpu×2`, `gpu:0`, `cpu×2 (no GPU available)`. */
  label: string;
}

export interface JobHooks {
  onProgress(done: number, total: number | undefined, message?: string): void;
  onLog(level: 'info' | 'warn', message: string): void;
  signal: AbortSignal;
}

/** GPUs visible here: `$CHROMFLOW_GPUS` (comma-separated ids, empty for none), else `nvidia-smi -L`. */
export function detectGpus(): string[] {
  const env = process.env['CHROMFLOW_GPUS'];
  if (env !== undefined)
    return env
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  try {
    const out = execFileSync('nvidia-smi', ['-L'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    return out
      .split('\n')
      .filter((l) => l.startsWith('GPU '))
      .map((_, i) => String(i));
  } catch {
    return [];
  }
}

function stageProcessScript(): string {
  const js = fileURLToPath(new URL('./stage-process.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./stage-process.ts', import.meta.url));
}

export class LocalExecutor {
  readonly name = 'local';
  private freeCpus: number;
  private readonly freeGpus: string[];

  constructor(
    readonly totalCpus = availableParallelism(),
    readonly gpus: string[] = detectGpus(),
  ) {
    this.freeCpus = totalCpus;
    this.freeGpus = [...gpus];
  }

  /** Reserves slots for a stage, or undefined when they are busy now. */
  tryAcquire(res: StageResources): Placement | undefined {
    const cpus = Math.max(1, Math.min(res.cpu, this.totalCpus));
    if (cpus > this.freeCpus) return undefined;
    if (res.gpu && this.gpus.length > 0) {
      const gpu = this.freeGpus.shift();
      if (gpu === undefined) return undefined;
      this.freeCpus -= cpus;
      return { cpus, gpu, label: `gpu:${gpu}` };
    }
    this.freeCpus -= cpus;
    return { cpus, label: res.gpu ? `cpu×${cpus} (no GPU available)` : `cpu×${cpus}` };
  }

  release(p: Placement): void {
    this.freeCpus += p.cpus;
    if (p.gpu !== undefined) this.freeGpus.push(p.gpu);
  }

  /** Runs the job in a child process; resolves with its result or rejects with its error. */
  async run(
    job: StageJob,
    placement: Placement,
    logPath: string,
    hooks: JobHooks,
  ): Promise<StageJobResult> {
    const jobPath = join(job.outDir, 'job.json');
    await writeFileAtomic(jobPath, JSON.stringify(job, null, 2));
    const env: NodeJS.ProcessEnv = { ...process.env, CHROMFLOW_THREADS: String(placement.cpus) };
    if (placement.gpu !== undefined) env['CUDA_VISIBLE_DEVICES'] = placement.gpu;
    else if (this.gpus.length > 0) env['CUDA_VISIBLE_DEVICES'] = '';
    const logFd = openSync(logPath, 'a');
    const child = fork(stageProcessScript(), [jobPath, logPath], {
      execArgv: process.execArgv,
      env,
      stdio: ['ignore', logFd, logFd, 'ipc'],
    });
    closeSync(logFd);
    const onAbort = (): void => {
      child.kill('SIGTERM');
    };
    hooks.signal.addEventListener('abort', onAbort, { once: true });
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'progress') hooks.onProgress(m.done, m.total, m.message);
      else hooks.onLog(m.level, m.message);
    });
    const code = await new Promise<number | null>((resolve) =>
      child.on('exit', (c, sig) => resolve(sig ? null : c)),
    );
    hooks.signal.removeEventListener('abort', onAbort);
    if (code === 0)
      return JSON.parse(await readFile(join(job.outDir, 'result.json'), 'utf8')) as StageJobResult;
    const error = (await readFile(join(job.outDir, 'error.json'), 'utf8')
      .then((t) => JSON.parse(t) as { message: string })
      .catch(() => undefined)) ?? {
      message:
        code === null
          ? 'the stage process was killed'
          : `the stage process exited with code ${code}`,
    };
    throw new ChromflowError('STAGE', error.message, { path: logPath });
  }
}
