import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import {
  ChromflowError,
  SeededRandom,
  throwIfAborted,
  type ProgressCallback,
  type SeededRandomState,
} from '@chromflow/core';
import {
  copyXChromWeights,
  loadXChromModel,
  restoreTrainingState,
  saveTrainingState,
  saveXChromModel,
  CELLS_DIR,
  STATE_DIR,
} from '../checkpoint/xchrom-checkpoint.js';
import {
  augmentCodes,
  gatherCellInputs,
  gatherCodes,
  gatherDepth,
  makeDenseTargets,
  type XChromData,
} from '../data/xchrom-data.js';
import type { XChromSplit } from '../data/xchrom-split.js';
import {
  Adam,
  createTrainingEngine,
  localGradientStep,
  type AdamOptions,
  type GradientStep,
  type HostBatch,
  type TrainingEngine,
} from '@chromflow/compute';
import { XCHROM_ADAM } from './xchrom-adam.js';
import type { XChromConfig } from './config.js';
import { XChromModel } from './model.js';
import {
  computeCellEmbeddings,
  computeLogits,
  computePeakEmbeddings,
  meanBceFromLogits,
} from './predict.js';

export interface TrainXChromOptions {
  config: XChromConfig;
  seed: number;
  /** Maximum number of epochs. */
  epochs: number;
  /** Stop after this many epochs without a lower validation loss. */
  patience: number;
  /** Peaks per batch (every training cell is in every batch). */
  batchPeaks: number;
  adam?: AdamOptions;
  /** Directory for the checkpoint (best model + per-epoch training state). */
  checkpointDir?: string;
  /** Continue from `checkpointDir/state` when it exists. */
  resume?: boolean;
  /** Stop (as if killed) after this many epochs in this call; for resume tests. */
  stopAfterEpochs?: number;
  gradientStep?: GradientStep;
  /**
   * Worker threads for data-parallel gradients (`src/parallel`); ≤ 1 trains in
   * this process (deterministic). Ignored when `gradientStep` is given.
   */
  workers?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  log?: (message: string) => void;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  /** Loss of `valPeaks × trainCells`. */
  valLoss: number;
  /** Loss of `trainPeaks × valCells`, when the split has validation cells. */
  valCellsLoss?: number;
  seconds: number;
}

/** The weights kept for unseen cells, selected on `trainPeaks × valCells`. */
export interface CellSelection {
  model: XChromModel;
  bestEpoch: number;
  bestValLoss: number;
}

export interface TrainXChromResult {
  /** The weights with the lowest `valPeaks × trainCells` loss (for unseen peaks, and the only model without validation cells). */
  model: XChromModel;
  bestEpoch: number;
  bestValLoss: number;
  /** The weights with the lowest `trainPeaks × valCells` loss (for unseen cells); absent without validation cells. */
  cells?: CellSelection;
  history: EpochRecord[];
  /** True when training ended by `stopAfterEpochs` rather than by patience or `epochs`. */
  interrupted: boolean;
}

/** Early stopping on one validation block. */
interface Track {
  bestValLoss: number;
  bestEpoch: number;
  wait: number;
}

interface LoopState extends Track {
  epoch: number;
  rng: SeededRandomState;
  history: EpochRecord[];
  /** The track on validation cells, when the split has them. */
  cells?: Track;
}

/** Records an epoch's loss on a track; true when it is the track's best so far. */
function advanceTrack(t: Track, epoch: number, loss: number): boolean {
  if (loss < t.bestValLoss) {
    t.bestValLoss = loss;
    t.bestEpoch = epoch;
    t.wait = 0;
    return true;
  }
  t.wait += 1;
  return false;
}

/**
 * Path of the module the training workers build XChrom from, with this file's
 * own extension: `.ts` when run from source, `.js` from the build.
 */
