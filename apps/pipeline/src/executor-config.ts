import { ChromflowError } from '@chromflow/core';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { Located, SourcePos } from './workflow-file.js';

/**
 * The workflow file's `executor:` block and the matching `chromflow run`
 * flags: which executor, and for Slurm the sbatch settings every job gets,
 * with per-stage overrides. Stage resources (cpus, memory, GPU) come from the
 * stage declarations, not from here.
 *
 *   executor:
 *     kind: slurm            # or local (the default)
 *     partition: short
 *     account: mylab
 *     qos: normal
 *     time: "2:00:00"        # Slurm time: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S
 *     flags: ["--constraint=avx2"]
 *     max-jobs: 100          # jobs in flight at once
 *     gpu: true              # GPU stages ask for --gres=gpu:1 (false: run them on CPU nodes)
 *     stages:
 *       train: { partition: gpu, time: "6:00:00" }
 */

export const EXECUTOR_KINDS = ['local', 'slurm'] as const;
export type ExecutorKind = (typeof EXECUTOR_KINDS)[number];

/** sbatch settings; every field optional so that layers (workflow, CLI, stage) can be merged. */
export interface SlurmSettings {
  partition?: string;
  account?: string;
  qos?: string;
  time?: string;
  /** Extra sbatch flags, appended after chromflow's own, so they win where both set one. */
  flags?: string[];
  maxJobs?: number;
  gpu?: boolean;
}

export interface ExecutorBlock {
  kind?: Located<ExecutorKind>;
  slurm: SlurmSettings;
  /** Stage id → settings that apply over the run's. */
  stages: Map<string, SlurmSettings>;
  pos: SourcePos;
}

const BLOCK_KEYS = [
  'kind',
  'partition',
  'account',
  'qos',
  'time',
  'flags',
  'max-jobs',
  'gpu',
  'stages',
];
const STAGE_KEYS = ['partition', 'account', 'qos', 'time', 'flags', 'gpu'];

/**
 * Flags the executor sets itself and reads back (log path, job name, the
 * job id from --parsable); letting a user flag replace them would break
 * state tracking, so they are refused with the reason.
 */
const RESERVED_FLAGS = [
  '--output',
  '-o',
  '--error',
  '-e',
  '--open-mode',
  '--job-name',
  '-J',
  '--parsable',
  '--chdir',
  '-D',
  '--wrap',
  '--dependency',
  '-d',
  '--array',
  '-a',
];

const SLURM_TIME =
  /^(?:\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}|\d+-\d{1,2}:\d{1,2}|\d+-\d{1,2}:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$/;

/** A Slurm time limit as sbatch's --time takes it, or a reason it is not one. */
export function checkSlurmTime(value: string): string | undefined {
  return SLURM_TIME.test(value)
    ? undefined
    : 'a Slurm time: minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S (e.g. "90", "1:30:00", "2-00")';
}

/** A reason an extra sbatch flag is refused, or undefined when it may be passed. */
export function checkSbatchFlag(flag: string): string | undefined {
  if (!flag.startsWith('-')) return 'an sbatch option starting with -, e.g. --constraint=avx2';
  // `--output=x`, `--output x` (one list item each), and short forms with the value attached (`-ox`).
  const name = flag.startsWith('--') ? flag.split(/[= ]/)[0]! : flag.slice(0, 2);
  if (RESERVED_FLAGS.includes(name))
    return `an option chromflow does not set itself (not ${RESERVED_FLAGS.filter((f) => f.startsWith('--')).join(', ')})`;
  return undefined;
}

type PosOf = (node: unknown) => SourcePos;

function fail(
  pos: SourcePos,
  message: string,
  extra: { field: string; expected?: string; found?: string },
): never {
  throw new ChromflowError('WORKFLOW', message, { ...pos, ...extra });
}

function found(node: unknown): string {
  if (isScalar(node)) return JSON.stringify(node.value);
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  return 'nothing';
}

function str(node: unknown, field: string, posOf: PosOf): string {
  if (!isScalar(node) || typeof node.value !== 'string' || node.value === '')
    fail(posOf(node), `'${field}' must be a non-empty string`, {
      field,
      expected: 'a string',
      found: found(node),
    });
  return node.value;
}

