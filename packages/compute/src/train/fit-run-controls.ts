import type { FitOptions, FitResult } from './fit.js';
import type { Trainable } from './trainable.js';
import { assignWeights } from './weights.js';

/** What a model's training function passes through to `fit` unchanged: where and how long to run. */
export type FitRunControls = Pick<
  FitOptions,
  'checkpointDir' | 'resume' | 'stopAfterEpochs' | 'signal' | 'onProgress' | 'log'
>;

type MaybeControls = { [K in keyof FitRunControls]?: FitRunControls[K] | undefined };

/** The run controls of `o` that are set (an unset one stays absent, as `fit`'s options require). */
export function fitRunControls(o: MaybeControls): FitRunControls {
  const out: MaybeControls = {};
  for (const k of [
    'checkpointDir',
    'resume',
    'stopAfterEpochs',
    'signal',
    'onProgress',
    'log',
  ] as const) {
    if (o[k] !== undefined) (out as Record<string, unknown>)[k] = o[k];
  }
  return out;
}

/** Samples per second over the epochs this call ran; 0 when a resume found training finished. */
export function fitThroughput(r: FitResult, samplesPerEpoch: number): number {
  return r.epochsThisCall === 0
    ? 0
    : (samplesPerEpoch * r.epochsThisCall) / Math.max(r.trainSeconds, 1e-9);
}

/**
 * `fit`'s `parallel` option for a model's training function: data-parallel on `workers`
 * threads (each importing `module`'s `factoryName`) when 2 or more, else in this process.
 */
export function parallelOption(
  workers: number | undefined,
  module: string,
  factoryName: string,
): Pick<FitOptions, 'parallel'> {
  return (workers ?? 1) >= 2 ? { parallel: { workers: workers!, module, factoryName } } : {};
}

/**
 * The trained model with the weights of selection `name`'s best epoch put back, that epoch,
 * its loss, and the run's history: what every training function returns after `fit`.
 */
export function restoreBest<M extends Trainable>(
  r: FitResult<M>,
  name: string,
): {
  model: M;
  bestEpoch: number;
  bestValLoss: number;
  history: FitResult<M>['history'];
  interrupted: boolean;
} {
  const sel = r.selections[name];
  if (sel === undefined) throw new RangeError(`fit ran no selection '${name}'`);
  assignWeights(r.model, sel.weights);
  return {
    model: r.model,
    bestEpoch: sel.bestEpoch,
    bestValLoss: sel.bestLoss,
    history: r.history,
    interrupted: r.interrupted,
  };
}
