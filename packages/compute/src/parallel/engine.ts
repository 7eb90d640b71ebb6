import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError } from '@chromflow/core';
import type { BackendChoice } from '../backend/init-backend.js';
import { initBackend } from '../backend/init-backend.js';
import '../backend/register-gradients.js';
import type { HostBatch, Trainable } from '../train/trainable.js';
import { Adam } from '../train/adam.js';
import { clipGradientByNorm } from '../train/clip.js';
import { localGradientStep } from '../train/gradient-step.js';
import type { HostSteppable, HostUpdateRule } from '../train/host-update.js';
import type { Optimizer } from '../train/optimizer.js';
import { loadTrainable, moduleUrl } from './load-trainable.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { barrierWords, resetBarrier } from './reduce.js';
import { allocateSharedTraining, sharedViews } from './shared-memory.js';

/**
 * Data-parallel training over worker threads (the multithreaded wasm build
 * is off in Node, so parallelism comes from N processes-in-threads each
 * running its own single-threaded backend). Every worker builds the same
 * Trainable from `{module, factory, config, seed}`; each step writes the
 * main model's weights once into shared memory (read by every worker), sends
 * the state, splits the HostBatch with `model.splitBatch`, and sums the
 * gradients the workers left in their shared slots pre-multiplied by their
 * shard weight (examples / batch); losses and the state (BatchNorm moving
 * statistics) are averaged with the same weights. No weight or gradient
 * array is copied through messages. With `shardedStep` the workers also step
 * the optimizer, each over its range of whole variables, on weights and
 * moments held in shared memory (docs/adr/0004-…): the main thread then only
 * splits batches and averages losses and state. With `workers ≤ 1` the same
 * API runs in-process.
 */

export interface TrainingEngineOptions {
  /** Absolute path or file: URL of the module exporting the factory (.ts runs through tsx). */
  module: string;
  /** Name of the exported `TrainableFactory`. */
  factory: string;
  /** Plain-JSON model configuration passed to the factory. */
  config: unknown;
  /** Seed for the factory (initial weights); workers get the main weights anyway. */
  seed: number;
  /** Worker threads; 0 or 1 = single-process. Default: `availableParallelism()`. */
  workers?: number;
  /** Backend in workers (and in the main thread when it is not initialised yet). Default: wasm. */
  backend?: BackendChoice;
}

export interface GradientResult {
  /** Mean loss of the batch (shard losses weighted by shard size). */
  loss: number;
  /** Gradients in `trainableVariables()` order; the caller disposes them. */
  grads: tf.Tensor[];
}

export interface TrainStepOptions {
  /** Clip each gradient tensor to this L2 norm (Keras `clipnorm`, XChrom uses 1). */
  clipNorm?: number;
}

export interface TrainingEngine {
  /** Worker threads in use (0 = single-process). */
  readonly workers: number;
  /** How the workers sum gradients and step the optimizer: wasm-SIMD on a shared wasm memory, or JavaScript loops. */
  readonly sharedStep: 'wasm-simd' | 'javascript' | 'none';
  /** The main-thread model built from the same factory; its variables are the source of truth. */
  readonly model: Trainable;
  /**
   * Loss and gradients of `batch` at `model`'s current weights (default: the engine's model).
   * Updates `model`'s state variables. Same contract as `GradientStep` in `src/train/gradient-step.ts`.
   */
  gradientStep(model: Trainable, batch: HostBatch): Promise<GradientResult>;
  /**
   * `gradientStep` + optional per-variable clipping + `optimizer.applyGradients`; returns the
   * loss. With chromflow's `Adam` (built on `model.trainableVariables()`) the update is its
   * fused one and clipping is its own `clipNorm` option (`options.clipNorm` must be unset).
   */
  trainStep(
    batch: HostBatch,
    optimizer: tf.Optimizer | Adam,
    options?: TrainStepOptions,
  ): Promise<number>;
  /**
   * One training step of `model` with `optimizer` run in the workers: they sum the gradients
   * and step their ranges of the weights and moments in shared memory, with the same float32
   * arithmetic as `optimizer.apply` on the summed gradients (same bits). The model's and
   * optimizer's variables are refreshed only by `syncHost` (which `gradientStep` and
   * `predict` call themselves); the model's state variables are updated every step. Returns
   * the loss. Without workers: `gradientStep` + `optimizer.apply`.
   */
  shardedStep(
    model: Trainable,
    batch: HostBatch,
    optimizer: Optimizer & HostSteppable,
    learningRate?: number,
  ): Promise<number>;
  /**
   * Copies the weights and moments the workers stepped back into the model's trainable
   * variables and the optimizer's `slotVariables()`; a no-op when they are current. Call it
   * before reading or saving them.
   */
  syncHost(): void;
  /**
   * The model's `predictBatch` outputs for `batch` (shards on the workers,
   * concatenated in order along axis 0) at the engine model's current weights;
   * in-process without workers. The caller disposes the tensor.
   */
  predict(batch: HostBatch): Promise<tf.Tensor>;
  /** Stops the workers. */
  dispose(): Promise<void>;
}

