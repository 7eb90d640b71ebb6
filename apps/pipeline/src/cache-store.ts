import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, hashPath, sha256, writeFileAtomic } from '@chromflow/core';

/**
 * The content-addressed stage cache. An entry is a directory
 * `entries/<stage>/<key>/` holding the stage's outputs and `manifest.json`.
 * It is built in `tmp/` and renamed into place only once the manifest is
 * written, so a killed run never leaves a half entry; concurrent runs on one
 * cache take a per-key lock and never overwrite an entry (house style §4).
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

export interface OutputRecord {
  /** File or directory name inside the entry. */
  file: string;
  hash: string;
  bytes: number;
  rows?: number;
  schema?: { name: string; type: string }[];
  encoding?: string;
}

export interface Manifest {
  format: number;
  stage: string;
  version: string;
  key: string;
  parts: CacheKeyParts;
  outputs: Record<string, OutputRecord>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Where it ran: `cpu`, `gpu:<id>`, or `cpu (no GPU available)`. */
  placement: string;
  backend?: string;
  metrics?: Record<string, number | string>;
  host: string;
}

interface FileHashMemo {
  [path: string]: { size: number; mtimeMs: number; ino: number; hash: string };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class CacheStore {
  private memo: FileHashMemo | undefined;
  private memoDirty = false;

  constructor(readonly root: string) {}

  entryDir(stage: string, key: string): string {
    return join(this.root, 'entries', stage, key);
  }

  async readManifest(stage: string, key: string): Promise<Manifest | undefined> {
    try {
      return JSON.parse(
        await readFile(join(this.entryDir(stage, key), 'manifest.json'), 'utf8'),
      ) as Manifest;
    } catch {
      return undefined;
    }
  }

  /** A fresh temporary directory for building an entry; its name records the owning pid. */
  async makeTempDir(key: string): Promise<string> {
    const dir = join(this.root, 'tmp', `${key}.${process.pid}.${randomBytes(3).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /**
   * Writes the manifest last and renames the temp directory into place. If
   * another run committed the same key meanwhile, keeps theirs (same inputs,
   * same stage version) and drops ours, unless `replace` (a forced re-run).
   */
  async commit(
    tempDir: string,
    manifest: Manifest,
    options: { replace?: boolean } = {},
  ): Promise<string> {
    await writeFileAtomic(join(tempDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const dest = this.entryDir(manifest.stage, manifest.key);
    await mkdir(join(dest, '..'), { recursive: true });
    if (options.replace && existsSync(dest)) {
      // --force: move the old entry aside, then rename ours in. A reader in between finds no entry (a miss), never a half one.
      const old = `${tempDir}.old`;
      await rename(dest, old);
      await rename(tempDir, dest);
      await rm(old, { recursive: true, force: true });
      return dest;
    }
    try {
      await rename(tempDir, dest);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(join(dest, 'manifest.json'))) {
        await rm(tempDir, { recursive: true, force: true });
      } else if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        // A directory without a manifest is no entry (cannot happen through commit): replace it.
        await rm(dest, { recursive: true, force: true });
        await rename(tempDir, dest);
      } else throw e;
    }
    return dest;
  }

  /**
   * Takes the per-key lock, waiting while a live process holds it; a lock
   * whose process is gone is stale and taken over. Returns the release function.
   */
  async lock(key: string, signal?: AbortSignal): Promise<() => Promise<void>> {
    const dir = join(this.root, 'locks');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${key}.lock`);
    const me = `${process.pid}@${hostname()}`;
    for (;;) {
      if (signal?.aborted) throw new Error('aborted while waiting for a cache lock');
      try {
        const fh = await open(path, 'wx');
        await fh.writeFile(me);
        await fh.close();
        return async () => {
          await rm(path, { force: true });
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = await readFile(path, 'utf8').catch(() => '');
      const [pid, host] = owner.split('@');
      if (owner && host === hostname() && !pidAlive(Number(pid))) {
        await rm(path, { force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Removes temporary directories left by processes that no longer run (a killed run). */
  async removeStaleTemp(): Promise<number> {
    const dir = join(this.root, 'tmp');
    let removed = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const pid = Number(name.split('.')[1]);
      if (!Number.isFinite(pid) || !pidAlive(pid)) {
        await rm(join(dir, name), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  /**
   * Content hash of an input file or directory. Files are re-hashed only when
   * size, mtime or inode changed (memo kept in the cache root); a changed file
   * is always noticed, an unchanged one is never read twice.
   */
  async hashInput(path: string): Promise<string> {
    const s = await stat(path);
    if (s.isDirectory()) return hashPath(path);
    this.memo ??= JSON.parse(
      await readFile(join(this.root, 'file-hashes.json'), 'utf8').catch(() => '{}'),
    ) as FileHashMemo;
    const m = this.memo[path];
    if (m && m.size === s.size && m.mtimeMs === s.mtimeMs && m.ino === s.ino) return m.hash;
    const hash = await hashPath(path);
    this.memo[path] = { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, hash };
    this.memoDirty = true;
    return hash;
  }

  async saveMemo(): Promise<void> {
    if (!this.memoDirty || !this.memo) return;
    await writeFileAtomic(join(this.root, 'file-hashes.json'), JSON.stringify(this.memo));
    this.memoDirty = false;
  }

  /** Every committed entry as [stage, key]. */
  async listEntries(): Promise<[string, string][]> {
    const out: [string, string][] = [];
    const base = join(this.root, 'entries');
    for (const stage of await readdir(base).catch(() => [] as string[])) {
      for (const key of await readdir(join(base, stage)).catch(() => [] as string[]))
        out.push([stage, key]);
    }
    return out;
  }
}
