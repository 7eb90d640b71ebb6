import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/** A python3 that imports torch (Debian's first), or undefined: the twin tests then skip, saying so. */
export function torchPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (!existsSync(py) && py.startsWith('/')) continue;
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** max |a − b| / max |b| (same lengths asserted). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / Math.max(den, 1e-30);
}
