import { existsSync } from 'node:fs';
import { mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../src/cache-lock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lockPath(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'chromflow-lock-')), 'k.lock');
}

/** Resolves to the time acquireLock took, or 'pending' if it has not returned after `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<'acquired' | 'pending'> {
  return Promise.race([
    p.then(() => 'acquired' as const),
    sleep(ms).then(() => 'pending' as const),
  ]);
}

describe('cache lock on shared storage (heartbeat staleness)', () => {
  it('never takes over a lock from another host while its heartbeat runs, even with its clock an hour behind', async () => {
    const path = await lockPath();
    await writeFile(path, '4242@other-node#abc');
    // The holder's clock is an hour behind ours: its mtimes look old, but they advance.
    let t = (Date.now() - 3_600_000) / 1000;
    const beat = setInterval(() => void utimes(path, (t += 0.1), t), 100);
    const controller = new AbortController();
    const waiting = acquireLock(path, { staleMs: 600, pollMs: 20, signal: controller.signal });
    try {
      expect(await within(waiting, 2000)).toBe('pending');
      expect(await readFile(path, 'utf8')).toBe('4242@other-node#abc');
      // The holder stops (its node died): the lock goes stale staleMs after the last beat.
      clearInterval(beat);
      const t0 = Date.now();
      const release = await waiting;
      expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(await readFile(path, 'utf8')).toMatch(new RegExp(`^${process.pid}@`));
      await release();
      expect(existsSync(path)).toBe(false);
    } finally {
      clearInterval(beat);
      controller.abort();
    }
  });

  it('takes over at once a lock of this host whose process is gone', async () => {
    const path = await lockPath();
    // pid 2^22+1 is above Linux's pid_max ceiling: no such process.
    await writeFile(path, `${2 ** 22 + 1}@${hostname()}#dead`);
    const t0 = Date.now();
    const release = await acquireLock(path, { staleMs: 60_000, pollMs: 20 });
    expect(Date.now() - t0).toBeLessThan(1000);
    await release();
  });

  it('keeps a held lock alive by its heartbeat, so a waiter with a short stale time still waits', async () => {
    const path = await lockPath();
    const release = await acquireLock(path, { heartbeatMs: 50 });
    const controller = new AbortController();
    const waiting = acquireLock(path, { staleMs: 400, pollMs: 20, signal: controller.signal });
    // Our own pid is alive on this host, so only the heartbeat rule applies to a foreign-looking token.
    await writeFile(path, (await readFile(path, 'utf8')).replace(`@${hostname()}#`, '@elsewhere#'));
    expect(await within(waiting, 1500)).toBe('pending');
    controller.abort();
    await expect(waiting).rejects.toThrow(/aborted/);
    await release();
  });

  it('lets exactly one of many concurrent waiters in at a time', async () => {
    const path = await lockPath();
    await writeFile(path, `${2 ** 22 + 1}@${hostname()}#dead`);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const release = await acquireLock(path, { pollMs: 5 });
        inside++;
        most = Math.max(most, inside);
        await sleep(20);
        inside--;
        await release();
      }),
    );
    expect(most).toBe(1);
  });
});
