import { readFile, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, type SeededRandomState } from '@chromflow/core';
import {
  fileIoHandler,
  loadNamedTensors,
  saveNamedTensors,
} from '../checkpoint/file-io-handler.js';
import type { Optimizer } from './optimizer.js';
import type { Trainable } from './trainable.js';
import { assignWeights, snapshotVariables, type WeightSnapshot } from './weights.js';

/** Sub-directory of a fit checkpoint holding the last finished epoch's whole state. */
export const FIT_STATE_DIR = 'state';
/** The previous state while the new one is renamed into place. */
const PREVIOUS_STATE_DIR = 'state.previous';

/** The directory holding the last complete state, if any. */
function completeStateDir(dir: string): string | undefined {
  for (const d of [FIT_STATE_DIR, PREVIOUS_STATE_DIR]) {
    if (existsSync(join(dir, d, 'model.json'))) return join(dir, d);
  }
  return undefined;
}

/** Early-stopping state of one named selection. */
export interface SelectionTrack {
  bestLoss: number;
  /** 0-based epoch of `bestLoss`; −1 before the first evaluation. */
  bestEpoch: number;
  /** Epochs since the last improvement. */
  wait: number;
}

/** One epoch of `fit`: mean training loss and each selection's validation loss. */
export interface FitEpochRecord {
  /** 0-based. */
  epoch: number;
  trainLoss: number;
  /** Validation loss per selection name. */
  losses: Record<string, number>;
}

/** What `fit` saves after each epoch beside the tensors. */
export interface FitLoopState {
  /** Epochs finished. */
  epoch: number;
  rng: SeededRandomState;
  tracks: Record<string, SelectionTrack>;
  history: FitEpochRecord[];
}

/**
 * Writes the whole training state into `dir/state` (`model.json` +
 * `weights.bin`): every model variable, the optimizer's moments and step,
 * each selection's best weights, and the loop state (epoch, RNG, tracks,
 * history) in the metadata. It is written into a fresh directory, then the
 * old state is renamed to `state.previous`, the new one to `state`, and the
 * previous removed: a kill at any point leaves one complete state, which
 * `restoreFitState` finds.
 */
export async function saveFitState(
  dir: string,
  model: Trainable,
  optimizer: Optimizer,
  best: Map<string, WeightSnapshot>,
  loop: FitLoopState,
): Promise<void> {
  const stateDir = join(dir, FIT_STATE_DIR);
  const previous = join(dir, PREVIOUS_STATE_DIR);
  const next = join(dir, `state.next-${process.pid}`);
  await rm(next, { recursive: true, force: true });
  const tensors: { name: string; tensor: tf.Tensor }[] = [];
  snapshotVariables(model).forEach((v, i) => tensors.push({ name: `model/${i}`, tensor: v }));
  optimizer.slotVariables().forEach((v, i) => tensors.push({ name: `optimizer/${i}`, tensor: v }));
  const kept: tf.Tensor[] = [];
  // Sparse tables (host arrays): table, SparseAdam moments; their steps in the metadata.
  const tables = model.sparseTables?.() ?? [];
  for (const t of tables) {
    for (const n of t.toNamedTensors()) {
      kept.push(n.tensor);
      tensors.push({ name: `sparse/${n.name}`, tensor: n.tensor });
    }
  }
  for (const [name, weights] of best) {
    const vars = snapshotVariables(model);
    weights.forEach((w, i) => {
      const t = tf.tensor(w, vars[i]?.shape ?? [w.length], 'float32');
      kept.push(t);
      tensors.push({ name: `best/${name}/${i}`, tensor: t });
    });
  }
  try {
    await saveNamedTensors(
      fileIoHandler(next),
      tensors,
      { format: 'chromflow-fit-state', version: 1 },
      { fit: { ...loop, step: optimizer.step, sparseSteps: tables.map((t) => t.step) } },
    );
  } finally {
    tf.dispose(kept);
  }
  if (existsSync(join(stateDir, 'model.json'))) {
    await rm(previous, { recursive: true, force: true });
    await rename(stateDir, previous);
  } else {
    await rm(stateDir, { recursive: true, force: true });
  }
  await rename(next, stateDir);
  await rm(previous, { recursive: true, force: true });
}

/** Whether `dir` holds a state `saveFitState` wrote. */
export function hasFitState(dir: string): boolean {
  return completeStateDir(dir) !== undefined;
}