function settings(
  map: unknown,
  allowed: readonly string[],
  where: string,
  posOf: PosOf,
  skip: readonly string[] = [],
): SlurmSettings {
  if (!isMap(map))
    fail(posOf(map), `'${where}' must be a mapping`, {
      field: where,
      expected: 'a mapping',
      found: found(map),
    });
  const out: SlurmSettings = {};
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const field = `${where}.${key}`;
    const v = pair.value as Node | null;
    if (skip.includes(key)) continue;
    if (!allowed.includes(key))
      fail(posOf(pair.key), `unknown field '${key}' in ${where}`, {
        field,
        expected: `one of ${allowed.join(', ')}`,
      });
    if (key === 'partition' || key === 'account' || key === 'qos') out[key] = str(v, field, posOf);
    else if (key === 'time') {
      const t = isScalar(v) && typeof v.value === 'number' ? String(v.value) : str(v, field, posOf);
      const bad = checkSlurmTime(t);
      if (bad)
        fail(posOf(v), `'${field}' is not a Slurm time limit`, {
          field,
          expected: bad,
          found: found(v),
        });
      out.time = t;
    } else if (key === 'flags') {
      if (!isSeq(v))
        fail(posOf(v), `'${field}' must be a list of sbatch options`, {
          field,
          expected: 'a list, e.g. ["--constraint=avx2"]',
          found: found(v),
        });
      out.flags = v.items.map((item) => {
        const flag = str(item, field, posOf);
        const bad = checkSbatchFlag(flag);
        if (bad)
          fail(posOf(item), `'${field}' has an sbatch option chromflow cannot pass`, {
            field,
            expected: bad,
            found: JSON.stringify(flag),
          });
        return flag;
      });
    } else if (key === 'max-jobs') {
      if (!isScalar(v) || !Number.isInteger(v.value) || (v.value as number) < 1)
        fail(posOf(v), `'${field}' must be a positive integer`, {
          field,
          expected: 'an integer ≥ 1',
          found: found(v),
        });
      out.maxJobs = v.value as number;
    } else if (key === 'gpu') {
      if (!isScalar(v) || typeof v.value !== 'boolean')
        fail(posOf(v), `'${field}' must be true or false`, {
          field,
          expected: 'true or false',
          found: found(v),
        });
      out.gpu = v.value;
    }
  }
  return out;
}

/** Parses the `executor:` block; `stageIds` are the workflow's stage ids, for `executor.stages`. */
export function parseExecutorBlock(
  node: unknown,
  stageIds: readonly string[],
  posOf: PosOf,
): ExecutorBlock {
  if (!isMap(node))
    fail(posOf(node), "'executor' must be a mapping", {
      field: 'executor',
      expected: 'a mapping with kind: local or kind: slurm',
      found: found(node),
    });
  let kind: Located<ExecutorKind> | undefined;
  const kindNode = node.get('kind', true);
  if (kindNode !== undefined) {
    const k = str(kindNode, 'executor.kind', posOf);
    if (!(EXECUTOR_KINDS as readonly string[]).includes(k))
      fail(posOf(kindNode), `unknown executor '${k}'`, {
        field: 'executor.kind',
        expected: `one of ${EXECUTOR_KINDS.join(', ')}`,
        found: JSON.stringify(k),
      });
    kind = { value: k as ExecutorKind, pos: posOf(kindNode) };
  }
  const slurm = settings(node, BLOCK_KEYS, 'executor', posOf, ['kind', 'stages']);
  const stages = new Map<string, SlurmSettings>();
  const stagesNode = node.get('stages', true);
  if (stagesNode !== undefined) {
    if (!isMap(stagesNode))
      fail(posOf(stagesNode), "'executor.stages' must be a mapping of stage id to settings", {
        field: 'executor.stages',
        expected: 'a mapping, e.g. train: { partition: gpu }',
        found: found(stagesNode),
      });
    for (const pair of stagesNode.items) {
      const id = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!stageIds.includes(id))
        fail(posOf(pair.key), `'executor.stages' names no stage of this workflow: '${id}'`, {
          field: `executor.stages.${id}`,
          expected: `one of ${stageIds.join(', ')}`,
        });
      stages.set(id, settings(pair.value, STAGE_KEYS, `executor.stages.${id}`, posOf));
    }
  }
  return { kind, slurm, stages, pos: posOf(node) };
}

/** Layers settings: later layers replace fields, flags accumulate in order. */
export function mergeSlurmSettings(...layers: (SlurmSettings | undefined)[]): SlurmSettings {
  const out: SlurmSettings = {};
  for (const l of layers) {
    if (!l) continue;
    for (const [k, v] of Object.entries(l) as [keyof SlurmSettings, unknown][]) {
      if (v === undefined) continue;
      if (k === 'flags') out.flags = [...(out.flags ?? []), ...(v as string[])];
      else Object.assign(out, { [k]: v });
    }
  }
  return out;
}
