import { relative } from 'node:path';
import { canonicalJson } from '@chromflow/core';
import type { CacheKeyParts } from './cache-key.js';
import type { ResolvedStage } from './workflow-check.js';

/**
 * Why a stage runs, found by comparing its key parts now with those of its
 * last completed run (the run record), part by part, as Snakemake's job
 * reasons do. Several reasons can hold at once (params and code changed).
 */
export type RerunReason =
  | { kind: 'new' }
  | { kind: 'forced' }
  | { kind: 'code'; from: string; to: string }
  | { kind: 'params'; changed: { name: string; from?: unknown; to?: unknown }[] }
  | { kind: 'input data'; changed: { port: string; path: string }[] }
  | { kind: 'upstream output changed'; changed: { port: string; from: string }[] }
  | { kind: 'backend'; from?: string; to?: string }
  /** Same key as the last completed run, but its entry is gone (`clean`, deleted by hand). */
  | { kind: 'output missing' };

export function rerunReasons(
  s: ResolvedStage,
  now: CacheKeyParts,
  last: CacheKeyParts | undefined,
  forced: boolean,
): RerunReason[] {
  if (forced) return [{ kind: 'forced' }];
  if (!last) return [{ kind: 'new' }];
  const out: RerunReason[] = [];
  if (last.stage !== now.stage || last.version !== now.version || last.format !== now.format) {
    out.push({
      kind: 'code',
      from: `${last.stage} v${last.version}`,
      to: `${now.stage} v${now.version}`,
    });
  }
  const names = [...new Set([...Object.keys(last.params), ...Object.keys(now.params)])].sort();
  const changed = names
    .filter((n) => canonicalJson(last.params[n]) !== canonicalJson(now.params[n]))
    .map((name) => ({ name, from: last.params[name], to: now.params[name] }));
  if (changed.length) out.push({ kind: 'params', changed });
  const data: { port: string; path: string }[] = [];
  const upstream: { port: string; from: string }[] = [];
  const ports = [...new Set([...Object.keys(last.inputs), ...Object.keys(now.inputs)])].sort();
  for (const port of ports) {
    if (last.inputs[port] === now.inputs[port]) continue;
    const b = s.inputs.get(port);
    if (b?.kind === 'from') upstream.push({ port, from: `${b.stageId}.${b.port}` });
    else data.push({ port, path: b?.kind === 'path' ? b.path : '(not wired now)' });
  }
  if (data.length) out.push({ kind: 'input data', changed: data });
  if (upstream.length) out.push({ kind: 'upstream output changed', changed: upstream });
  if (last.backend !== now.backend)
    out.push({ kind: 'backend', from: last.backend, to: now.backend });
  return out.length ? out : [{ kind: 'output missing' }];
}

const short = (v: unknown): string => {
  const t = v === undefined ? 'unset' : JSON.stringify(v);
  return t.length > 24 ? `${t.slice(0, 21)}…` : t;
};

/** One line: `params: m (10 → 2); input data: seed (three.txt)`. */
export function formatReasons(reasons: readonly RerunReason[], cwd = process.cwd()): string {
  return reasons
    .map((r) => {
      switch (r.kind) {
        case 'new':
          return 'new (never run)';
        case 'forced':
          return 'forced';
        case 'code':
          return `code: ${r.from} → ${r.to}`;
        case 'params':
          return `params: ${r.changed.map((c) => `${c.name} (${short(c.from)} → ${short(c.to)})`).join(', ')}`;
        case 'input data':
          return `input data: ${r.changed.map((c) => `${c.port} (${relative(cwd, c.path) || c.path})`).join(', ')}`;
        case 'upstream output changed':
          return `upstream output changed: ${r.changed.map((c) => `${c.port} ← ${c.from}`).join(', ')}`;
        case 'backend':
          return `backend: ${r.from ?? 'automatic'} → ${r.to ?? 'automatic'}`;
        case 'output missing':
          return 'output missing (entry removed)';
      }
    })
    .join('; ');
}
