import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ChromflowError,
  encodingOf,
  hashPath,
  outputFileName,
  type ProgressCallback,
  readTable,
  type StageLogger,
  writeFileAtomic,
} from '@chromflow/core';
import type { OutputRecord } from './cache-store.js';
import { StageRegistry } from './registry.js';

/**
 * One stage run, described by plain data alone: the stage, its validated
 * params, the paths of its inputs and the directory to write into. This is
 * what an executor ships to wherever the stage runs (a local child process
 * now, a Slurm job later): nothing else is needed to reproduce the entry.
 */
export interface StageJob {
  stage: string;
  version: string;
  key: string;
  params: Record<string, unknown>;
  /** Input port → absolute path. */
  inputs: Record<string, string>;
  /** Directory the outputs are written into (a cache temp dir, or the user's --out). */
  outDir: string;
  /** Plugin modules to load before looking the stage up. */
  plugins: string[];
}

export interface StageJobResult {
  outputs: Record<string, OutputRecord>;
  backend?: string;
  metrics?: Record<string, number | string>;
  durationMs: number;
}

async function describeOutput(path: string, file: string, kind: string): Promise<OutputRecord> {
  const s = await stat(path);
  const record: OutputRecord = {
    file,
    hash: await hashPath(path),
    bytes: s.isDirectory() ? 0 : s.size,
  };
  if (kind === 'table') {
    const t = await readTable(path);
    record.rows = t.numRows;
    record.schema = t.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
    record.encoding = encodingOf(t)?.type;
  }
  return record;
}

/** Runs a job in this process; outputs land in `job.outDir`, described by the result. */
export async function runStageJob(
  job: StageJob,
  io: { log: StageLogger; onProgress: ProgressCallback; signal: AbortSignal },
): Promise<StageJobResult> {
  const registry = new StageRegistry();
  for (const p of job.plugins) await registry.addPlugin(p);
  const stage = await registry.get(job.stage);
  if (!stage) throw new ChromflowError('STAGE', `unknown stage '${job.stage}'`);
  if (stage.version !== job.version) {
    throw new ChromflowError(
      'STAGE',
      `stage '${job.stage}' is version ${stage.version}, the job asks for ${job.version}`,
      {
        hint: 'the code changed since the job was planned; plan again',
      },
    );
  }
  await mkdir(job.outDir, { recursive: true });
  const outputs = Object.fromEntries(
    Object.entries(stage.outputs).map(([port, spec]) => [
      port,
      join(job.outDir, outputFileName(port, spec)),
    ]),
  );
  const tempDir = join(job.outDir, '.scratch');
  await mkdir(tempDir, { recursive: true });
  const t0 = performance.now();
  let info;
  try {
    info = await stage.run({
      params: job.params,
      inputs: job.inputs,
      outputs,
      tempDir,
      log: io.log,
      onProgress: io.onProgress,
      signal: io.signal,
    });
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
  const durationMs = performance.now() - t0;
  const described: Record<string, OutputRecord> = {};
  for (const [port, spec] of Object.entries(stage.outputs)) {
    const path = outputs[port]!;
    if (!existsSync(path)) {
      if (spec.optional) continue;
      throw new ChromflowError(
        'STAGE',
        `stage '${job.stage}' finished without writing its output '${port}'`,
        { path },
      );
    }
    described[port] = await describeOutput(path, outputFileName(port, spec), spec.kind);
  }
  const result: StageJobResult = {
    outputs: described,
    durationMs,
    backend: info?.backend,
    metrics: info?.metrics,
  };
  await writeFileAtomic(join(job.outDir, 'result.json'), JSON.stringify(result, null, 2));
  return result;
}