/**
 * Restores what `saveFitState` wrote into a model and optimizer of the same
 * build; returns the loop state and the selections' best weights.
 */
export async function restoreFitState(
  dir: string,
  model: Trainable,
  optimizer: Optimizer,
  selections: string[],
): Promise<{ loop: FitLoopState; best: Map<string, WeightSnapshot> }> {
  const stateDir = completeStateDir(dir) ?? join(dir, FIT_STATE_DIR);
  const { tensors, metadata } = await loadNamedTensors(fileIoHandler(stateDir));
  try {
    const saved = metadata['fit'] as
      (FitLoopState & { step: number; sparseSteps?: number[] }) | undefined;
    const names = Object.keys(saved?.tracks ?? {});
    if (!saved || names.join(',') !== selections.join(',')) {
      throw new ChromflowError('PARAM', 'the checkpoint was trained with other selections', {
        path: join(stateDir, 'model.json'),
        field: 'fit.tracks',
        expected: selections.join(', ') || 'none',
        found: saved ? names.join(', ') || 'none' : 'no fit state',
        hint: 'resume with the settings of the interrupted run, or train into a new directory',
      });
    }
    const get = (name: string, like: tf.Variable): Float32Array => {
      const t = tensors.get(name);
      if (!t || t.shape.join(',') !== like.shape.join(',')) {
        throw new ChromflowError(
          'SCHEMA',
          `checkpoint tensor '${name}' is missing or has the wrong shape`,
          {
            path: stateDir,
            field: name,
            expected: like.shape.join('×'),
            found: t ? t.shape.join('×') : 'absent',
          },
        );
      }
      return t.dataSync() as Float32Array;
    };
    const vars = snapshotVariables(model);
    const tables = model.sparseTables?.() ?? [];
    // The tables' own state is restored below with their moments.
    assignWeights(model, [
      ...vars.map((v, i) => get(`model/${i}`, v)),
      ...tables.map((t) => t.weights),
    ]);
    tf.tidy(() =>
      optimizer
        .slotVariables()
        .forEach((s, i) => s.assign(tf.tensor(get(`optimizer/${i}`, s), s.shape))),
    );
    optimizer.step = saved.step;
    const sparse = new Map<string, tf.Tensor>();
    for (const [name, t] of tensors) {
      if (name.startsWith('sparse/')) sparse.set(name.slice('sparse/'.length), t);
    }
    tables.forEach((t, i) => t.restoreNamedTensors(sparse, saved.sparseSteps?.[i] ?? 0));
    const tableCopy = (name: string, t: (typeof tables)[number]): Float32Array => {
      const stored = tensors.get(name);
      if (stored?.size !== t.weights.length) {
        throw new ChromflowError(
          'SCHEMA',
          `checkpoint tensor '${name}' is missing or has the wrong size`,
          {
            path: stateDir,
            field: name,
            expected: `${t.rows} × ${t.dim}`,
            found: stored ? `${stored.size} values` : 'absent',
          },
        );
      }
      return Float32Array.from(stored.dataSync());
    };
    const best = new Map<string, WeightSnapshot>();
    for (const name of selections) {
      best.set(name, [
        ...vars.map((v, i) => Float32Array.from(get(`best/${name}/${i}`, v))),
        ...tables.map((t, j) => tableCopy(`best/${name}/${vars.length + j}`, t)),
      ]);
    }
    // JSON writes Infinity as null.
    for (const t of Object.values(saved.tracks)) {
      if (t.bestLoss === null) t.bestLoss = Infinity;
    }
    // Only the loop's own fields: a resumed run must write its state byte for byte as an
    // uninterrupted one does (`step`/`sparseSteps` are added back in that order on save).
    const { step: _step, sparseSteps: _sparseSteps, ...loop } = saved;
    return { loop, best };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** The selection names of the state saved in `dir`, or undefined when there is none. */
export async function readFitSelections(dir: string): Promise<string[] | undefined> {
  const stateDir = completeStateDir(dir);
  if (stateDir === undefined) return undefined;
  const path = join(stateDir, 'model.json');
  const json = JSON.parse(await readFile(path, 'utf8')) as {
    userDefinedMetadata?: { fit?: { tracks?: Record<string, unknown> } };
  };
  return Object.keys(json.userDefinedMetadata?.fit?.tracks ?? {});
}
