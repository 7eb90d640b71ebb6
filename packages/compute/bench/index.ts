/**
 * `npm run bench -w @chromflow/compute`: training and inference samples/s of the GET-shaped
 * transformer (get-small, get-medium, get-published; `bench/get-trainable.ts`), of the
 * small XChrom CNN (`xchrom-small`, models' `bench/cnn-trainable.ts`), of Atacformer
 * (atacformer-small, atacformer-published; models' `bench/atacformer-bench.ts`) and of
 * CLASTER (`claster`; models' `bench/claster-bench.ts`), each side by side with its PyTorch
 * twin (`bench/get_twin.py`, models' `bench/xchrom_twin.py`, `test/twins/atacformer_twin.py`,
 * `test/twins/claster_twin.py`) in the same run, alternating which goes first. PyTorch runs at 1 and 2 threads (OPENBLAS_NUM_THREADS
 * and OMP_NUM_THREADS set to match, OMP_WAIT_POLICY=PASSIVE) and the faster setting per
 * shape is the anchor. Medians of ≥ 5 timed steps after 2 warm-up steps. Before timing,
 * get-small's loss and every gradient at equal weights are compared with PyTorch's (float64).
 * Each side trains as its model does, with the twin's settings: AdamW (lr 1e-4, decay 0.01)
 * for GET and CLASTER, Adam with per-variable clipping at 1 for XChrom, AdamW + SparseAdam
 * (lr 1e-3) for Atacformer; chromflow's step is `shardedStep` (the optimizer in the workers,
 * docs/adr/0004-…), except Atacformer's, which trains in one process as `fit` does a model
 * with sparse tables (`sparseTrainStep`; `threads` 1). Atacformer's samples are cells of
 * `tokens_per_sample` tokens. Writes bench-results/compute.json.
 *
 * `--quick` (or BENCH_QUICK=1): one round per shape instead of two.
 * Environment: BENCH_SHAPES=get-small,get-medium,get-published,xchrom-small,
 * atacformer-small,atacformer-published,claster (the default: all)
 * BENCH_STEPS=5  BENCH_WORKERS=2  PYTHON=/usr/bin/python3 (or /tmp/torchvenv/bin/python)
 * PYTHONS=a,b (every interpreter is measured; the fastest anchors)  CHROMFLOW_NATIVE=0
 * BENCH_OUT=path (default bench-results/compute.json).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createTrainingEngine, describeBackend, initBackend } from '../src/index.js';
import { makeOptimizer, sparseOptions } from '../src/train/fit.js';
import { isHostSteppable } from '../src/train/host-update.js';
import { sparseTrainStep } from '../src/train/sparse-step.js';
import type { Trainable, TrainableFactory } from '../src/train/trainable.js';
import { nativeBlasStatus } from '../src/kernels/native-blas.js';
import { checkGetAgainstTwin } from './get-check.js';
import { subjectOf, type Subject, type TwinResult } from './subjects.js';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick') || process.env['BENCH_QUICK'] === '1';
const shapes = (
  process.env['BENCH_SHAPES'] ??
  'get-small,get-medium,get-published,xchrom-small,atacformer-small,atacformer-published,claster'
).split(',');
const steps = Math.max(5, Number(process.env['BENCH_STEPS'] ?? 5));
const warmup = 2;
const workers = Number(process.env['BENCH_WORKERS'] ?? 2);
const rounds = quick ? 1 : 2;

function hasTorch(py: string): boolean {
  try {
    execFileSync(py, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every interpreter with torch: PYTHONS, else PYTHON, Debian's, the note's torch 2 venv. */
function pythons(): string[] {
  const listed = process.env['PYTHONS']?.split(',') ?? [
    process.env['PYTHON'] ?? '/usr/bin/python3',
    '/tmp/torchvenv/bin/python',
  ];
  const found = [...new Set(listed)].filter((p) => existsSync(p) && hasTorch(p));
  if (found.length === 0)
    throw new Error('No python3 with torch (Debian: apt-get install python3-torch; or PYTHON=…)');
  return found;
}

async function medianSeconds(step: () => Promise<void>): Promise<number> {
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]! / 1000;
}