export function xchromTrainableModule(): string {
  const self = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./trainable-factory${extname(self)}`, import.meta.url));
}

/** Validation loss of `peaks × cells` in inference mode. */
export async function evaluateXChromLoss(
  model: XChromModel,
  data: XChromData,
  peaks: Int32Array,
  cells: Int32Array,
): Promise<number> {
  const pe = await computePeakEmbeddings(model, gatherCodes(data, peaks));
  const ce = await computeCellEmbeddings(model, gatherCellInputs(data, cells));
  const z = await computeLogits(model, pe, ce, gatherDepth(data, cells));
  return meanBceFromLogits(z, makeDenseTargets(data, peaks, cells));
}

/** One training batch with XChrom's augmentation, noise and dropout drawn from `rng`. */
export function makeXChromBatch(
  data: XChromData,
  config: XChromConfig,
  peaks: Int32Array,
  cells: Int32Array,
  cellInputs: Float32Array,
  depth: Float32Array,
  rng: SeededRandom,
): HostBatch {
  const codes = gatherCodes(data, peaks);
  const reverse = rng.uniform() < 0.5;
  const shift = rng.int(-3, 4);
  augmentCodes(codes, data.seqLength, reverse, shift);
  const noisy = new Float32Array(cellInputs.length);
  for (let i = 0; i < noisy.length; i++)
    noisy[i] = (cellInputs[i] as number) + config.cellNoiseSd * rng.normal();
  const mask = new Float32Array(peaks.length * config.embeddingDim);
  const keep = 1 / (1 - config.dropout);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() >= config.dropout ? keep : 0;
  return {
    codes,
    targets: makeDenseTargets(data, peaks, cells),
    cellInputs: noisy,
    depth,
    dropoutMask: mask,
    nPeaks: peaks.length,
    nCells: cells.length,
  };
}

/**
 * Trains XChrom on `split.trainPeaks × split.trainCells`, stopping early on
 * the loss of `split.valPeaks × split.trainCells`. With `split.valCells`, a
 * second set of weights is kept on the loss of `split.trainPeaks ×
 * split.valCells` (unseen cells need the epoch where the cell branch has not
 * yet fitted the training cells' own noise, which comes earlier than the
 * sequence tower's best), and training runs until both have stopped
 * improving. With `checkpointDir`, the
 * best model and the full training state are saved after every epoch, and
 * `resume` continues a killed run where its last finished epoch left off
 * (bit-identical in single-process mode on a deterministic backend).
 */
export async function trainXChrom(
  data: XChromData,
  split: XChromSplit,
  o: TrainXChromOptions,
): Promise<TrainXChromResult> {
  if (data.seqLength !== o.config.seqLength || data.embeddingDim !== o.config.cellInputDim) {
    throw new ChromflowError('PARAM', 'the data do not fit the model configuration', {
      expected: `sequences of ${o.config.seqLength} bp and a ${o.config.cellInputDim}-d cell embedding`,
      found: `${data.seqLength} bp and ${data.embeddingDim}-d`,
    });
  }
  const log = o.log ?? ((): void => undefined);
  let step = o.gradientStep ?? localGradientStep;
  let engine: TrainingEngine | undefined;
  if (!o.gradientStep && (o.workers ?? 1) >= 2) {
    const backend = tf.getBackend() === 'cpu' ? 'cpu' : 'wasm';
    engine = await createTrainingEngine({
      module: xchromTrainableModule(),
      factory: 'createXChromTrainable',
      config: o.config,
      seed: o.seed,
      workers: o.workers,
      backend,
    });
    const e = engine;
    step = (m, b) => e.gradientStep(m, b);
    log(`data-parallel training on ${e.workers} workers (${backend})`);
  }
  const valCells = split.valCells ?? new Int32Array(0);
  const model = new XChromModel(o.config, o.seed);
  const best = new XChromModel(o.config, o.seed);
  const bestForCells = valCells.length > 0 ? new XChromModel(o.config, o.seed) : undefined;
  const cellsDir = o.checkpointDir && join(o.checkpointDir, CELLS_DIR);
  const adam = new Adam(model.trainableVariables(), o.adam ?? XCHROM_ADAM);
  const freshTrack = (): Track => ({ bestValLoss: Infinity, bestEpoch: -1, wait: 0 });
  let st: LoopState = {
    epoch: 0,
    rng: new SeededRandom(o.seed ^ 0x5eed).state(),
    ...freshTrack(),
    history: [],
    ...(bestForCells ? { cells: freshTrack() } : {}),
  };
  if (o.resume && o.checkpointDir && existsSync(join(o.checkpointDir, STATE_DIR, 'model.json'))) {
    const meta = await restoreTrainingState(o.checkpointDir, model, adam);
    st = meta.loop as LoopState;
    // JSON writes Infinity as null.
    if (st.bestValLoss === null) st.bestValLoss = Infinity;
    if (st.cells?.bestValLoss === null) st.cells.bestValLoss = Infinity;
    if (Boolean(st.cells) !== Boolean(bestForCells)) {
      throw new ChromflowError('PARAM', 'the checkpoint was trained with a different split', {
        path: o.checkpointDir,
        expected: bestForCells ? 'validation cells' : 'no validation cells',
        found: st.cells ? 'validation cells' : 'no validation cells',
        hint: 'resume with the split of the interrupted run, or train into a new directory',
      });
    }
    const restore = async (dir: string, into: XChromModel): Promise<void> => {
      if (!existsSync(join(dir, 'model.json'))) return;
      const loaded = await loadXChromModel(dir);
      copyXChromWeights(loaded.model, into);
      loaded.model.dispose();
    };
    await restore(o.checkpointDir, best);
    if (bestForCells && cellsDir) await restore(cellsDir, bestForCells);
    log(
      `resumed from epoch ${st.epoch} (best ${st.bestValLoss.toFixed(4)} at epoch ${st.bestEpoch})`,
    );
  }
  const running = (t: Track | undefined): boolean => t !== undefined && t.wait < o.patience;
  const rng = SeededRandom.fromState(st.rng);
  const cellInputs = gatherCellInputs(data, split.trainCells);
  const depth = gatherDepth(data, split.trainCells);
  let ranThisCall = 0;
  let interrupted = false;
  while (st.epoch < o.epochs && (running(st) || running(st.cells))) {
    if (o.stopAfterEpochs !== undefined && ranThisCall >= o.stopAfterEpochs) {
      interrupted = true;
      break;
    }
    const t0 = performance.now();
    const order = rng.shuffle(Int32Array.from(split.trainPeaks));
    let lossSum = 0;
    let seen = 0;
    for (let lo = 0; lo < order.length; lo += o.batchPeaks) {
      throwIfAborted(o.signal);
      const peaks = order.subarray(lo, Math.min(order.length, lo + o.batchPeaks));
      const batch = makeXChromBatch(
        data,
        o.config,
        peaks,
        split.trainCells,
        cellInputs,
        depth,
        rng,
      );
      const { loss, grads } = await step(model, batch);
      adam.apply(grads);
      tf.dispose(grads);
      lossSum += loss * peaks.length;
      seen += peaks.length;
    }
    const valLoss = await evaluateXChromLoss(model, data, split.valPeaks, split.trainCells);
    const valCellsLoss = bestForCells
      ? await evaluateXChromLoss(model, data, split.trainPeaks, valCells)
      : undefined;
    const rec: EpochRecord = {
      epoch: st.epoch,
      trainLoss: lossSum / seen,
      valLoss,
      ...(valCellsLoss === undefined ? {} : { valCellsLoss }),
      seconds: (performance.now() - t0) / 1000,
    };
    st.history.push(rec);
    if (advanceTrack(st, st.epoch, valLoss)) {
      copyXChromWeights(model, best);
      if (o.checkpointDir)
        await saveXChromModel(o.checkpointDir, best, {
          training: { bestEpoch: st.bestEpoch, valLoss },
        });
    }
    if (st.cells && bestForCells && valCellsLoss !== undefined) {
      if (advanceTrack(st.cells, st.epoch, valCellsLoss)) {
        copyXChromWeights(model, bestForCells);
        if (cellsDir)
          await saveXChromModel(cellsDir, bestForCells, {
            training: { bestEpoch: st.cells.bestEpoch, valCellsLoss },
          });
      }
    }
    st.epoch += 1;
    ranThisCall += 1;
    st.rng = rng.state();
    if (o.checkpointDir) {
      await saveTrainingState(o.checkpointDir, model, adam, { loop: { ...st } });
    }
    const cellsPart = valCellsLoss === undefined ? '' : `, val cells ${valCellsLoss.toFixed(4)}`;
    log(
      `epoch ${rec.epoch + 1}: train loss ${rec.trainLoss.toFixed(4)}, val loss ${valLoss.toFixed(4)}${cellsPart}, ` +
        `${rec.seconds.toFixed(1)} s, lr ${adam.learningRate().toExponential(3)}`,
    );
    o.onProgress?.(st.epoch, o.epochs, `epoch ${st.epoch}: val loss ${valLoss.toFixed(4)}`);
  }
  await engine?.dispose();
  if (engine?.model instanceof XChromModel) engine.model.dispose();
  model.dispose();
  adam.dispose();
  return {
    model: best,
    bestEpoch: st.bestEpoch,
    bestValLoss: st.bestValLoss,
    ...(st.cells && bestForCells
      ? {
          cells: {
            model: bestForCells,
            bestEpoch: st.cells.bestEpoch,
            bestValLoss: st.cells.bestValLoss,
          },
        }
      : {}),
    history: st.history,
    interrupted,
  };
}
