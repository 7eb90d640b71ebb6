import { spawnSync } from 'node:child_process';

/**
 * A python3 that can import `modules`, or undefined (with a message saying
 * what is missing). Tries $CHROMFLOW_PYTHON, `python3` on PATH, then the
 * system /usr/bin/python3 (where Debian's python3-sklearn/h5py live).
 */
export function findPython(...modules: string[]): string | undefined {
  const candidates = [process.env['CHROMFLOW_PYTHON'], 'python3', '/usr/bin/python3'].filter(
    (c): c is string => !!c,
  );
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', modules.map((m) => `import ${m}`).join('; ')], {
      encoding: 'utf8',
    });
    if (r.status === 0) return py;
  }
  console.warn(`skipping: no python3 with ${modules.join(', ')} (oracle unavailable)`);
  return undefined;
}

/** Runs a python script (path relative to the package) and parses its JSON stdout. */
export function runPythonJson<T>(python: string, script: string, args: string[]): T {
  const r = spawnSync(python, [new URL(`./oracle/${script}`, import.meta.url).pathname, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Like `runPythonJson`, with `input` sent as JSON on stdin. */
export function runPythonJsonInput<T>(python: string, script: string, input: unknown): T {
  const r = spawnSync(python, [new URL(`./oracle/${script}`, import.meta.url).pathname], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