/** chromflow's side of a row: a training step and an inference pass of the subject's batch. */
interface Runner {
  model: Trainable;
  threads: number;
  train: () => Promise<void>;
  infer: () => Promise<void>;
  dispose: () => Promise<void>;
}

/** On the data-parallel engine, the optimizer stepped in the workers (`shardedStep`). */
async function engineRunner(subject: Subject): Promise<Runner> {
  const engine = await createTrainingEngine({
    module: subject.module,
    factory: subject.factory,
    config: subject.config,
    seed: 1,
    workers,
  });
  const optimizer = makeOptimizer(subject.optimizer, engine.model.trainableVariables());
  if (!isHostSteppable(optimizer))
    throw new Error(`${subject.factory}: optimizer cannot step in the workers`);
  return {
    model: engine.model,
    threads: Math.max(1, workers),
    train: async () => {
      await engine.shardedStep(engine.model, subject.batch, optimizer);
    },
    infer: async () => {
      const p: tf.Tensor = await engine.predict(subject.batch);
      await p.data();
      p.dispose();
    },
    dispose: async () => {
      optimizer.dispose();
      await engine.dispose();
    },
  };
}

/** In this process, as `fit` trains a model with sparse tables (`sparseTrainStep`, no clipping). */
async function sparseRunner(subject: Subject): Promise<Runner> {
  const mod = (await import(subject.module)) as Record<string, TrainableFactory>;
  const factory = mod[subject.factory];
  if (factory === undefined) throw new Error(`${subject.module} exports no ${subject.factory}`);
  const model = await factory(subject.config, 1);
  if (model.predictBatch === undefined) throw new Error(`${subject.factory}: no predictBatch`);
  const optimizer = makeOptimizer(subject.optimizer, model.trainableVariables());
  const sparse = sparseOptions(subject.optimizer);
  return {
    model,
    threads: 1,
    train: async () => {
      await sparseTrainStep(model, subject.batch, optimizer, sparse, undefined, (g) => g);
    },
    infer: async () => {
      const p = model.predictBatch!(subject.batch);
      await p.data();
      p.dispose();
    },
    dispose: () => {
      optimizer.dispose();
      const own = model as Trainable & { dispose?: () => void };
      if (own.dispose) own.dispose();
      else tf.dispose(model.trainableVariables());
      return Promise.resolve();
    },
  };
}

/** Trainable parameters, the rows of sparse tables included (the twins count their tables). */
function parameterCount(model: Trainable): number {
  const dense = model.trainableVariables().reduce((s, x) => s + x.size, 0);
  const tables = model.sparseTables?.() ?? [];
  return dense + tables.reduce((s, t) => s + t.rows * t.dim, 0);
}

interface Row {
  shape: string;
  batch: number;
  trainable_parameters: number;
  train_samples_per_s: number;
  pytorch_train_samples_per_s: number;
  train_ratio_vs_pytorch: number;
  infer_samples_per_s: number;
  pytorch_infer_samples_per_s: number;
  infer_ratio_vs_pytorch: number;
  /** chromflow's threads (data-parallel workers × 1 wasm/BLAS thread; 1 for Atacformer). */
  threads: number;
  /** PyTorch's faster thread setting for this shape, and its version. */
  pytorch_threads: number;
  pytorch: string;
  /** Every PyTorch setting measured: `torch@threads` → train, infer samples/s. */
  pytorch_settings: Record<string, { train: number; infer: number }>;
  kernel_path: string;
  [extra: string]: unknown;
}