/** Gradients of one batch in this process (the single-process path). */
export const inProcessGradientStep: (
  model: Trainable,
  batch: HostBatch,
) => Promise<GradientResult> = localGradientStep;

class WorkerHandle {
  private pending = new Map<
    number,
    { resolve: (m: FromWorker) => void; reject: (e: Error) => void }
  >();
  private failed: Error | undefined;
  readonly ready: Promise<Extract<FromWorker, { kind: 'ready' }>>;

  constructor(private readonly worker: Worker) {
    this.ready = new Promise((resolve, reject) => {
      const fail = (e: Error): void => {
        this.failed = e;
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      };
      worker.on('message', (m: FromWorker) => {
        if (m.kind === 'ready') {
          worker.unref();
          resolve(m);
        } else if (m.kind === 'error' && m.id < 0)
          fail(new Error(`training worker failed to start: ${m.message}`));
        else {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (this.pending.size === 0) worker.unref();
          if (p === undefined) return;
          if (m.kind === 'error')
            p.reject(new Error(`training worker step failed: ${m.message}\n${m.stack ?? ''}`));
          else p.resolve(m);
        }
      });
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (code !== 0) fail(new Error(`training worker exited with code ${code}`));
      });
    });
  }

  request(msg: Extract<ToWorker, { kind: 'step' | 'predict' }>): Promise<FromWorker> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject });
      this.worker.postMessage(msg);
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ kind: 'close' } satisfies ToWorker);
    await this.worker.terminate();
  }
}

/**
 * The worker entry. From source (tests, tsx) the worker is `worker.ts`: a
 * small ESM bootstrap registers tsx's loader in the worker thread, then
 * imports it (`--import tsx` in a worker's execArgv is not honoured by Node
 * 20). From `dist`, `worker.js` runs directly unless the Trainable module
 * itself is TypeScript.
 */
function workerEntry(trainableModule: string): { url: URL; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const worker = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
  if (!fromSource && !trainableModule.endsWith('.ts')) return { url: worker, execArgv: [] };
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(
    /\.cjs$/,
    '.mjs',
  );
  const code = `import { register } from ${JSON.stringify(tsxApi)};\nregister();\nawait import(${JSON.stringify(worker.href)});\n`;
  return {
    url: new URL(`data:text/javascript,${encodeURIComponent(code)}`),
    execArgv: ['--conditions=@chromflow/source'],
  };
}

function readAll(vars: tf.Variable[]): Float32Array[] {
  return vars.map((v) => Float32Array.from(v.dataSync()));
}

function weightedSum(
  parts: { w: number; arrays: Float32Array[] }[],
  count: number,
): Float32Array[] {
  const out: Float32Array[] = [];
  for (let k = 0; k < count; k++) {
    const first = parts[0]?.arrays[k];
    const acc = new Float32Array(first?.length ?? 0);
    for (const { w, arrays } of parts) {
      const a = arrays[k]!;
      for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + w * a[i]!;
    }
    out.push(acc);
  }
  return out;
}

function assignAll(vars: tf.Variable[], arrays: Float32Array[]): void {
  tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(arrays[i]!, v.shape, 'float32'))));
}

