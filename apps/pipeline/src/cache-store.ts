import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { hashPath, writeFileAtomic } from '@chromflow/core';
import { acquireLock, pidAlive } from './cache-lock.js';
import type { CacheKeyParts } from './cache-key.js';

/**
 * The content-addressed stage cache. An entry is a directory
 * `entries/<stage>/<key>/` holding the stage's outputs and `manifest.json`.
 * It is built in the stable working directory `work/<stage>/<key>/` and
 * renamed into place only once the manifest is written, so a killed run never
 * leaves a half entry, and a re-run of the same key finds what the killed
 * attempt left (a training checkpoint) and resumes. Only the holder of the
 * per-key lock uses a working directory; concurrent runs on one cache never
 * overwrite an entry (house style §4, ADRs 0001 and 0002).
 */

export { CACHE_KEY_FORMAT, cacheKey, type CacheKeyParts } from './cache-key.js';

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

/** Files the orchestrator and the stage process keep in a working directory, cleared before each attempt. */
const WORK_FILES = ['job.json', 'result.json', 'error.json', 'manifest.json', '.scratch'];

interface FileHashMemo {
  [path: string]: { size: number; mtimeMs: number; ino: number; hash: string };
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

  /** The stable working directory where the entry of (stage, key) is built, attempt after attempt. */
  workDir(stage: string, key: string): string {
    return join(this.root, 'work', stage, key);
  }

  /**
   * Opens the working directory of (stage, key) for an attempt; the caller
   * must hold the key's lock. What an earlier attempt left is kept (that is
   * what a stage resumes from) except the orchestrator's own files and
   * `clear` (outputs that are not resumable state); `fresh` (a forced run)
   * starts from an empty directory. `resumed`: an earlier attempt left files.
   */
  async openWorkDir(
    stage: string,
    key: string,
    options: { fresh?: boolean; clear?: readonly string[] } = {},
  ): Promise<{ dir: string; resumed: boolean }> {
    const dir = this.workDir(stage, key);
    if (options.fresh) await this.discard(dir);
    await mkdir(dir, { recursive: true });
    for (const f of [...WORK_FILES, ...(options.clear ?? [])])
      await rm(join(dir, f), { recursive: true, force: true });
    const resumed = (await readdir(dir)).length > 0;
    return { dir, resumed };
  }

  /** Moves a directory into `tmp/` (one rename), then deletes it: no reader sees it half-deleted. */
  private async discard(dir: string): Promise<void> {
    if (!existsSync(dir)) return;
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    const trash = join(
      this.root,
      'tmp',
      `discard.${process.pid}.${randomBytes(3).toString('hex')}@${hostname()}`,
    );
    await rename(dir, trash);
    await rm(trash, { recursive: true, force: true });
  }

  /**
   * Writes the manifest last and renames the working directory into place.
   * If another run committed the same key meanwhile, keeps theirs (same
   * inputs, same stage version) and drops ours, unless `replace` (a forced
   * re-run).
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
      await mkdir(join(this.root, 'tmp'), { recursive: true });
      const old = join(
        this.root,
        'tmp',
        `old.${process.pid}.${randomBytes(3).toString('hex')}@${hostname()}`,
      );
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
   * Takes the per-key lock, waiting while its holder lives; returns the
   * release function. Safe on storage shared by several hosts: the holder
   * keeps the lock fresh with a heartbeat, and a lock of another host is
   * taken over only after its heartbeat stopped for 60 s (`cache-lock.ts`,
   * ADR 0003); one of this host whose process is gone, at once.
   */
  async lock(key: string, signal?: AbortSignal): Promise<() => Promise<void>> {
    const dir = join(this.root, 'locks');
    await mkdir(dir, { recursive: true });
    return acquireLock(join(dir, `${key}.lock`), { signal });
  }

  /**
   * Removes what processes of this host that no longer run left in `tmp/`
   * (directories being discarded, temp dirs of older versions). Names are
   * `<what>.<pid>.<rand>[@host]`; another host's are left alone.
   */
  async removeStaleTemp(): Promise<number> {
    const dir = join(this.root, 'tmp');
    let removed = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const at = name.indexOf('@');
      if (at >= 0 && name.slice(at + 1) !== hostname()) continue;
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

  /** Every working directory (an attempt not yet committed) as [stage, key]. */
  async listWorkDirs(): Promise<[string, string][]> {
    const out: [string, string][] = [];
    const base = join(this.root, 'work');
    for (const stage of await readdir(base).catch(() => [] as string[])) {
      for (const key of await readdir(join(base, stage)).catch(() => [] as string[]))
        out.push([stage, key]);
    }
    return out;
  }
}
