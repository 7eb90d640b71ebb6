import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Where the shared real-data folder is: `$CHROMFLOW_SHARED_DATA`, else
 * `<repo root>/../shared/data` (the repo root is the nearest folder above
 * `from` holding `nx.json`). Undefined when absent, so tests can skip and say so.
 */
export function sharedDataDir(from = process.cwd()): string | undefined {
  const env = process.env['CHROMFLOW_SHARED_DATA'];
  if (env) return existsSync(env) ? resolve(env) : undefined;
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) {
      const data = join(dir, '..', 'shared', 'data');
      return existsSync(data) ? data : undefined;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Path of a file under the shared data folder, or undefined (after printing
 * which file is missing) when it is not there.
 */
export function sharedDataFile(...segments: string[]): string | undefined {
  const dir = sharedDataDir();
  const path = dir ? join(dir, ...segments) : undefined;
  if (!path || !existsSync(path)) {
    console.warn(`skipping: ../shared/data/${segments.join('/')} is not available`);
    return undefined;
  }
  return path;
}