/** Builds the model in this thread and, for `workers ≥ 2`, in that many worker threads. */
export async function createTrainingEngine(
  options: TrainingEngineOptions,
): Promise<TrainingEngine> {
  const backend = options.backend ?? 'wasm';
  await initBackend({ backend, quiet: true });
  const module = moduleUrl(options.module);
  const model = await loadTrainable(module, options.factory, options.config, options.seed);
  const nWorkers = Math.max(0, Math.floor(options.workers ?? availableParallelism()));
  const handles: WorkerHandle[] = [];
  let simdStep = false;
  const sizes = model.trainableVariables().map((v) => v.size);
  const offsets: number[] = [];
  let totalSize = 0;
  for (const n of sizes) {
    offsets.push(totalSize);
    totalSize += n;
  }
  // Weights, moments, summed gradient and the workers' slots (pages are touched only when used).
  const shared = allocateSharedTraining(totalSize, nWorkers >= 2 ? nWorkers : 0);
  const views = sharedViews(shared);
  const barrierBuffer = new SharedArrayBuffer(4 * barrierWords);
  const barrier = new Int32Array(barrierBuffer);
  if (nWorkers >= 2) {
    const { url, execArgv } = workerEntry(module);
    for (let i = 0; i < nWorkers; i++) {
      const init: WorkerInit = {
        module,
        factory: options.factory,
        config: options.config,
        seed: options.seed,
        backend,
        shared,
        index: i,
        barrier: barrierBuffer,
      };
      handles.push(new WorkerHandle(new Worker(url, { workerData: init, execArgv })));
    }
    try {
      const ready = await Promise.all(handles.map((h) => h.ready));
      simdStep = ready.every((r) => r.simdStep);
      for (const r of ready) {
        if (r.trainableSizes.join(',') !== sizes.join(',')) {
          throw new ChromflowError(
            'BACKEND',
            'A training worker built a model with different variables.',
            {
              expected: sizes.join(','),
              found: r.trainableSizes.join(','),
              hint: 'The factory must build the same variables, in the same order, for the same config.',
            },
          );
        }
      }
    } catch (e) {
      await Promise.all(handles.map((h) => h.close()));
      throw e;
    }
  }
  let nextId = 0;
  /** Data ids of the variables last written to the workers (variables change data id on assign). */
  let syncedIds: unknown[] = [];
  const writeShared = (vars: tf.Variable[]): void => {
    vars.forEach((v, k) => views.weights.set(v.dataSync(), offsets[k]));
  };
  const currentIds = (m: Trainable): unknown[] =>
    [...m.trainableVariables(), ...m.stateVariables()].map((v) => v.dataId);

  const checkSizes = (vars: tf.Variable[]): void => {
    if (vars.map((v) => v.size).join(',') !== sizes.join(',')) {
      throw new ChromflowError(
        'PARAM',
        'The engine got a model whose variables differ from the engine model.',
        { expected: sizes.join(','), found: vars.map((v) => v.size).join(',') },
      );
    }
  };

  /**
   * Who owns the shared weights and moments after shardedStep: the model and optimizer whose
   * variables they mirror, those variables' data ids when they were last copied either way,
   * and whether the workers have stepped them since (then the shared copy is the newer one).
   */
  let owner: { model: Trainable; optimizer: Optimizer; ids: unknown[]; stale: boolean } | undefined;
  const ownerIds = (m: Trainable, opt: Optimizer): unknown[] =>
    [...m.trainableVariables(), ...opt.slotVariables()].map((v) => v.dataId);
  const syncHost = (): void => {
    if (owner === undefined || !owner.stale) return;
    const vars = owner.model.trainableVariables();
    const slots = owner.optimizer.slotVariables();
    const at = (flat: Float32Array, k: number, x: tf.Variable): tf.Tensor =>
      tf.tensor(flat.slice(offsets[k], offsets[k]! + x.size), x.shape, 'float32');
    tf.tidy(() => {
      vars.forEach((x, k) => x.assign(at(views.weights, k, x)));
      slots.forEach((x, k) =>
        x.assign(k < vars.length ? at(views.m, k, x) : at(views.v, k - vars.length, x)),
      );
    });
    owner.ids = ownerIds(owner.model, owner.optimizer);
    owner.stale = false;
  };
  /** Puts `m`'s weights and `opt`'s moments into shared memory unless they are there already. */
  const pushOwner = (m: Trainable, opt: Optimizer): void => {
    if (owner !== undefined && (owner.model !== m || owner.optimizer !== opt)) {
      syncHost();
      owner = undefined;
    }
    const ids = ownerIds(m, opt);
    if (owner !== undefined && (owner.stale || ids.every((id, k) => id === owner!.ids[k]))) return;
    const slots = opt.slotVariables();
    const n = m.trainableVariables().length;
    if (slots.length !== 2 * n) {
      throw new ChromflowError(
        'PARAM',
        'shardedStep needs an optimizer with m and v per variable.',
        {
          expected: String(2 * n),
          found: String(slots.length),
        },
      );
    }
    writeShared(m.trainableVariables());
    slots.forEach((x, k) => (k < n ? views.m : views.v).set(x.dataSync(), offsets[k % n]));
    owner = { model: m, optimizer: opt, ids, stale: false };
  };

  /** One data-parallel step on the workers; gradients summed in shared memory (and stepped with `update`). */
  const runStep = async (
    m: Trainable,
    batch: HostBatch,
    update?: (participants: number) => HostUpdateRule,
  ): Promise<number> => {
    const states = m.stateVariables();
    const state = readAll(states);
    const shards = m.splitBatch(batch, handles.length).filter((s) => m.batchSize(s) > 0);
    const examples = shards.map((s) => m.batchSize(s));
    const total = examples.reduce((a, b) => a + b, 0);
    const rule = update?.(shards.length);
    resetBarrier(barrier);
    const results = await Promise.all(
      shards.map((shard, i) =>
        handles[i]!.request({
          kind: 'step',
          id: nextId++,
          scale: examples[i]! / total,
          participants: shards.length,
          state,
          batch: shard,
          ...(rule !== undefined ? { update: rule } : {}),
        }),
      ),
    );
    const done = results.filter(
      (r): r is Extract<FromWorker, { kind: 'result' }> => r.kind === 'result',
    );
    const parts = done.map((r) => ({ w: r.examples / total, r }));
    if (states.length > 0) {
      assignAll(
        states,
        weightedSum(
          parts.map((p) => ({ w: p.w, arrays: p.r.state })),
          states.length,
        ),
      );
    }
    return parts.reduce((s, p) => s + p.w * p.r.loss, 0);
  };

  const gradientStep = async (m: Trainable, batch: HostBatch): Promise<GradientResult> => {
    if (handles.length === 0) return inProcessGradientStep(m, batch);
    syncHost();
    const vars = m.trainableVariables();
    checkSizes(vars);
    writeShared(vars);
    syncedIds = [];
    const loss = await runStep(m, batch);
    // Σ over shards, in worker order (deterministic), of the pre-scaled gradients: summed by
    // the workers themselves, each over its own range (reduce.ts), not here.
    const flat = views.sum;
    const grads = vars.map((v, k) =>
      tf.tensor(flat.subarray(offsets[k], offsets[k]! + v.size), v.shape, 'float32'),
    );
    return { loss, grads };
  };

  const shardedStep = async (
    m: Trainable,
    batch: HostBatch,
    optimizer: Optimizer & HostSteppable,
    learningRate?: number,
  ): Promise<number> => {
    if (handles.length === 0) {
      const { loss, grads } = await inProcessGradientStep(m, batch);
      optimizer.apply(grads, learningRate);
      tf.dispose(grads);
      return loss;
    }
    checkSizes(m.trainableVariables());
    pushOwner(m, optimizer);
    syncedIds = [];
    // The step's scalars are taken (and `optimizer.step` advanced) only once the batch is split.
    const loss = await runStep(m, batch, () => optimizer.hostUpdate(learningRate));
    owner!.stale = true;
    return loss;
  };

  return {
    workers: handles.length,
    sharedStep: handles.length === 0 ? 'none' : simdStep ? 'wasm-simd' : 'javascript',
    model,
    gradientStep,
    shardedStep,
    syncHost,
    async trainStep(batch, optimizer, stepOptions = {}) {
      if (optimizer instanceof Adam && stepOptions.clipNorm !== undefined) {
        throw new ChromflowError(
          'PARAM',
          'trainStep got clipNorm together with chromflow Adam, which clips by its own option.',
          { field: 'clipNorm', hint: 'Set clipNorm in the Adam options instead.' },
        );
      }
      const { loss, grads } = await gradientStep(model, batch);
      if (optimizer instanceof Adam) {
        optimizer.apply(grads);
        tf.dispose(grads);
        return loss;
      }
      const vars = model.trainableVariables();
      const named: Record<string, tf.Tensor> = {};
      vars.forEach((v, i) => {
        const g = grads[i]!;
        named[v.name] =
          stepOptions.clipNorm === undefined ? g : clipGradientByNorm(g, stepOptions.clipNorm);
      });
      optimizer.applyGradients(named);
      tf.dispose(grads);
      tf.dispose(Object.values(named));
      return loss;
    },
    async predict(batch) {
      if (handles.length === 0) {
        if (model.predictBatch === undefined) {
          throw new ChromflowError('PARAM', 'The engine model has no predictBatch method.', {
            hint: 'Implement Trainable.predictBatch in the model factory.',
          });
        }
        return model.predictBatch(batch);
      }
      syncHost();
      const ids = currentIds(model);
      const sync = ids.length !== syncedIds.length || ids.some((id, i) => id !== syncedIds[i]);
      if (sync) writeShared(model.trainableVariables());
      const state = sync ? readAll(model.stateVariables()) : [];
      const shards = model.splitBatch(batch, handles.length).filter((s) => model.batchSize(s) > 0);
      const results = await Promise.all(
        shards.map((shard, i) =>
          handles[i]!.request({ kind: 'predict', id: nextId++, sync, state, batch: shard }),
        ),
      );
      syncedIds = ids;
      const outs = results.filter(
        (r): r is Extract<FromWorker, { kind: 'prediction' }> => r.kind === 'prediction',
      );
      const first = outs[0];
      if (first === undefined) throw new Error('no prediction from the training workers');
      const values = new Float32Array(outs.reduce((n, r) => n + r.values.length, 0));
      let off = 0;
      for (const r of outs) {
        values.set(r.values, off);
        off += r.values.length;
      }
      const rows = outs.reduce((n, r) => n + (r.shape[0] ?? 0), 0);
      return tf.tensor(values, [rows, ...first.shape.slice(1)], 'float32');
    },
    async dispose() {
      await Promise.all(handles.map((h) => h.close()));
      handles.length = 0;
    },
  };
}
