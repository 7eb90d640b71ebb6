import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `npx chromflow` runs node_modules/.bin/chromflow. npm links a bin only when
// its target exists at install time, so the target must be a committed file,
// not dist/cli.js (issue 17 point 1: `could not determine executable to run`).
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SHIM = fileURLToPath(new URL('../bin/chromflow.mjs', import.meta.url));
const LINK = `${ROOT}node_modules/.bin/chromflow`;

describe('the chromflow bin', () => {
  it('package.json names a committed file, which npm links into node_modules/.bin', async () => {
    const pkg = JSON.parse(
      await readFile(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'),
    ) as { bin: Record<string, string>; files: string[] };
    expect(pkg.bin).toEqual({ chromflow: './bin/chromflow.mjs' });
    expect(pkg.files).toContain('bin');
    accessSync(SHIM, constants.X_OK);
    expect(existsSync(LINK)).toBe(true);
    expect(realpathSync(LINK)).toBe(realpathSync(SHIM));
  });

  it('runs: `chromflow --help` through the link exits 0 with the usage', () => {
    const r = spawnSync(LINK, ['--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('chromflow run <workflow.yaml>');
  });
});
