import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { readH5ad } from '@chromflow/cell-embedding';
import { openCooler, readCoolerPixels } from '@chromflow/structure-analysis';
import { describe, expect, it } from 'vitest';
import { startChromflow } from './cli-helpers.js';
import { slurmMissing } from './slurm-helpers.js';

// pipeline:full's workflow through Slurm and through the local executor:
// byte-identical outputs, stage by stage (h5ad files: identical content). Training runs 2 epochs instead
// of 60 (about 3.5 min of the 4 on 2 cores): every stage of full.yaml runs,
// on the same test-data/.
const missing = slurmMissing();
if (missing) console.warn(`skipping: Slurm full-workflow test: ${missing}`);

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function fullWorkflow(): Promise<string> {
  const text = await readFile(join(ROOT, 'workflows', 'full.yaml'), 'utf8');
  const shortened = text.replace(/epochs: \d+/, 'epochs: 2');
  expect(shortened).not.toBe(text);
  return shortened
    .replaceAll('../test-data/', `${join(ROOT, 'test-data')}/`)
    .replace(/^cache: .*$/m, 'cache: cache')
    .replace(/^results: .*$/m, 'results: results');
}

/** What a `.cool` holds: chromosomes, bins, weights and pixels (its HDF5 headers carry write times). */
async function coolerContent(path: string): Promise<unknown> {
  const cool = await openCooler(path);
  try {
    return {
      binSize: cool.binSize,
      chromNames: cool.chromNames,
      chromLengths: cool.chromLengths,
      bins: [cool.binChroms, cool.binStarts, cool.binEnds],
      offsets: [cool.chromOffsets, cool.bin1Offsets],
      weights: cool.weights,
      pixels: readCoolerPixels(cool),
    };
  } finally {
    cool.close();
  }
}

/** Stage id → its entry directory, from the cache's run record of the workflow. */
async function entriesById(cacheDir: string): Promise<Map<string, string>> {
  const [name] = await readdir(join(cacheDir, 'runs'));
  const record = JSON.parse(await readFile(join(cacheDir, 'runs', name!), 'utf8')) as {
    stages: { id: string; entryDir?: string }[];
  };
  return new Map(record.stages.map((s) => [s.id, s.entryDir ?? '']));
}

/** Every file under an entry, relative path → bytes; the manifest (timings, host, placement) left out. */
async function entryFiles(entry: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      if ((await stat(path)).isDirectory()) await walk(path, `${rel}${name}/`);
      else if (`${rel}${name}` !== 'manifest.json') out.set(`${rel}${name}`, await readFile(path));
    }
  };
  await walk(entry, '');
  return out;
}

async function run(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  const r = startChromflow(args, {
    cwd,
    env: { CHROMFLOW_GPUS: '', CHROMFLOW_SLURM_POLL_MS: '250' },
  });
  const code = await r.exited;
  return { code, stderr: r.stderr() };
}

describe.skipIf(missing !== undefined)('full.yaml through Slurm', () => {
  it('gives byte-identical outputs to the local executor, stage by stage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chromflow-slurm-full-'));
    const wf = join(dir, 'full.yaml');
    await writeFile(wf, await fullWorkflow());
    const local = await run(['run', wf, '--cache', join(dir, 'cache-local')], dir);
    expect(local.code, local.stderr).toBe(0);
    const slurm = await run(
      ['run', wf, '--cache', join(dir, 'cache-slurm'), '--executor', 'slurm', '--time', '30'],
      dir,
    );
    expect(slurm.code, slurm.stderr).toBe(0);
    const stages = (/— (\d+) stages/.exec(slurm.stderr) ?? [])[1];
    expect(slurm.stderr).toContain(`${stages} ran, 0 cached, 0 failed`);
    expect(slurm.stderr.match(/submitted as slurm job \d+/g)).toHaveLength(Number(stages));
    const byLocal = await entriesById(join(dir, 'cache-local'));
    const viaSlurm = await entriesById(join(dir, 'cache-slurm'));
    expect([...viaSlurm.keys()]).toEqual([...byLocal.keys()]);
    let compared = 0;
    for (const [id, entry] of byLocal) {
      const a = await entryFiles(entry);
      const b = await entryFiles(viaSlurm.get(id)!);
      expect([...b.keys()], id).toEqual([...a.keys()]);
      for (const [path, bytes] of a) {
        if (path.endsWith('.h5ad')) {
          // The h5ad writer's HDF5 object headers carry their write time, so two
          // writes of the same data differ in those bytes (two local runs too):
          // compare what they hold.
          expect(await readH5ad(join(viaSlurm.get(id)!, path)), `${id}/${path}`).toEqual(
            await readH5ad(join(entry, path)),
          );
        } else if (path.endsWith('.cool')) {
          // HDF5 too (the CLASTER program's contact map).
          expect(await coolerContent(join(viaSlurm.get(id)!, path)), `${id}/${path}`).toEqual(
            await coolerContent(join(entry, path)),
          );
        } else {
          // Everything else byte for byte: checkpoints hold no wall time (throughput
          // goes to the entry's manifest.json, which is not an output).
          expect(b.get(path)!.equals(bytes), `${id}/${path}`).toBe(true);
        }
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(Number(stages));
  }, 1_200_000);
});
