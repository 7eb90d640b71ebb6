import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdamOptions } from '../src/train/adam.js';
import type { OptimizerSpec } from '../src/train/fit.js';
import type { HostBatch, Trainable } from '../src/train/trainable.js';
import { getBatch, getShapes, type GetShape } from './get-trainable.js';
import type { BenchSubjectSpec } from './subject.js';

/**
 * The benchmark's rows by shape name (`subjectOf`): the trainable to build, its batch and
 * optimizer, and how its PyTorch twin is run and read. Used by `index.ts` (the benchmark)
 * and `profile.ts` (where a row's training step spends its time).
 */

const here = dirname(fileURLToPath(import.meta.url));
const modelsBench = join(here, '..', '..', 'models', 'bench');
const xchromCells = 500;
const xchromBatch = 64;

/** Timed steps after warm-up steps, as the twin is asked to time itself. */
export interface TwinTiming {
  steps: number;
  warmup: number;
}

export interface TwinResult {
  trainable: number;
  train: number;
  infer: number;
  threads: number;
  torch: string;
}

function threadEnv(threads: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OPENBLAS_NUM_THREADS: String(threads),
    OMP_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
    OMP_WAIT_POLICY: 'PASSIVE',
  };
}

function xchromTwin(py: string, threads: number, t: TwinTiming): TwinResult {
  const out = execFileSync(
    py,
    [
      join(modelsBench, 'xchrom_twin.py'),
      'bench',
      '--configs',
      'small',
      '--batches',
      String(xchromBatch),
      '--threads',
      String(threads),
      '--cells',
      String(xchromCells),
      '--seconds',
      '0',
      '--min-steps',
      String(t.steps),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24, env: threadEnv(threads) },
  );
  const row = (
    JSON.parse(out) as {
      results: { trainable: number; train_seq_per_s: number; infer_seq_per_s: number }[];
    }
  ).results[0];
  if (row === undefined) throw new Error('xchrom twin returned no result');
  const torch = execFileSync(py, ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
  }).trim();
  return {
    trainable: row.trainable,
    train: row.train_seq_per_s,
    infer: row.infer_seq_per_s,
    threads,
    torch,
  };
}

function getTwin(py: string, shape: string, threads: number, t: TwinTiming): TwinResult {
  const out = execFileSync(
    py,
    [
      join(here, 'get_twin.py'),
      'bench',
      '--shape',
      shape,
      '--threads',
      String(threads),
      '--steps',
      String(t.steps),
      '--warmup',
      String(t.warmup),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24, env: threadEnv(threads) },
  );
  const r = JSON.parse(out) as {
    trainable: number;
    train_samples_per_s: number;
    infer_samples_per_s: number;
    torch: string;
  };
  return {
    trainable: r.trainable,
    train: r.train_samples_per_s,
    infer: r.infer_samples_per_s,
    threads,
    torch: r.torch,
  };
}

/** A twin speaking `BenchSubjectSpec.twin`'s JSON protocol on stdin/stdout. */
function jsonTwin(
  py: string,
  twin: BenchSubjectSpec['twin'],
  model: Trainable,
  threads: number,
  t: TwinTiming,
): TwinResult {
  const out = execFileSync(py, [twin.script], {
    input: JSON.stringify({ mode: 'bench', threads, ...t, ...twin.request(model) }),
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: threadEnv(threads),
  });
  const r = JSON.parse(out) as { trainable: number; train: number; infer: number; torch: string };
  return { ...r, threads };
}

/** One row's model: what to build and train, and how its twin runs. */
export interface Subject extends Omit<BenchSubjectSpec, 'twin'> {
  twin: (py: string, model: Trainable, threads: number) => TwinResult;
}

// get_twin.py's optimizer: AdamW lr 1e-4, decay 0.01 (XChrom's is models' XCHROM_ADAM, as its twin).
const getAdamW: OptimizerSpec = {
  kind: 'adamw',
  options: { learningRate: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 },
};

export async function subjectOf(shape: string, t: TwinTiming): Promise<Subject> {
  if (shape === 'xchrom-small') {
    const module = join(modelsBench, 'cnn-trainable.ts');
    const mod = (await import(module)) as {
      benchBatch(n: number, cells: number, seed: number): HostBatch;
    };
    const { XCHROM_ADAM } = (await import(
      join(modelsBench, '..', 'src', 'xchrom', 'xchrom-adam.ts')
    )) as { XCHROM_ADAM: AdamOptions };
    return {
      module,
      factory: 'makeBenchCnn',
      config: { arch: 'small', cells: xchromCells },
      batch: mod.benchBatch(xchromBatch, xchromCells, 7),
      n: xchromBatch,
      optimizer: { kind: 'adam', options: XCHROM_ADAM },
      twin: (py, _model, threads) => xchromTwin(py, threads, t),
    };
  }
  if (shape.startsWith('atacformer-') || shape === 'claster') {
    const spec = shape.startsWith('atacformer-')
      ? (
          (await import(join(modelsBench, 'atacformer-bench.ts'))) as {
            atacformerSubject(shape: string): BenchSubjectSpec;
          }
        ).atacformerSubject(shape)
      : (
          (await import(join(modelsBench, 'claster-bench.ts'))) as {
            clasterSubject(): BenchSubjectSpec;
          }
        ).clasterSubject();
    return { ...spec, twin: (py, model, threads) => jsonTwin(py, spec.twin, model, threads, t) };
  }
  const s = getShapes[shape as GetShape];
  if (s === undefined) throw new Error(`unknown bench shape '${shape}'`);
  return {
    module: join(here, 'get-trainable.ts'),
    factory: 'makeGetBench',
    config: { d: s.d, layers: s.layers, heads: s.heads },
    batch: getBatch(s.batch, 7),
    n: s.batch,
    optimizer: getAdamW,
    twin: (py, _model, threads) => getTwin(py, shape, threads, t),
  };
}
