import { appendFile, mkdir, readdir, rename, rm, rmdir, symlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { canonicalJson, ChromflowError, isChromflowError, outputFileName } from '@chromflow/core';
import { CACHE_KEY_FORMAT, isPending, stageKey } from './cache-key.js';
import type { CacheStore, Manifest } from './cache-store.js';
import { formatReasons, rerunReasons } from './rerun-reason.js';
import {
  lastCompletedParts,
  readRunRecord,
  type RunRecord,
  runRecordId,
  writeRunRecord,
} from './run-record.js';
import type { Executor } from './executor.js';
import type { Reporter, StageOutcome } from './reporter.js';
import { SlotQueue } from './slots.js';
import type { StageJob } from './stage-job.js';
import type { CheckedWorkflow, ResolvedStage } from './workflow-check.js';

/**
 * Runs a checked workflow: each stage waits for what it reads, computes its
 * cache key from its name, version, params and its inputs' content hashes,
 * and either reuses the entry or runs in an executor slot. Because upstream
 * outputs enter the key by content hash, a re-run stage whose output is
 * byte-identical leaves everything downstream a cache hit.
 */

export interface RunOptions {
  cache: CacheStore;
  executor: Executor;
  reporter: Reporter;
  signal: AbortSignal;
  /** Stage ids to run even when cached. */
  force?: readonly string[];
  /** A stage id: run it and everything downstream of it even when cached. */
  from?: string;
}

class UpstreamFailed extends Error {}

/** Stage ids downstream of `id`, itself included. */
export function downstreamOf(wf: CheckedWorkflow, id: string): Set<string> {
  const out = new Set([id]);
  for (const s of wf.stages) if (s.upstream.some((u) => out.has(u))) out.add(s.id);
  return out;
}

function checkStageIds(wf: CheckedWorkflow, ids: readonly string[], flag: string): void {
  const known = wf.stages.map((s) => s.id);
  for (const id of ids) {
    if (!known.includes(id)) {
      throw new ChromflowError('WORKFLOW', `${flag} names no stage of this workflow: '${id}'`, {
        path: wf.file.path,
        expected: `one of ${known.join(', ')}`,
      });
    }
  }
}

/** Output files that are not resumable state: deleted before each attempt (directories are kept). */
function nonResumableOutputs(s: ResolvedStage): string[] {
  return Object.entries(s.stage.outputs)
    .filter(([, spec]) => spec.kind !== 'directory')
    .map(([port, spec]) => outputFileName(port, spec));
}

/** Removes the orchestrator's files from a failed attempt's working directory, and the directory if nothing is left. */
async function tidyWorkDir(dir: string): Promise<void> {
  for (const f of ['job.json', 'result.json', 'error.json'])
    await rm(join(dir, f), { force: true });
  if ((await readdir(dir).catch(() => ['?'])).length === 0) await rmdir(dir).catch(() => {});
}

export async function runWorkflow(wf: CheckedWorkflow, opts: RunOptions): Promise<StageOutcome[]> {
  const { cache, executor, reporter, signal } = opts;
  checkStageIds(wf, opts.force ?? [], '--force');
  if (opts.from) checkStageIds(wf, [opts.from], '--from');
  const forced = new Set([
    ...(opts.force ?? []),
    ...(opts.from ? downstreamOf(wf, opts.from) : []),
  ]);
  const slots = new SlotQueue(executor);
  const manifests = new Map<string, Manifest>();
  const outcomes = new Map<string, StageOutcome>();
  const logDir = join(cache.root, 'logs', runRecordId(wf.file.path));
  await mkdir(logDir, { recursive: true });
  await cache.removeStaleTemp();
  const record = await readRunRecord(cache, wf.file.path, wf.file.name);
  const completed: NonNullable<RunRecord['completed']> = { ...record?.completed };
  let warnedNoGpu = false;

  const runStage = async (s: ResolvedStage): Promise<Manifest> => {
    const k = await stageKey(s, (id) => manifests.get(id), cache);
    if (isPending(k)) {
      const p = k.pending[0]!;
      throw new ChromflowError(
        'STAGE',
        `stage '${p.stageId}' did not produce its optional output '${p.output}', which '${s.id}' reads`,
        { stage: s.id },
      );
    }
    const { key, parts, paths } = k;
    const base: StageOutcome = {
      id: s.id,
      stage: s.stage.name,
      status: 'cached',
      key,
      entryDir: cache.entryDir(s.stage.name, key),
    };
    if (!forced.has(s.id)) {
      const hit = await cache.readManifest(s.stage.name, key);
      if (hit) {
        outcomes.set(s.id, { ...base, durationMs: 0, backend: hit.backend });
        completed[s.id] = { stage: s.stage.name, key, parts };
        reporter.end(outcomes.get(s.id)!);
        return hit;
      }
    }
    const release = await cache.lock(key, signal);
    let placement;
    let jobId: string | undefined;
    let workDir: string | undefined;
    const logPath = join(logDir, `${s.id}.log`);
    try {
      // Another run may have built the entry while we waited for the lock.
      const built = forced.has(s.id) ? undefined : await cache.readManifest(s.stage.name, key);
      if (built) {
        outcomes.set(s.id, { ...base, durationMs: 0, backend: built.backend });
        completed[s.id] = { stage: s.stage.name, key, parts };
        reporter.end(outcomes.get(s.id)!);
        return built;
      }
      placement = await slots.acquire(s.stage.resources);
      if (signal.aborted) throw new ChromflowError('ABORTED', 'cancelled');
      if (
        s.stage.resources.gpu &&
        placement.gpu === undefined &&
        !warnedNoGpu &&
        executor.gpus.length === 0
      ) {
        warnedNoGpu = true;
        reporter.note(
          `note: no GPU found; GPU stages run on the best CPU backend (recorded in their manifests)`,
        );
      }
      // The stable working directory of this key: a killed attempt's files
      // (a checkpoint) are there for the next one; --force starts empty.
      const work = await cache.openWorkDir(s.stage.name, key, {
        fresh: forced.has(s.id),
        clear: nonResumableOutputs(s),
      });
      workDir = work.dir;
      const tempDir = work.dir;
      const job: StageJob = {
        stage: s.stage.name,
        version: s.stage.version,
        key,
        // Keys sorted: the order validation leaves depends on whether the stage's declaration
        // came from the catalog file (sorted) or its module, and a stage that writes its params
        // (xchrom-train's checkpoint manifest) would give different bytes for the same key.
        params: JSON.parse(canonicalJson(s.params)) as Record<string, unknown>,
        inputs: paths,
        outDir: tempDir,
        plugins: [],
      };
      job.plugins = wf.file.plugins.map((p) => resolve(wf.file.baseDir, p.value));
      const why =
        formatReasons(
          rerunReasons(s, parts, await lastCompletedParts(cache, record, s.id), forced.has(s.id)),
        ) + (work.resumed ? '; resuming an interrupted attempt' : '');
      // Logs are appended, one header line per attempt, so a resumed run's log keeps the killed attempt's lines.
      await appendFile(
        logPath,
        `${new Date().toISOString()} ==== attempt: ${s.id} (${s.stage.name} v${s.stage.version}) key ${key} on ${placement.label} in ${work.dir} — why: ${why}\n`,
      );
      reporter.start(s.id, s.stage.name, placement.label, why);
      const startedAt = new Date();
      try {
        const result = await executor.run(job, placement, logPath, {
          onProgress: (d, t, m) => reporter.progress(s.id, d, t, m),
          onLog: (level, m) => reporter.log(s.id, level, m),
          signal,
          stageId: s.id,
          onSubmitted: (id) => {
            jobId = id;
            reporter.log(s.id, 'info', `submitted as ${executor.name} job ${id}`);
          },
        });
        for (const f of ['job.json', 'result.json']) await rm(join(tempDir, f), { force: true });
        const manifest: Manifest = {
          format: CACHE_KEY_FORMAT,
          stage: s.stage.name,
          version: s.stage.version,
          key,
          parts,
          outputs: result.outputs,
          startedAt: startedAt.toISOString(),
          finishedAt: new Date().toISOString(),
          durationMs: Math.round(result.durationMs),
          placement: placement.label,
          backend: result.backend,
          metrics: result.metrics,
          host: hostname(),
        };
        await cache.commit(tempDir, manifest, { replace: forced.has(s.id) });
        workDir = undefined;
        completed[s.id] = { stage: s.stage.name, key, parts };
        outcomes.set(s.id, {
          ...base,
          status: 'ran',
          durationMs: manifest.durationMs,
          placement: placement.label,
          backend: result.backend,
          logPath,
          jobId,
        });
        reporter.end(outcomes.get(s.id)!);
        return manifest;
      } finally {
        // A failed or interrupted attempt keeps its working directory (what the next attempt resumes from).
        if (workDir) await tidyWorkDir(workDir);
      }
    } catch (e) {
      const cancelled = signal.aborted;
      const message = isChromflowError(e)
        ? e.withLocation({ stage: s.id }).format()
        : e instanceof Error
          ? e.message
          : String(e);
      outcomes.set(s.id, {
        id: s.id,
        stage: s.stage.name,
        status: cancelled ? 'cancelled' : 'failed',
        key,
        error: cancelled ? undefined : message,
        logPath,
        jobId,
      });
      reporter.end(outcomes.get(s.id)!);
      throw new UpstreamFailed(s.id);
    } finally {
      if (placement) slots.release(placement);
      await release();
    }
  };

  const promises = new Map<string, Promise<Manifest>>();
  for (const s of wf.stages) {
    promises.set(
      s.id,
      (async () => {
        const ups = await Promise.allSettled(s.upstream.map((u) => promises.get(u)!));
        if (ups.some((u) => u.status === 'rejected') || signal.aborted) {
          outcomes.set(s.id, {
            id: s.id,
            stage: s.stage.name,
            status: signal.aborted ? 'cancelled' : 'skipped',
          });
          reporter.end(outcomes.get(s.id)!);
          throw new UpstreamFailed(s.id);
        }
        for (const u of s.upstream) manifests.set(u, await promises.get(u)!);
        const m = await runStage(s);
        manifests.set(s.id, m);
        return m;
      })(),
    );
  }
  await Promise.allSettled(promises.values());
  await cache.saveMemo();
  const ordered = wf.stages.map((s) => outcomes.get(s.id)!);
  const resultsDir = wf.file.resultsDir && resolve(wf.file.baseDir, wf.file.resultsDir.value);
  await writeRunRecord(cache, wf.file.path, {
    workflow: resolve(wf.file.path),
    name: wf.file.name,
    finishedAt: new Date().toISOString(),
    ...(resultsDir ? { resultsDir } : {}),
    stages: ordered,
    completed,
  });
  if (resultsDir) await linkResults(resultsDir, ordered);
  return ordered;
}

/** `<results>/<stage id>` → the stage's cache entry, replaced atomically. */
async function linkResults(dir: string, outcomes: StageOutcome[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const o of outcomes) {
    if (!o.entryDir || (o.status !== 'ran' && o.status !== 'cached')) continue;
    const tmp = join(dir, `.${o.id}.link-${process.pid}`);
    await rm(tmp, { force: true });
    await symlink(o.entryDir, tmp, 'dir');
    await rename(tmp, join(dir, o.id));
  }
}
