import type { StageContext } from '@chromflow/core';
import { stages } from '../src/stages/all.js';

/** A stage context that logs nothing, for running a stage's `run` in a test. */
export const quietCtx = (
  dir: string,
): Pick<StageContext<unknown>, 'tempDir' | 'log' | 'onProgress' | 'signal'> => ({
  tempDir: dir,
  log: { info: (): void => undefined, warn: (): void => undefined },
  onProgress: (): void => undefined,
  signal: new AbortController().signal,
});

/** The registered stage of that name (a test of a missing one fails here, naming it). */
export function stage(name: string): (typeof stages)[number] {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
}

/** A one-epoch `tiny` Atacformer pretrained into `checkpoint`, the start of every fine-tune test. */
export async function pretrainTinyAtacformer(
  dir: string,
  inputs: { tokens: string; vocabulary: string },
  checkpoint: string,
): Promise<void> {
  await stage('models.atacformer-pretrain').run({
    ...quietCtx(dir),
    params: {
      size: 'tiny',
      contextLength: 0,
      epochs: 1,
      patience: 1,
      batchSize: 8,
      learningRate: 1e-2,
      embeddingInitStd: 0.1,
      valFraction: 0.2,
      seed: 0,
    } as never,
    inputs,
    outputs: { checkpoint },
  });
}
