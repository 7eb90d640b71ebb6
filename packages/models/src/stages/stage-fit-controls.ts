import type { StageContext } from '@chromflow/core';
import type { FitRunControls } from '@chromflow/compute';

/**
 * What every training stage hands its trainer: per-epoch checkpoints in the stage's
 * stable working directory (the orchestrator's per-key lock guards it), resumed after a
 * kill, and the run's abort signal, progress and log.
 */
export function stageFitControls(
  ctx: Pick<StageContext<unknown>, 'signal' | 'onProgress' | 'log'>,
  checkpointDir: string,
): Required<Pick<FitRunControls, 'checkpointDir' | 'resume' | 'signal' | 'onProgress' | 'log'>> {
  return {
    checkpointDir,
    resume: true,
    signal: ctx.signal,
    onProgress: ctx.onProgress,
    log: (m) => ctx.log.info(m),
  };
}

/**
 * The `epochs` and `patience` parameters of a training stage's schema, with the stage's
 * defaults (and, where it names a reference, its own wording of `epochs`).
 */
export function fitLengthParams(epochs: number, patience: number, epochsDescription?: string) {
  return {
    epochs: {
      type: 'integer',
      minimum: 1,
      default: epochs,
      description: epochsDescription ?? 'maximum epochs',
    },
    patience: {
      type: 'integer',
      minimum: 1,
      default: patience,
      description: 'epochs without a lower validation loss before stopping',
    },
  } as const;
}
