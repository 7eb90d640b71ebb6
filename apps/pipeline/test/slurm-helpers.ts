import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * For the tests that submit real Slurm jobs: whether a Slurm that takes jobs
 * is reachable (scripts/slurm/start.sh starts one), and what it says about jobs.
 */

export const SLURM_PLUGIN = fileURLToPath(new URL('./fixtures/slurm-stages.mjs', import.meta.url));

/** Why the Slurm tests cannot run here, or undefined when a node takes jobs. */
export function slurmMissing(): string | undefined {
  const r = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return 'sinfo not found (apt-get install slurm-wlm munge; scripts/slurm/start.sh)';
  if (r.status !== 0)
    return `no Slurm controller answers (${r.stderr.trim()}); run scripts/slurm/start.sh`;
  if (!/idle|mixed|allocated/.test(r.stdout))
    return `no Slurm node takes jobs (sinfo: ${r.stdout.trim() || 'nothing'})`;
  return undefined;
}

export interface QueuedJob {
  id: string;
  state: string;
  name: string;
  reason: string;
}

/** Jobs whose name starts with `prefix`, in any state squeue still knows. */
export function jobsNamed(prefix: string): QueuedJob[] {
  const r = spawnSync('squeue', ['-h', '--states=all', '-o', '%i|%T|%j|%r'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return r.stdout
    .split('\n')
    .map((l) => l.split('|'))
    .filter((f) => f[2]?.startsWith(prefix))
    .map(([id = '', state = '', name = '', reason = '']) => ({ id, state, name, reason }));
}

/** `scontrol show job` as key → value. */
export function jobFields(id: string): Record<string, string> {
  const r = spawnSync('scontrol', ['show', 'job', '-o', id], { encoding: 'utf8', timeout: 10_000 });
  return Object.fromEntries(
    r.stdout
      .trim()
      .split(/\s+/)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

export function scancel(id: string): void {
  spawnSync('scancel', [id], { timeout: 10_000 });
}

/** A workflow name no earlier test run used, so jobs can be found by name. */
export function uniqueName(what: string): string {
  return `${what}-${process.pid}-${Date.now().toString(36)}`;
}
