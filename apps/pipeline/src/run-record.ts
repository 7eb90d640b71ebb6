import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { sha256, writeFileAtomic } from '@chromflow/core';
import type { CacheKeyParts } from './cache-key.js';
import type { CacheStore } from './cache-store.js';
import type { StageOutcome } from './reporter.js';

/**
 * What the cache remembers of a workflow's runs, one record per workflow
 * *file* (its resolved path): two copies of a workflow with the same `name:`
 * keep separate records, so `clean` keeps both variants' entries
 * (issue 17 point 8; records were keyed by `name:` before).
 */
export interface RunRecord {
  /** Resolved path of the workflow file. */
  workflow: string;
  name: string;
  finishedAt: string;
  /** Resolved `results:` directory, whose links point into the cache. */
  resultsDir?: string;
  /** This run's outcome per stage. */
  stages: StageOutcome[];
  /**
   * Stage id → the key parts of its last completed run (this run or an
   * earlier one): what `plan` and `run` compare with to say why a stage runs.
   */
  completed?: Record<string, { stage: string; key: string; parts: CacheKeyParts }>;
}

/** `<file name>-<hash of its resolved path>`: readable, and unique per file. */
export function runRecordId(workflowPath: string): string {
  const abs = resolve(workflowPath);
  return `${basename(abs).replace(/\.ya?ml$/, '')}-${sha256(abs).slice(0, 8)}`;
}

export function runRecordPath(cache: CacheStore, workflowPath: string): string {
  return join(cache.root, 'runs', `${runRecordId(workflowPath)}.json`);
}

async function readJson(path: string): Promise<RunRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

/**
 * The record of this workflow file; a record from before records were keyed
 * by file (`runs/<name>.json`) is used when it names the same file.
 */
export async function readRunRecord(
  cache: CacheStore,
  workflowPath: string,
  name: string,
): Promise<RunRecord | undefined> {
  const rec = await readJson(runRecordPath(cache, workflowPath));
  if (rec) return rec;
  const old = await readJson(join(cache.root, 'runs', `${name}.json`));
  return old && old.workflow === resolve(workflowPath) ? old : undefined;
}

export async function writeRunRecord(
  cache: CacheStore,
  workflowPath: string,
  rec: RunRecord,
): Promise<void> {
  await writeFileAtomic(runRecordPath(cache, workflowPath), `${JSON.stringify(rec, null, 2)}\n`);
}

/** Every record in the cache, with its file name. */
export async function readAllRunRecords(cache: CacheStore): Promise<[string, RunRecord][]> {
  const dir = join(cache.root, 'runs');
  const out: [string, RunRecord][] = [];
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    if (!name.endsWith('.json')) continue;
    const rec = await readJson(join(dir, name));
    if (rec) out.push([name, rec]);
  }
  return out;
}

/**
 * The key parts of a stage id's last completed run: from the record, or,
 * for a record written before it kept them, from the manifest of the entry
 * it names.
 */
export async function lastCompletedParts(
  cache: CacheStore,
  rec: RunRecord | undefined,
  stageId: string,
): Promise<CacheKeyParts | undefined> {
  if (!rec) return undefined;
  const c = rec.completed?.[stageId];
  if (c) return c.parts;
  const o = rec.stages.find((x) => x.id === stageId);
  if (!o?.key || (o.status !== 'ran' && o.status !== 'cached')) return undefined;
  return (await cache.readManifest(o.stage, o.key))?.parts;
}
