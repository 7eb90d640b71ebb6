import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ChromflowError } from '@chromflow/core';
import { DEFAULT_SIMULATION, scaleSimulation, simulateDataset } from './dataset.js';
import { writeDataset } from './write-dataset.js';
import { DEFAULT_GET_PROGRAM, scaleGetProgram, simulateGetProgram } from './get-program.js';
import { writeGetProgram } from './write-get-program.js';
import {
  DEFAULT_CLASTER_PROGRAM,
  scaleClasterProgram,
  simulateClasterProgram,
} from './claster-program.js';
import { writeClasterProgram } from './write-claster-program.js';

/**
 * `simulate --out <dir> --seed <n> [--scale <x>] [--program multiome|get|claster] [--chromosomes <n>]`:
 * writes the data set (or the GET expression or CLASTER program) and prints each file with its size.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      scale: { type: 'string', default: '1' },
      program: { type: 'string', default: 'multiome' },
      chromosomes: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: simulate [--out <dir>] [--seed <n>] [--scale <x>] [--program multiome|get|claster] [--chromosomes <n>]\n' +
        '  default out: the repository test-data/, seed 1, scale 1\n' +
        '  --scale: x times the genome, peaks and per-cell depth (same cells), e.g. 10 for sequence-model evaluation\n' +
        '  --program get: the GET expression program (8 cell types; no default out: give --out), scale = x regions\n' +
        '  --chromosomes <n>: with --program get, n chromosomes of the same length (default 3)\n' +
        '  --program claster: the CLASTER chromatin → EU-seq program (give --out), scale = x chromosome length and genes\n',
    );
    return;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ChromflowError(
      'PARAM',
      `--seed must be an integer in [0, 4294967295], got '${values.seed}'.`,
      {
        field: 'seed',
      },
    );
  }
  if (values.program !== 'multiome' && values.program !== 'get' && values.program !== 'claster') {
    throw new ChromflowError(
      'PARAM',
      `--program must be multiome, get or claster, got '${values.program}'.`,
      {
        field: 'program',
      },
    );
  }
  if (values.program !== 'multiome' && values.out === undefined) {
    throw new ChromflowError(
      'PARAM',
      `--program ${values.program} needs --out (test-data/ holds the multiome program).`,
      {
        field: 'out',
      },
    );
  }
  const out = resolve(
    values.out ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../test-data'),
  );
  const t0 = performance.now();
  const scale = Number(values.scale);
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new ChromflowError('PARAM', `--scale must be a positive number, got '${values.scale}'.`, {
      field: 'scale',
    });
  }
  if (values.chromosomes !== undefined && values.program !== 'get') {
    throw new ChromflowError('PARAM', `--chromosomes applies to --program get only.`, {
      field: 'chromosomes',
    });
  }
  const chromosomes = Number(values.chromosomes ?? DEFAULT_GET_PROGRAM.chromosomes);
  if (!Number.isInteger(chromosomes) || chromosomes < 1) {
    throw new ChromflowError(
      'PARAM',
      `--chromosomes must be a positive integer, got '${values.chromosomes}'.`,
      { field: 'chromosomes' },
    );
  }
  if (values.program === 'get') {
    const p = simulateGetProgram({
      ...scaleGetProgram(DEFAULT_GET_PROGRAM, scale),
      seed,
      chromosomes,
    });
    const files = await writeGetProgram(out, p);
    const total = files.reduce((a, f) => a + f.bytes, 0);
    for (const f of files) process.stdout.write(`${f.bytes.toString().padStart(10)}  ${f.path}\n`);
    process.stdout.write(
      `${total.toString().padStart(10)}  total in ${out}\n` +
        `GET program seed ${seed}: ${p.options.cellTypes.length} cell types, ${p.cells.length} cells, ${p.chroms.length} chromosomes, ${p.regions.length} regions, ` +
        `${p.genes.length} genes, ${p.fragments.length} fragments (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
    return;
  }
  if (values.program === 'claster') {
    const p = simulateClasterProgram({
      ...scaleClasterProgram(DEFAULT_CLASTER_PROGRAM, scale),
      seed,
    });
    const files = await writeClasterProgram(out, p);
    const total = files.reduce((a, f) => a + f.bytes, 0);
    for (const f of files) process.stdout.write(`${f.bytes.toString().padStart(10)}  ${f.path}\n`);
    process.stdout.write(
      `${total.toString().padStart(10)}  total in ${out}\n` +
        `CLASTER program seed ${seed}: ${p.chroms.length} chromosomes, ${p.genes.length} genes, ` +
        `${p.enhancers.length} enhancers, ${p.contacts.count.length} contact pixels ` +
        `(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
    return;
  }
  const ds = simulateDataset({ ...scaleSimulation(DEFAULT_SIMULATION, scale), seed });
  const files = await writeDataset(out, ds);
  let total = 0;
  for (const f of files) {
    total += f.bytes;
    process.stdout.write(`${f.bytes.toString().padStart(10)}  ${f.path}\n`);
  }
  process.stdout.write(
    `${total.toString().padStart(10)}  total in ${out}\n` +
      `seed ${seed}: ${ds.cells.length} cells, ${ds.peaks.length} peaks, ${ds.fragments.starts.length} fragments, ` +
      `${ds.genes.length} genes, ${ds.instances.length} motif sites (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof ChromflowError ? e.format() : String(e)}\n`);
  process.exitCode = 1;
});
