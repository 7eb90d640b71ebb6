import { execFile, execFileSync } from 'node:child_process';
import { ChromflowError } from '@chromflow/core';

/**
 * The Slurm client commands the executor uses, and nothing else: `sbatch` to
 * submit, `squeue` (and `scontrol` for a job squeue no longer lists) to follow
 * job state, `scancel` to stop. No `sacct`: it needs slurmdbd, which a small
 * cluster or CI may not run; finished jobs stay visible to squeue/scontrol
 * for MinJobAge (300 s by default), and each job also leaves an exit-code file.
 */

/** Job states after which a job will not run again (squeue's %T spelling). */
export const TERMINAL_STATES = [
  'COMPLETED',
  'FAILED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'CANCELLED',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
] as const;

export interface JobState {
  id: string;
  /** PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, TIMEOUT, … as squeue prints it. */
  state: string;
  /** squeue's reason (why pending, or why it ended), `None` when there is none. */
  reason: string;
  /** Node(s) it ran on; empty while pending. */
  nodes: string;
  /** `code:signal` from scontrol, when known. */
  exitCode?: string;
}

export function isTerminal(state: string): boolean {
  // scontrol prints `CANCELLED by 0`-style states in some versions; the word decides.
  return (TERMINAL_STATES as readonly string[]).includes(state.split(/[\s+]/)[0]!);
}

function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new ChromflowError(
            'IO',
            missing
              ? `'${cmd}' is not installed or not on PATH`
              : `${cmd} failed: ${(stderr || error.message).trim()}`,
            {
              hint: missing
                ? 'the Slurm executor needs the Slurm client commands (Debian: apt-get install slurm-client)'
                : undefined,
            },
          ),
        );
      } else resolve(stdout);
    });
  });
}

/** Submits a batch script; returns the job id (`--parsable` prints `id` or `id;cluster`). */
export async function sbatch(args: string[]): Promise<string> {
  const out = await run('sbatch', ['--parsable', ...args]);
  const id = out.trim().split(';')[0] ?? '';
  if (!/^\d+$/.test(id))
    throw new ChromflowError('IO', 'sbatch printed no job id', {
      expected: 'a job id',
      found: JSON.stringify(out.trim()),
    });
  return id;
}

/** State of the given jobs in one squeue call; jobs squeue no longer lists are absent. */
export async function squeueStates(ids: readonly string[]): Promise<Map<string, JobState>> {
  const out = new Map<string, JobState>();
  if (ids.length === 0) return out;
  const text = await run('squeue', [
    '-h',
    '--states=all',
    `--jobs=${ids.join(',')}`,
    '-o',
    '%i|%T|%r|%N',
  ]);
  for (const line of text.split('\n')) {
    const [id, state, reason, nodes] = line.trim().split('|');
    if (id && state) out.set(id, { id, state, reason: reason ?? '', nodes: nodes ?? '' });
  }
  return out;
}

/** `scontrol show job`: state and exit code of one job, or undefined once the controller forgot it. */
export async function scontrolState(id: string): Promise<JobState | undefined> {
  let text: string;
  try {
    text = await run('scontrol', ['show', 'job', '-o', id]);
  } catch {
    return undefined; // "Invalid job id specified": purged after MinJobAge
  }
  const field = (name: string): string | undefined =>
    new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(text)?.[1];
  const state = field('JobState');
  if (!state) return undefined;
  return {
    id,
    state,
    reason: field('Reason') ?? '',
    nodes: field('NodeList') === '(null)' ? '' : (field('NodeList') ?? ''),
    exitCode: field('ExitCode'),
  };
}

export async function scancel(ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await run('scancel', [...ids]);
}

/** For a process about to exit: cancels without waiting on the event loop. */
export function scancelNow(ids: readonly string[]): void {
  if (ids.length === 0) return;
  try {
    execFileSync('scancel', [...ids], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // exiting anyway; the jobs' own time limits bound what is left
  }
}
