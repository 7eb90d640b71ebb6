import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChromflowError, type ProgressCallback, type SeededRandom } from '@chromflow/core';
import {
  assignWeights,
  fit,
  readFitSelections,
  type AdamOptions,
  type BatchSource,
  type FitBatch,
  type GradientStep,
  type HostBatch,
  type Selection,
  fitRunControls,
} from '@chromflow/compute';
import { saveXChromModel, CELLS_DIR } from '../checkpoint/xchrom-checkpoint.js';
import {
  augmentCodes,
  gatherCellInputs,
  gatherCodes,
  gatherDepth,
  makeDenseTargets,
  type XChromData,
} from '../data/xchrom-data.js';
import type { XChromSplit } from '../data/xchrom-split.js';
import type { XChromConfig } from './config.js';
import { XChromModel } from './model.js';
import {
  computeCellEmbeddings,
  computeLogits,
  computePeakEmbeddings,
  meanBceFromLogits,
} from './predict.js';
import { createXChromTrainable } from './trainable-factory.js';
import { XCHROM_ADAM } from './xchrom-adam.js';

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
 * XChrom's batches: every epoch the training peaks are reshuffled, cut into
 * `batchPeaks`-peak batches × all training cells, each drawn with its
 * augmentation, noise and dropout as it is pulled.
 */
export function xchromBatchSource(
  data: XChromData,
  config: XChromConfig,
  split: XChromSplit,
  batchPeaks: number,
): BatchSource {
  const cellInputs = gatherCellInputs(data, split.trainCells);
  const depth = gatherDepth(data, split.trainCells);
  return {
    *epoch(rng: SeededRandom): Iterable<FitBatch> {
      const order = rng.shuffle(Int32Array.from(split.trainPeaks));
      for (let lo = 0; lo < order.length; lo += batchPeaks) {
        const peaks = order.subarray(lo, Math.min(order.length, lo + batchPeaks));
        const batch = makeXChromBatch(
          data,
          config,
          peaks,
          split.trainCells,
          cellInputs,
          depth,
          rng,
        );
        yield { batch, size: peaks.length };
      }
    },
  };
}

/** Name of the selection on `valPeaks × trainCells` (the checkpoint's root model). */
const PEAKS = 'peaks';
/** Name of the selection on `trainPeaks × valCells` (`cells/`). */
const CELLS = 'cells';

/**
 * Trains XChrom with `fit` on `split.trainPeaks × split.trainCells`,
 * stopping early on the loss of `split.valPeaks × split.trainCells`. With
 * `split.valCells`, a second set of weights is kept on the loss of
 * `split.trainPeaks × split.valCells` (unseen cells need the epoch where the
 * cell branch has not yet fitted the training cells' own noise, which comes
 * earlier than the sequence tower's best), and training runs until both have
 * stopped improving. With `checkpointDir`, each selection's best model is
 * saved when it improves (`model.json`, `cells/`) and `fit` saves the whole
 * training state after every epoch (`state/`); `resume` continues a killed
 * run where its last finished epoch left off (bit-identical in
 * single-process mode on a deterministic backend).
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
  const valCells = split.valCells ?? new Int32Array(0);
  const withCells = valCells.length > 0;
  if (o.resume && o.checkpointDir) {
    const saved = await readFitSelections(o.checkpointDir);
    if (saved && saved.includes(CELLS) !== withCells) {
      throw new ChromflowError('PARAM', 'the checkpoint was trained with a different split', {
        path: o.checkpointDir,
        expected: withCells ? 'validation cells' : 'no validation cells',
        found: saved.includes(CELLS) ? 'validation cells' : 'no validation cells',
        hint: 'resume with the split of the interrupted run, or train into a new directory',
      });
    }
  }
  const selections: Selection<XChromModel>[] = [
    {
      name: PEAKS,
      label: 'val loss',
      evaluate: (m) => evaluateXChromLoss(m, data, split.valPeaks, split.trainCells),
    },
  ];
  if (withCells) {
    selections.push({
      name: CELLS,
      label: 'val cells',
      evaluate: (m) => evaluateXChromLoss(m, data, split.trainPeaks, valCells),
    });
  }
  const dir = o.checkpointDir;
  const r = await fit<XChromModel>({
    factory: createXChromTrainable,
    config: o.config,
    seed: o.seed,
    batches: xchromBatchSource(data, o.config, split, o.batchPeaks),
    selections,
    epochs: o.epochs,
    patience: o.patience,
    optimizer: { kind: 'adam', options: o.adam ?? XCHROM_ADAM },
    ...(o.gradientStep
      ? { gradientStep: o.gradientStep }
      : {
          parallel: {
            workers: o.workers ?? 1,
            module: xchromTrainableModule(),
            factoryName: 'createXChromTrainable',
          },
        }),
    ...fitRunControls({ ...o, checkpointDir: dir }),
    onImproved: async (name, model, bestEpoch, loss) => {
      if (!dir) return;
      const training =
        name === PEAKS ? { bestEpoch, valLoss: loss } : { bestEpoch, valCellsLoss: loss };
      await saveXChromModel(name === PEAKS ? dir : join(dir, CELLS_DIR), model, { training });
    },
  });
  r.model.dispose();
  const kept = (name: string): XChromModel => {
    const m = new XChromModel(o.config, o.seed);
    assignWeights(m, r.selections[name]!.weights);
    return m;
  };
  const peaks = r.selections[PEAKS]!;
  const cells = r.selections[CELLS];
  return {
    model: kept(PEAKS),
    bestEpoch: peaks.bestEpoch,
    bestValLoss: peaks.bestLoss,
    ...(cells
      ? { cells: { model: kept(CELLS), bestEpoch: cells.bestEpoch, bestValLoss: cells.bestLoss } }
      : {}),
    history: r.history.map((h) => ({
      epoch: h.epoch,
      trainLoss: h.trainLoss,
      valLoss: h.losses[PEAKS]!,
      ...(h.losses[CELLS] === undefined ? {} : { valCellsLoss: h.losses[CELLS] }),
    })),
    interrupted: r.interrupted,
  };
}
