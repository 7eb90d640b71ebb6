import { type CacheStore, cacheKey, CACHE_KEY_FORMAT, type Manifest } from './cache-store.js';
import type { CheckedWorkflow } from './workflow-check.js';

/**
 * What a run would do, as far as it can be known without running: a stage
 * whose inputs are all files or cached outputs is `cached` or `runs`; a stage
 * downstream of one that runs is `runs if upstream output changes`.
 */
export async function planWorkflow(wf: CheckedWorkflow, cache: CacheStore): Promise<string[]> {
  const manifests = new Map<string, Manifest | 'unknown'>();
  const lines: string[] = [];
  for (const s of wf.stages) {
    const inputs: Record<string, string> = {};
    let unknown = false;
    for (const [port, b] of [...s.inputs].sort(([a], [c]) => (a < c ? -1 : 1))) {
      if (b.kind === 'path') inputs[port] = await cache.hashInput(b.path);
      else {
        const m = manifests.get(b.stageId);
        const out = m && m !== 'unknown' ? m.outputs[b.port] : undefined;
        if (!out) unknown = true;
        else inputs[port] = out.hash;
      }
    }
    let status: string;
    if (unknown) {
      status = 'runs if upstream output changes';
      manifests.set(s.id, 'unknown');
    } else {
      const forced = s.stage.resources.gpu ? process.env['CHROMFLOW_BACKEND'] : undefined;
      const key = cacheKey({
        format: CACHE_KEY_FORMAT,
        stage: s.stage.name,
        version: s.stage.version,
        params: s.params,
        inputs,
        ...(forced ? { backend: forced } : {}),
      });
      const m = await cache.readManifest(s.stage.name, key);
      manifests.set(s.id, m ?? 'unknown');
      status = m ? `cached (${key.slice(0, 12)})` : 'runs';
    }
    lines.push(
      `  ${s.id.padEnd(20)} ${s.stage.name.padEnd(36)} ${status}${s.upstream.length ? `  ← ${s.upstream.join(', ')}` : ''}`,
    );
  }
  await cache.saveMemo();
  return lines;
}
