import * as tf from '@tensorflow/tfjs-core';
import {
  ChromflowError,
  SeededRandom,
  throwIfAborted,
  type ProgressCallback,
} from '@chromflow/core';
import type { BackendChoice } from '../backend/init-backend.js';
import { createTrainingEngine, type TrainingEngine } from '../parallel/engine.js';
import { Adam, type AdamOptions } from './adam.js';
import { AdamW, type AdamWOptions } from './adamw.js';
import { clipGradientByNorm, clipGradientsByGlobalNorm } from './clip.js';
import {
  hasFitState,
  restoreFitState,
  saveFitState,
  type FitEpochRecord,
  type FitLoopState,
  type SelectionTrack,
} from './fit-checkpoint.js';
import { localGradientStep, type GradientStep } from './gradient-step.js';
import { isHostSteppable } from './host-update.js';
import type { Optimizer } from './optimizer.js';
import type { LearningRateSchedule } from './schedules.js';
import { sparseTrainStep } from './sparse-step.js';
import type { SparseAdamOptions } from '../layers/sparse-embedding.js';
import type { HostBatch, Trainable, TrainableFactory } from './trainable.js';
import { takeWeights, type WeightSnapshot } from './weights.js';

/** One batch of an epoch and its weight in the epoch's mean training loss. */
export interface FitBatch {
  batch: HostBatch;
  /** Examples it stands for (the epoch loss is Σ loss·size / Σ size). */
  size: number;
}

/**
 * The batches of one epoch. All of the epoch's randomness (order,
 * augmentation, noise, dropout masks) must come from `rng`, drawn as the
 * batches are pulled: `fit` saves the generator's state after each epoch,
 * which is what makes a resumed run continue the same stream.
 */
export interface BatchSource {
  epoch(rng: SeededRandom, epoch: number): Iterable<FitBatch>;
}

/** A validation loss that selects its own best weights and stops on its own patience. */
export interface Selection<M extends Trainable = Trainable> {
  /** Name in checkpoints and results (`peaks`, `cells`, …). */
  name: string;
  /** Label in the per-epoch log line (`val loss`). */
  label: string;
  /** Loss of the model in inference mode (lower is better). */
  evaluate(model: M): Promise<number>;
  /** Epochs without improvement before this selection stops; default `FitOptions.patience`. */
  patience?: number;
}

export type OptimizerSpec =
  { kind: 'adam'; options: AdamOptions } | { kind: 'adamw'; options: AdamWOptions };

export interface FitOptions<M extends Trainable = Trainable> {
  /** Builds the model in this process (and, by `parallel.module`/`factoryName`, in each worker). */
  factory: TrainableFactory;
  config: unknown;
  seed: number;
  batches: BatchSource;
  /** One or more; training runs until every one has waited its patience (or `epochs`). */
  selections: Selection<M>[];
  epochs: number;
  patience: number;
  optimizer: OptimizerSpec;
  /** Rate per step; default the optimizer's own (Adam's exponential decay, AdamW's constant). */
  schedule?: LearningRateSchedule;
  /** Per-variable (Keras `clipnorm`) and global-norm (torch `clip_grad_norm_`) clipping before the update. */
  clip?: { perVariable?: number; globalNorm?: number };
  /** Seed of the one generator behind shuffling and augmentation; default `seed ^ 0x5eed`. */
  dataSeed?: number;
  /** Data-parallel gradients on worker threads (`workers ≥ 2`); results then match only to float tolerance. */
  parallel?: { workers: number; module: string; factoryName: string; backend?: BackendChoice };
  /** Replaces the gradient computation (ignored with `parallel`). */
  gradientStep?: GradientStep;
  /** Whole-state checkpoint after every epoch (`state/`); with `resume`, continue from it. */
  checkpointDir?: string;
  resume?: boolean;
  /** Stop (as if killed) after this many epochs in this call. */
  stopAfterEpochs?: number;
  /** Called when a selection reaches a new best, with the model holding those weights (e.g. to save it). */
  onImproved?: (selection: string, model: M, epoch: number, loss: number) => Promise<void>;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  log?: (message: string) => void;
}

export interface SelectionResult extends SelectionTrack {
  /** The weights of `bestEpoch` (the initial ones if no epoch ran), for `assignWeights`. */
  weights: WeightSnapshot;
}

export interface FitResult<M extends Trainable = Trainable> {
  /** The model after the last epoch (the caller disposes it). */
  model: M;
  selections: Record<string, SelectionResult>;
  history: FitEpochRecord[];
  /**
   * Wall time of the epochs this call ran, and how many: throughput figures. Kept
   * out of `history` (which the fit state and checkpoints hold) so that the same
   * training writes the same bytes.
   */
  trainSeconds: number;
  epochsThisCall: number;
  /** True when training ended by `stopAfterEpochs`. */
  interrupted: boolean;
}