async function benchShape(shape: string, py: string[], kernelPath: string): Promise<Row> {
  const subject = await subjectOf(shape, { steps, warmup });
  const runner = subject.sparse ? await sparseRunner(subject) : await engineRunner(subject);
  const params = parameterCount(runner.model);
  const ours = { train: 0, infer: 0 };
  const settings: Record<string, TwinResult> = {};
  const measureOurs = async (): Promise<void> => {
    const train = await medianSeconds(runner.train);
    const infer = await medianSeconds(runner.infer);
    ours.train = Math.max(ours.train, subject.n / train);
    ours.infer = Math.max(ours.infer, subject.n / infer);
  };
  const measureTheirs = (): void => {
    for (const p of py) {
      for (const threads of [1, 2]) {
        const r = subject.twin(p, runner.model, threads);
        if (r.trainable !== params)
          throw new Error(
            `${shape}: chromflow has ${params} trainable parameters, the twin ${r.trainable}`,
          );
        const key = `${r.torch}@${threads}`;
        const prev = settings[key];
        settings[key] = {
          ...r,
          train: Math.max(r.train, prev?.train ?? 0),
          infer: Math.max(r.infer, prev?.infer ?? 0),
        };
      }
    }
  };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await measureOurs();
      measureTheirs();
    } else {
      measureTheirs();
      await measureOurs();
    }
  }
  await runner.dispose();
  const best = Object.values(settings).reduce((a, b) => (b.train > a.train ? b : a));
  const bestInfer = Math.max(...Object.values(settings).map((r) => r.infer));
  return {
    shape,
    batch: subject.n,
    trainable_parameters: params,
    train_samples_per_s: ours.train,
    pytorch_train_samples_per_s: best.train,
    train_ratio_vs_pytorch: ours.train / best.train,
    infer_samples_per_s: ours.infer,
    pytorch_infer_samples_per_s: bestInfer,
    infer_ratio_vs_pytorch: ours.infer / bestInfer,
    threads: runner.threads,
    pytorch_threads: best.threads,
    pytorch: best.torch,
    pytorch_settings: Object.fromEntries(
      Object.entries(settings).map(([k, r]) => [k, { train: r.train, infer: r.infer }]),
    ),
    kernel_path: kernelPath,
    ...subject.extra,
  };
}

async function main(): Promise<void> {
  const loadStart = loadavg()[0];
  const info = await initBackend({ backend: 'wasm' });
  const native = nativeBlasStatus();
  const kernelPath = native.active
    ? `wasm+native-blas (${native.blas})`
    : `wasm (native BLAS ${native.detail})`;
  console.log(`chromflow kernels: ${kernelPath}`);
  const py = pythons();
  console.log(`PyTorch twins: ${py.join(', ')}`);
  if (shapes.includes('get-small')) {
    const check = await checkGetAgainstTwin(py[0]!);
    console.log(
      `get-small check vs PyTorch (float64, equal weights): loss rel. error ${check.lossRelativeError.toExponential(1)}, ` +
        `worst gradient rel. error ${check.worstGradientRelativeError.toExponential(1)} (${check.worstGradient})`,
    );
    if (check.lossRelativeError > 1e-5 || check.worstGradientRelativeError > 1e-3)
      throw new Error('chromflow GET differs from its PyTorch twin');
  }
  const rows: Row[] = [];
  for (const shape of shapes) {
    const row = await benchShape(shape, py, kernelPath);
    rows.push(row);
    console.log(
      `${shape.padEnd(20)} B${String(row.batch).padEnd(3)} params ${String(row.trainable_parameters).padStart(9)}  ` +
        `train ${row.train_samples_per_s.toFixed(2)} vs PyTorch ${row.pytorch_train_samples_per_s.toFixed(2)} samples/s ` +
        `(×${row.train_ratio_vs_pytorch.toFixed(2)}; ${row.threads} thread(s) vs torch ${row.pytorch}, ${row.pytorch_threads})  ` +
        `infer ${row.infer_samples_per_s.toFixed(2)} vs ${row.pytorch_infer_samples_per_s.toFixed(2)} (×${row.infer_ratio_vs_pytorch.toFixed(2)})`,
    );
  }
  const result = {
    tool: 'chromflow compute bench',
    date: new Date().toISOString(),
    quick,
    backend: describeBackend(info),
    kernel_path: kernelPath,
    chromflow: `data-parallel engine, ${workers} worker threads × 1 wasm thread, optimizer in the workers (AdamW for GET and CLASTER, Adam for XChrom); Atacformer in one process (sparse token table)`,
    steps: { warmup, timed: steps, rounds, statistic: 'median per round, best round' },
    cpus: cpus().length,
    load_average_1m_start: loadStart,
    load_average_1m_end: loadavg()[0],
    shapes: Object.fromEntries(rows.map((r) => [r.shape, r])),
  };
  const out = process.env['BENCH_OUT'] ?? join(here, '..', 'bench-results', 'compute.json');
  if (!existsSync(dirname(out))) mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
  console.log(`wrote ${out}`);
}

await main();
