import type { FitOptions, FitResult } from './fit.js';

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
