import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';

/**
 * The per-key cache lock, safe when the cache is on storage shared by
 * several hosts (a cluster's login node and compute nodes, two login nodes).
 *
 * The lock file is created with O_EXCL and holds a token `pid@host#nonce`.
 * Its holder touches the file's mtime every `heartbeatMs` while it holds it.
 * A waiter decides staleness in one of two ways:
 *
 * - the token names this host and its pid no longer runs: stale at once
 *   (the common case, a killed run on this machine);
 * - otherwise: stale only once the waiter has seen the same token with the
 *   same mtime for `staleMs` by its own clock. The waiter compares the file's
 *   mtime only with earlier readings of it, never with its own clock, so
 *   clock skew between hosts (or an NFS server's clock) cannot make a live
 *   lock look old. A holder on another node whose heartbeat runs is therefore
 *   never taken over, whatever its pid means here.
 *
 * Taking over renames the stale file aside and checks that what it moved is
 * the token it judged stale; if another waiter took over first (and we moved
 * its fresh lock), the fresh lock is linked back (link fails if the name is
 * taken again, never overwriting) and we keep waiting.
 */

export const LOCK_HEARTBEAT_MS = 10_000;
export const LOCK_STALE_MS = 60_000;

export interface LockOptions {
  signal?: AbortSignal;
  /** Called once when the wait has lasted `noticeMs`, with the holder's token. */
  onWait?: (holder: string) => void;
  noticeMs?: number;
  heartbeatMs?: number;
  staleMs?: number;
  pollMs?: number;
}

/** Whether a process of this host is alive (EPERM: alive, owned by another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `pid@host#nonce` → its parts; older locks hold `pid@host`. */
export function parseLockToken(token: string): { pid: number; host: string } {
  const [pidText, rest = ''] = token.split('@');
  return { pid: Number(pidText), host: rest.split('#')[0] ?? '' };
}

async function readToken(path: string): Promise<{ token: string; mtimeMs: number } | undefined> {
  try {
    const [token, s] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { token, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

/** Takes over a lock judged stale; false when someone else's lock is there now. */
async function takeOver(path: string, staleToken: string): Promise<boolean> {
  // One take-over at a time (a breaker file beside the lock): two waiters that both saw
  // the stale token would otherwise race, the second moving aside the first's fresh
  // lock while a third creates another, and two would hold it.
  const breaker = `${path}.takeover`;
  try {
    const fh = await open(breaker, 'wx');
    await fh.writeFile(`${process.pid}@${hostname()}`);
    await fh.close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // A breaker left by a dead process of this host is removed; otherwise wait for it.
    const { pid, host } = parseLockToken(await readFile(breaker, 'utf8').catch(() => ''));
    if (host === hostname() && Number.isInteger(pid) && !pidAlive(pid))
      await rm(breaker, { force: true });
    return false;
  }
  try {
    const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    if ((await readFile(path, 'utf8').catch(() => '')) !== staleToken) return false;
    try {
      await rename(path, aside);
    } catch {
      return false; // gone already: the next attempt creates it
    }
    const moved = await readFile(aside, 'utf8').catch(() => '');
    if (moved === staleToken) {
      await rm(aside, { force: true });
      return true;
    }
    // The stale holder released and a fresh lock replaced it meanwhile: put it back.
    await link(aside, path).catch(() => undefined);
    await rm(aside, { force: true });
    return false;
  } finally {
    await rm(breaker, { force: true });
  }
}

/** Waits for and takes the lock at `path`; returns the release function. */
export async function acquireLock(
  path: string,
  options: LockOptions = {},
): Promise<() => Promise<void>> {
  const heartbeatMs = options.heartbeatMs ?? LOCK_HEARTBEAT_MS;
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const pollMs = options.pollMs ?? 150;
  const me = `${process.pid}@${hostname()}#${randomBytes(6).toString('hex')}`;
  const t0 = Date.now();
  let told = false;
  /** The last (token, mtime) seen and since when, by this process's clock. */
  let seen: { token: string; mtimeMs: number; since: number } | undefined;
  for (;;) {
    if (options.signal?.aborted) throw new Error('aborted while waiting for a cache lock');
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(me);
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const now = Date.now();
    const cur = await readToken(path);
    if (!cur || cur.token === '') {
      // Between its creation and its first write, or just released.
      await new Promise((r) => setTimeout(r, pollMs));
      continue;
    }
    const { pid, host } = parseLockToken(cur.token);
    let stale = host === hostname() && Number.isInteger(pid) && !pidAlive(pid);
    if (!stale) {
      if (!seen || seen.token !== cur.token || seen.mtimeMs !== cur.mtimeMs)
        seen = { ...cur, since: now };
      else if (now - seen.since >= staleMs) stale = true;
    }
    if (stale) {
      await takeOver(path, cur.token);
      seen = undefined;
      continue;
    }
    if (!told && options.onWait && now - t0 > (options.noticeMs ?? 2000)) {
      told = true;
      options.onWait(cur.token);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const beat = setInterval(() => {
    const t = new Date();
    void utimes(path, t, t).catch(() => undefined);
  }, heartbeatMs);
  beat.unref();
  return async () => {
    clearInterval(beat);
    // Only while it is still ours: a holder judged stale (heartbeat lost) must not remove its successor's lock.
    if ((await readFile(path, 'utf8').catch(() => '')) === me) await rm(path, { force: true });
  };
}
