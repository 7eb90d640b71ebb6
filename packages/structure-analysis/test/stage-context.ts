import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Stage, type StageContext, outputFileName } from '@chromflow/core';

/** Runs a stage the way the orchestrator does: schema defaults filled, outputs in a fresh folder. */
export async function runStage<P>(
  stage: Stage<P>,
  inputs: Record<string, string | undefined>,
  params: Partial<P> = {},
): Promise<{
  outputs: Record<string, string>;
  warnings: string[];
  info: Awaited<ReturnType<Stage<P>['run']>>;
}> {
  const dir = mkdtempSync(join(tmpdir(), `chromflow-${stage.name}-`));
  const defaults: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(stage.params.properties))
    if (s.default !== undefined) defaults[k] = s.default;
  for (const k of Object.keys(params)) {
    if (!(k in stage.params.properties)) throw new Error(`unknown parameter ${k}`);
  }
  const outputs: Record<string, string> = {};
  for (const [port, spec] of Object.entries(stage.outputs))
    outputs[port] = join(dir, outputFileName(port, spec));
  const warnings: string[] = [];
  const ctx: StageContext<P> = {
    params: { ...defaults, ...params } as P,
    inputs,
    outputs,
    tempDir: dir,
    log: { info: () => undefined, warn: (m) => void warnings.push(m) },
    onProgress: () => undefined,
    signal: new AbortController().signal,
  };
  const info = await stage.run(ctx);
  return { outputs, warnings, info };
}