/** SparseAdam settings of the sparse tables: the dense optimizer's betas, ε and (AdamW) decay. */
export function sparseOptions(spec: OptimizerSpec): SparseAdamOptions {
  const { learningRate, beta1, beta2, epsilon } = spec.options;
  const weightDecay = spec.kind === 'adamw' ? spec.options.weightDecay : 0;
  return { learningRate, beta1, beta2, epsilon, weightDecay };
}

/** The dense optimizer an `OptimizerSpec` names, over `vars`. */
export function makeOptimizer(spec: OptimizerSpec, vars: tf.Variable[]): Optimizer {
  return spec.kind === 'adam' ? new Adam(vars, spec.options) : new AdamW(vars, spec.options);
}

/** Records an epoch's loss on a track; true when it is the track's best so far. */
function advance(t: SelectionTrack, epoch: number, loss: number): boolean {
  if (loss < t.bestLoss) {
    t.bestLoss = loss;
    t.bestEpoch = epoch;
    t.wait = 0;
    return true;
  }
  t.wait += 1;
  return false;
}

/** Gradients, clipped as `o.clip` says (the caller disposes them). */
function clipped(grads: tf.Tensor[], clip: FitOptions['clip']): tf.Tensor[] {
  let out = grads;
  if (clip?.perVariable !== undefined) {
    const next = out.map((g) => clipGradientByNorm(g, clip.perVariable!));
    tf.dispose(out);
    out = next;
  }
  if (clip?.globalNorm !== undefined) {
    const next = clipGradientsByGlobalNorm(out, clip.globalNorm).grads;
    tf.dispose(out);
    out = next;
  }
  return out;
}

/**
 * The training loop every chromflow model uses: epochs of `batches`, one
 * optimizer update per batch, every selection evaluated after each epoch
 * (its best weights kept), early stopping when all selections have waited
 * their patience, and, with `checkpointDir`, the whole state saved after
 * each epoch so that `resume` ends bit-equal to an uninterrupted run
 * (single-process on a deterministic backend). See `docs/adr/0001-one-training-loop.md`.
 */
