import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when `name` runs here; prints why a differential test is skipped otherwise. */
export function hasTool(name: string): boolean {
  const ok = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
  if (!ok)
    console.warn(
      `skipping: ${name} is not installed (apt-get install ${name === 'bgzip' ? 'tabix' : name})`,
    );
  return ok;
}

/** stdout of a command as a string (throws on a non-zero exit). */
export function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 30, encoding: 'latin1' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'chromflow-genome-io-'));
}
