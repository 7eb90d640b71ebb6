import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
export const PLUGIN = fileURLToPath(new URL('./fixtures/stages.mjs', import.meta.url));
// Run the CLI from source, as a real process, the way tests run packages.
// tsx is resolved from this package, not from the (temporary) working directory.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
export const NODE_ARGS = ['--import', TSX, '--conditions=@chromflow/source'];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function chromflow(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): CliResult {
  const r = spawnSync(process.execPath, [...NODE_ARGS, CLI, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, CI: 'true', ...opts.env },
    encoding: 'utf8',
    // Generous: on a loaded 2-core machine one CLI run took over 60 s.
    timeout: opts.timeoutMs ?? 180_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI in its own process group (so a test can kill the whole group). */
export function startChromflow(
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
) {
  const child = spawn(process.execPath, [...NODE_ARGS, CLI, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, CI: 'true', ...opts.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { child, exited, stderr: () => stderr };
}

/** A temp project: a workflow file using the fixture plugin, number files and a trace file. */
export async function makeProject(
  yaml: string,
): Promise<{ dir: string; wf: string; trace: string; env: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'chromflow-pipeline-'));
  await writeFile(join(dir, 'three.txt'), '3');
  const wf = join(dir, 'wf.yaml');
  await writeFile(wf, yaml.replace('$PLUGIN', PLUGIN));
  const trace = join(dir, 'trace.txt');
  await writeFile(trace, '');
  return { dir, wf, trace, env: { CHROMFLOW_TEST_TRACE: trace, CHROMFLOW_GPUS: '' } };
}

export async function traced(trace: string): Promise<string[]> {
  return (await readFile(trace, 'utf8')).split('\n').filter(Boolean);
}

export async function waitFor(cond: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