export async function fit<M extends Trainable>(o: FitOptions<M>): Promise<FitResult<M>> {
  if (o.selections.length === 0) {
    throw new ChromflowError('PARAM', 'fit needs at least one selection', {
      field: 'selections',
      expected: 'one or more validation losses',
      found: 'none',
    });
  }
  if (
    o.optimizer.kind === 'adam' &&
    o.optimizer.options.clipNorm > 0 &&
    o.clip?.perVariable !== undefined
  ) {
    throw new ChromflowError('PARAM', 'per-variable clipping given twice', {
      field: 'clip.perVariable',
      expected: 'either Adam clipNorm or clip.perVariable',
      found: 'both',
    });
  }
  const log = o.log ?? ((): void => undefined);
  // The factory builds M: the caller's own model type (the contract types it as Trainable).
  const model = (await o.factory(o.config, o.seed)) as M;
  let step = o.gradientStep ?? localGradientStep;
  let engine: TrainingEngine | undefined;
  if (o.parallel && o.parallel.workers >= 2) {
    const backend = o.parallel.backend ?? (tf.getBackend() === 'cpu' ? 'cpu' : 'wasm');
    engine = await createTrainingEngine({
      module: o.parallel.module,
      factory: o.parallel.factoryName,
      config: o.config,
      seed: o.seed,
      workers: o.parallel.workers,
      backend,
    });
    const e = engine;
    step = (m, b) => e.gradientStep(m, b);
    log(`data-parallel training on ${e.workers} workers (${backend})`);
  }
  if (model.sparseTables && engine) {
    throw new ChromflowError('PARAM', 'a model with sparse tables trains in one process', {
      field: 'parallel.workers',
      expected: '1 (sparse embedding tables are updated on the main thread)',
      found: String(o.parallel?.workers),
    });
  }
  const sparse = model.sparseTables ? sparseOptions(o.optimizer) : undefined;
  const optimizer = makeOptimizer(o.optimizer, model.trainableVariables());
  const names = o.selections.map((s) => s.name);
  const initial = takeWeights(model);
  let best = new Map<string, WeightSnapshot>(names.map((n) => [n, initial]));
  let st: FitLoopState = {
    epoch: 0,
    rng: new SeededRandom(o.dataSeed ?? o.seed ^ 0x5eed).state(),
    tracks: Object.fromEntries(
      names.map((n) => [n, { bestLoss: Infinity, bestEpoch: -1, wait: 0 }]),
    ),
    history: [],
  };
  const first = o.selections[0]!;
  if (o.resume && o.checkpointDir && hasFitState(o.checkpointDir)) {
    ({ loop: st, best } = await restoreFitState(o.checkpointDir, model, optimizer, names));
    const t = st.tracks[first.name]!;
    log(
      `resumed from epoch ${st.epoch} (best ${t.bestLoss.toFixed(4)} at epoch ${t.bestEpoch + 1})`,
    );
  }
  const running = (s: Selection<M>): boolean =>
    st.tracks[s.name]!.wait < (s.patience ?? o.patience);
  const rng = SeededRandom.fromState(st.rng);
  let ranThisCall = 0;
  let trainSeconds = 0;
  let interrupted = false;
  try {
    while (st.epoch < o.epochs && o.selections.some(running)) {
      if (o.stopAfterEpochs !== undefined && ranThisCall >= o.stopAfterEpochs) {
        interrupted = true;
        break;
      }
      const t0 = performance.now();
      let lossSum = 0;
      let seen = 0;
      for (const { batch, size } of o.batches.epoch(rng, st.epoch)) {
        throwIfAborted(o.signal);
        if (sparse) {
          const rate = o.schedule?.(optimizer.step);
          const clip = (g: tf.Tensor[]): tf.Tensor[] => (o.clip ? clipped(g, o.clip) : g);
          lossSum += (await sparseTrainStep(model, batch, optimizer, sparse, rate, clip)) * size;
          seen += size;
          continue;
        }
        if (engine !== undefined && o.clip === undefined && isHostSteppable(optimizer)) {
          // The workers sum the gradients and step the optimizer (ADR 0004); fit's own
          // clipping needs every gradient here, so it keeps the main-thread update.
          const rate = o.schedule?.(optimizer.step);
          lossSum += (await engine.shardedStep(model, batch, optimizer, rate)) * size;
          seen += size;
          continue;
        }
        const r = await step(model, batch);
        const grads = o.clip ? clipped(r.grads, o.clip) : r.grads;
        optimizer.apply(grads, o.schedule?.(optimizer.step));
        tf.dispose(grads);
        lossSum += r.loss * size;
        seen += size;
      }
      engine?.syncHost(); // the weights and moments the workers stepped, before anyone reads them
      const losses: Record<string, number> = {};
      for (const s of o.selections) losses[s.name] = await s.evaluate(model);
      const rec: FitEpochRecord = { epoch: st.epoch, trainLoss: lossSum / seen, losses };
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      st.history.push(rec);
      let snapshot: WeightSnapshot | undefined;
      for (const s of o.selections) {
        const loss = losses[s.name]!;
        if (advance(st.tracks[s.name]!, st.epoch, loss)) {
          snapshot ??= takeWeights(model);
          best.set(s.name, snapshot);
          await o.onImproved?.(s.name, model, st.epoch, loss);
        }
      }
      st.epoch += 1;
      ranThisCall += 1;
      st.rng = rng.state();
      if (o.checkpointDir) await saveFitState(o.checkpointDir, model, optimizer, best, st);
      const parts = o.selections.map((s) => `, ${s.label} ${losses[s.name]!.toFixed(4)}`).join('');
      log(
        `epoch ${rec.epoch + 1}: train loss ${rec.trainLoss.toFixed(4)}${parts}, ` +
          `${seconds.toFixed(1)} s, lr ${(o.schedule?.(optimizer.step) ?? optimizer.learningRate()).toExponential(3)}`,
      );
      // The live line on a terminal: this epoch's figure and the best so far (issue 17).
      const track = st.tracks[first.name]!;
      o.onProgress?.(
        st.epoch,
        o.epochs,
        `epoch ${st.epoch}: ${first.label} ${losses[first.name]!.toFixed(4)} ` +
          `(best ${track.bestLoss.toFixed(4)} at epoch ${track.bestEpoch + 1})`,
      );
    }
  } finally {
    await engine?.dispose();
    if (engine && engine.model !== model) disposeTrainable(engine.model);
    optimizer.dispose();
  }
  return {
    model,
    selections: Object.fromEntries(
      names.map((n) => [n, { ...st.tracks[n]!, weights: best.get(n) ?? initial }]),
    ),
    history: st.history,
    trainSeconds,
    epochsThisCall: ranThisCall,
    interrupted,
  };
}

/** Frees a Trainable's variables (the engine's own main-thread copy). */
function disposeTrainable(m: Trainable | undefined): void {
  if (!m) return;
  tf.dispose([...m.trainableVariables(), ...m.stateVariables()]);
}
