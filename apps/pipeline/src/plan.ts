import { existsSync } from 'node:fs';
import { isPending, stageKey } from './cache-key.js';
import type { CacheStore, Manifest } from './cache-store.js';
import { formatReasons, rerunReasons } from './rerun-reason.js';
import { lastCompletedParts, readRunRecord } from './run-record.js';
import type { CheckedWorkflow } from './workflow-check.js';

/**
 * What a run would do, as far as it can be known without running, and why:
 * a stage whose inputs are all files or cached outputs is `cached` or `runs`
 * with its reasons (the same key recipe as `run`, `cache-key.ts`); a stage
 * downstream of one that runs is `runs if upstream output changes`.
 */
export async function planWorkflow(
  wf: CheckedWorkflow,
  cache: CacheStore,
  forced: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const manifests = new Map<string, Manifest>();
  const record = await readRunRecord(cache, wf.file.path, wf.file.name);
  const lines: string[] = [];
  for (const s of wf.stages) {
    const k = await stageKey(s, (id) => manifests.get(id), cache);
    let status: string;
    if (isPending(k)) {
      status = `runs if upstream output changes (${[...new Set(k.pending.map((p) => p.stageId))].join(', ')} runs)`;
    } else {
      const m = forced.has(s.id) ? undefined : await cache.readManifest(s.stage.name, k.key);
      if (m) {
        manifests.set(s.id, m);
        status = `cached (${k.key.slice(0, 12)})`;
      } else {
        const why = formatReasons(
          rerunReasons(s, k.parts, await lastCompletedParts(cache, record, s.id), forced.has(s.id)),
        );
        const resumes = existsSync(cache.workDir(s.stage.name, k.key))
          ? '; resumes an interrupted attempt'
          : '';
        status = `runs — ${why}${resumes}`;
      }
    }
    lines.push(
      `  ${s.id.padEnd(20)} ${s.stage.name.padEnd(36)} ${status}${s.upstream.length ? `  ← ${s.upstream.join(', ')}` : ''}`,
    );
  }
  await cache.saveMemo();
  return lines;
}
