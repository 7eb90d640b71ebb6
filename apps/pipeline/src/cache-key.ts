import { join } from 'node:path';
import { canonicalJson, sha256 } from '@chromflow/core';
import type { CacheStore, Manifest } from './cache-store.js';
import type { ResolvedStage } from './workflow-check.js';

/**
 * The cache-key recipe, written once: `plan` and `run` both call
 * `stageKey`, so what plan predicts is what run computes (house style §4,
 * ADR 0001). The parts are kept in every manifest so a re-run can say why
 * (`rerun-reason.ts`).
 */

/** Bump when the key's recipe changes: every entry is then a miss. */
export const CACHE_KEY_FORMAT = 1;

export interface CacheKeyParts {
  format: number;
  stage: string;
  version: string;
  params: Record<string, unknown>;
  /** Input port → content hash of what is wired to it. */
  inputs: Record<string, string>;
  /** The forced compute backend, for stages whose output depends on it. */
  backend?: string;
}

export function cacheKey(parts: CacheKeyParts): string {
  return sha256(canonicalJson(parts)).slice(0, 32);
}

/**
 * The backend part: a GPU-declaring stage's output depends on the compute
 * backend (kernels round differently), so a forced `CHROMFLOW_BACKEND` enters
 * its key; the automatic choice does not (it is recorded in the manifest).
 */
export function backendPart(s: ResolvedStage, env = process.env): string | undefined {
  return s.stage.resources.gpu ? env['CHROMFLOW_BACKEND'] || undefined : undefined;
}

export interface StageKey {
  key: string;
  parts: CacheKeyParts;
  /** Input port → absolute path the stage reads. */
  paths: Record<string, string>;
}

/** Why a key cannot be computed yet: upstream stages that have no output (yet, or optional and absent). */
export interface PendingKey {
  pending: { port: string; stageId: string; output: string; ran: boolean }[];
}

/**
 * The key of a stage from its inputs: files by content hash, upstream
 * outputs by the hash in their manifest. `upstream(id)` gives the manifest of
 * a finished upstream stage, or undefined when it has not finished (plan).
 */
export async function stageKey(
  s: ResolvedStage,
  upstream: (stageId: string) => Manifest | undefined,
  cache: CacheStore,
): Promise<StageKey | PendingKey> {
  const inputs: Record<string, string> = {};
  const paths: Record<string, string> = {};
  const pending: PendingKey['pending'] = [];
  for (const [port, b] of [...s.inputs].sort(([a], [c]) => (a < c ? -1 : 1))) {
    if (b.kind === 'path') {
      inputs[port] = await cache.hashInput(b.path);
      paths[port] = b.path;
      continue;
    }
    const m = upstream(b.stageId);
    const out = m?.outputs[b.port];
    if (!m || !out) {
      pending.push({ port, stageId: b.stageId, output: b.port, ran: m !== undefined });
      continue;
    }
    inputs[port] = out.hash;
    paths[port] = join(cache.entryDir(m.stage, m.key), out.file);
  }
  if (pending.length > 0) return { pending };
  const parts: CacheKeyParts = {
    format: CACHE_KEY_FORMAT,
    stage: s.stage.name,
    version: s.stage.version,
    params: s.params,
    inputs,
  };
  const backend = backendPart(s);
  if (backend) parts.backend = backend;
  return { key: cacheKey(parts), parts, paths };
}

export function isPending(k: StageKey | PendingKey): k is PendingKey {
  return 'pending' in k;
}
