import { ChromflowError } from '@chromflow/core';
import type { Executor } from './executor.js';
import {
  checkSbatchFlag,
  checkSlurmTime,
  EXECUTOR_KINDS,
  type ExecutorKind,
  mergeSlurmSettings,
  type SlurmSettings,
} from './executor-config.js';
import { LocalExecutor } from './local-executor.js';
import { SlurmExecutor } from './slurm-executor.js';
import type { WorkflowFile } from './workflow-file.js';

/** `chromflow run`'s executor flags, for parseArgs; they replace the workflow's `executor:` settings. */
export const EXECUTOR_OPTIONS = {
  executor: { type: 'string' },
  partition: { type: 'string' },
  account: { type: 'string' },
  qos: { type: 'string' },
  time: { type: 'string' },
  'sbatch-flag': { type: 'string', multiple: true },
  'max-jobs': { type: 'string' },
} as const;

export interface ExecutorFlags {
  executor?: string;
  partition?: string;
  account?: string;
  qos?: string;
  time?: string;
  'sbatch-flag'?: string[];
  'max-jobs'?: string;
}

function bad(field: string, message: string, expected: string, found: string): never {
  throw new ChromflowError('PARAM', message, { field, expected, found: JSON.stringify(found) });
}

/** Slurm settings given on the command line, checked like the workflow's. */
function flagSettings(f: ExecutorFlags): SlurmSettings {
  const s: SlurmSettings = {};
  if (f.partition !== undefined) s.partition = f.partition;
  if (f.account !== undefined) s.account = f.account;
  if (f.qos !== undefined) s.qos = f.qos;
  if (f.time !== undefined) {
    const why = checkSlurmTime(f.time);
    if (why) bad('--time', '--time is not a Slurm time limit', why, f.time);
    s.time = f.time;
  }
  for (const flag of f['sbatch-flag'] ?? []) {
    const why = checkSbatchFlag(flag);
    if (why) bad('--sbatch-flag', '--sbatch-flag has an option chromflow cannot pass', why, flag);
  }
  if (f['sbatch-flag']) s.flags = f['sbatch-flag'];
  if (f['max-jobs'] !== undefined) {
    const n = Number(f['max-jobs']);
    if (!Number.isInteger(n) || n < 1)
      bad('--max-jobs', '--max-jobs must be a positive integer', 'an integer ≥ 1', f['max-jobs']);
    s.maxJobs = n;
  }
  return s;
}

/** The executor a run uses: `--executor`, else the workflow's `executor.kind`, else local. */
export function makeExecutor(file: WorkflowFile, flags: ExecutorFlags): Executor {
  const kind = flags.executor ?? file.executor?.kind?.value ?? 'local';
  if (!(EXECUTOR_KINDS as readonly string[]).includes(kind))
    bad('--executor', `unknown executor '${kind}'`, `one of ${EXECUTOR_KINDS.join(', ')}`, kind);
  const cli = flagSettings(flags);
  if ((kind as ExecutorKind) === 'local') {
    const given = Object.keys(cli);
    if (given.length > 0)
      throw new ChromflowError('PARAM', 'Slurm settings given, but the executor is local', {
        field: `--${given[0] === 'flags' ? 'sbatch-flag' : given[0] === 'maxJobs' ? 'max-jobs' : given[0]}`,
        hint: 'add --executor slurm (or executor: { kind: slurm } in the workflow)',
      });
    return new LocalExecutor();
  }
  return new SlurmExecutor({
    workflow: file.name,
    settings: mergeSlurmSettings(file.executor?.slurm, cli),
    stageSettings: file.executor?.stages,
  });
}

/** The run's opening line's executor part. */
export function describeExecutor(e: Executor): string {
  if (e instanceof SlurmExecutor) return `slurm, up to ${e.totalCpus} jobs in flight`;
  return `${e.totalCpus} CPU slots, ${e.gpus.length} GPU`;
}
