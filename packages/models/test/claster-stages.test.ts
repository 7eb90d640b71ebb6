import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTable, readTable, SeededRandom, writeTable, type Stage } from '@chromflow/core';
import { openBigWig, writeBigWig } from '@chromflow/genome-io';
import { encodeNpy } from '@chromflow/structure-analysis';
import { loadClasterModel } from '../src/claster/checkpoint.js';
import { stages } from '../src/stages/all.js';
import { quietCtx } from './stage-helpers.js';

function stage(name: string): Stage {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s as unknown as Stage;
}

/** The schema defaults with `over` on top. */
function params(s: Stage, over: Record<string, unknown>): never {
  const d = Object.fromEntries(Object.entries(s.params.properties).map(([k, v]) => [k, v.default]));
  return { ...d, ...over } as never;
}

const tracks = ['ATAC', 'H3K4me3', 'H3K27ac', 'H3K27me3'];
const bins = 41;
const outputs = 11;
const chroms = ['chr1', 'chr1', 'chr2', 'chr17', 'chr4'];
const n = 30;
let dir: string;
let inputs: Record<string, string>;

/** Files in `structure-analysis.claster-inputs`' layout: samples table, arrays folder, a reference bigWig. */
async function writeInputs(d: string): Promise<Record<string, string>> {
  const rng = new SeededRandom(2);
  const landscape = new Float32Array(n * 4 * bins);
  const targets = new Float32Array(n * outputs);
  for (let g = 0; g < n; g++) {
    for (let i = 0; i < 4 * bins; i++) landscape[g * 4 * bins + i] = rng.uniform() < 0.2 ? 3 : 0.05;
    const a = landscape[g * 4 * bins + 20]! + landscape[(g * 4 + 1) * bins + 20]!;
    for (let k = 0; k < outputs; k++) targets[g * outputs + k] = a * Math.exp(-Math.abs(k - 5));
  }
  const arrays = join(d, 'arrays');
  await mkdir(arrays, { recursive: true });
  await writeFile(join(arrays, 'landscape.npy'), encodeNpy(landscape, [n, 4, bins]));
  await writeFile(join(arrays, 'targets.npy'), encodeNpy(targets, [n, outputs]));
  await writeFile(
    join(arrays, 'arrays.json'),
    JSON.stringify({
      format: 'chromflow-claster-arrays',
      version: 1,
      genes: n,
      tracks,
      landscape: { file: 'landscape.npy', shape: [n, 4, bins], binSize: 100 },
      targets: { file: 'targets.npy', shape: [n, outputs], binSize: 1000 },
    }),
  );
  const chromOf = (g: number): string => chroms[g % chroms.length]!;
  const samples = join(d, 'samples.parquet');
  await writeTable(
    samples,
    makeTable(
      {
        gene: Array.from({ length: n }, (_, g) => `G${g}`),
        chromosome: Array.from({ length: n }, (_, g) => chromOf(g)),
        strand: Array.from({ length: n }, (_, g) => (g % 3 ? '+' : '-')),
        tss: Int32Array.from({ length: n }, (_, g) => 20_000 + 7_000 * g),
        split: Array.from({ length: n }, (_, g) =>
          chromOf(g) === 'chr4' ? 'test' : chromOf(g) === 'chr17' ? 'validation' : 'train',
        ),
        masked_bins: new Int32Array(n),
      },
      'claster-samples',
    ),
  );
  const reference = join(d, 'reference.bw');
  const names = ['chr1', 'chr2', 'chr4', 'chr17'];
  await writeBigWig(reference, {
    chroms: names.map((name) => ({ name, length: 500_000 })),
    intervals: new Map(
      names.map((c) => [
        c,
        { starts: Int32Array.of(0), ends: Int32Array.of(1000), values: Float32Array.of(1) },
      ]),
    ),
  });
  return { samples, arrays, reference };
}

beforeAll(async () => {
  process.env.CHROMFLOW_BACKEND = 'cpu';
  dir = await mkdtemp(join(tmpdir(), 'claster-stages-'));
  inputs = await writeInputs(dir);
});

afterAll(async () => {
  delete process.env.CHROMFLOW_BACKEND;
  await rm(dir, { recursive: true, force: true });
});

describe('CLASTER stages', () => {
  it('train → predict (table, bigWig, metrics) → perturb', async () => {
    const train = stage('models.claster-train');
    expect(train.resources.gpu).toBe(true);
    const checkpoint = join(dir, 'checkpoint');
    const info = await train.run({
      ...quietCtx(dir),
      params: params(train, { size: 'tiny', epochs: 2, batchSize: 8 }),
      inputs: { samples: inputs.samples!, arrays: inputs.arrays! },
      outputs: { checkpoint },
    });
    expect(info?.metrics?.['epochsRun']).toBe(2);

    const predict = stage('models.claster-predict');
    const out = {
      predictions: join(dir, 'predictions.parquet'),
      track: join(dir, 'track.bw'),
      metrics: join(dir, 'metrics.parquet'),
    };
    const pi = await predict.run({
      ...quietCtx(dir),
      params: params(predict, { localityGenes: 2 }),
      inputs: { ...inputs, checkpoint },
      outputs: out,
    });
    const t = await readTable(out.predictions);
    expect(t.numRows).toBe(n * outputs);
    expect(t.schema.fields.map((f) => f.name)).toEqual([
      'gene',
      'chromosome',
      'strand',
      'split',
      'offset_kb',
      'predicted',
      'observed',
    ]);
    expect(Number.isFinite(pi?.metrics?.['binPearson:test'])).toBe(true);
    expect(pi?.metrics?.['shareWithinHalfWidth:locality']).toBeGreaterThan(0);
    const bw = await openBigWig(out.track);
    const iv = await bw.fetch('chr1', 0, 500_000);
    expect(iv.starts.length).toBeGreaterThan(0);
    const m = await readTable(out.metrics);
    expect(m.schema.metadata.get('chromflow.encoding-type')).toBe('claster-metrics');

    const perturb = stage('models.claster-perturb');
    const effects = join(dir, 'effects.parquet');
    await perturb.run({
      ...quietCtx(dir),
      params: params(perturb, {
        perturbations: [
          { name: 'promoter', tracks: ['ATAC', 'H3K4me3'], from: -2, to: 2, mode: 'zero' },
          { name: 'distal', tracks: ['H3K27ac'], from: 10, to: 15, mode: 'zero' },
          { name: 'background', tracks: ['H3K27me3'], from: -5, to: 5, mode: 'background' },
        ],
      }),
      inputs: { samples: inputs.samples!, arrays: inputs.arrays!, checkpoint },
      outputs: { effects },
    });
    const e = await readTable(effects);
    const testGenes = Array.from({ length: n }, (_, g) => g).filter(
      (g) => chroms[g % chroms.length] === 'chr4',
    ).length;
    expect(e.numRows).toBe(3 * testGenes);
    await expect(
      perturb.run({
        ...quietCtx(dir),
        params: params(perturb, {
          perturbations: [{ name: 'x', tracks: ['H3K9me3'], from: -1, to: 1, mode: 'zero' }],
        }),
        inputs: { samples: inputs.samples!, arrays: inputs.arrays!, checkpoint },
        outputs: { effects: join(dir, 'e2.parquet') },
      }),
    ).rejects.toThrow(/track the samples lack/);
  }, 300_000);

  it('norm batch: the checkpoint carries moving statistics that predict uses; the default has no norm key', async () => {
    const train = stage('models.claster-train');
    const predict = stage('models.claster-predict');
    for (const norm of ['batch', 'layer']) {
      const checkpoint = join(dir, `checkpoint-${norm}`);
      await train.run({
        ...quietCtx(dir),
        params: params(train, { size: 'tiny', epochs: 1, batchSize: 8, norm }),
        inputs: { samples: inputs.samples!, arrays: inputs.arrays! },
        outputs: { checkpoint },
      });
      const { model } = await loadClasterModel(checkpoint);
      const stats = model.stateVariables();
      if (norm === 'batch') {
        expect(model.config.norm).toBe('batch');
        // tiny: two blocks of two norms and the branch's own, a mean and a variance each
        expect(stats).toHaveLength(2 * 5);
        // Moved off their start (0 / 1) by the training passes.
        const moved = stats.map((v) => Math.max(...Array.from(v.dataSync(), Math.abs)));
        expect(moved.filter((x) => x !== 0 && x !== 1)).toHaveLength(stats.length);
      } else {
        expect('norm' in model.config).toBe(false);
        expect(stats).toHaveLength(0);
      }
      model.dispose();
      const pi = await predict.run({
        ...quietCtx(dir),
        params: params(predict, { localityGenes: 2 }),
        inputs: { ...inputs, checkpoint },
        outputs: {
          predictions: join(dir, `p-${norm}.parquet`),
          track: join(dir, `t-${norm}.bw`),
          metrics: join(dir, `m-${norm}.parquet`),
        },
      });
      expect(Number.isFinite(pi?.metrics?.['binPearson:test'])).toBe(true);
    }
  }, 300_000);

  it('arrays of another sample table are refused', async () => {
    const train = stage('models.claster-train');
    const other = join(dir, 'other.parquet');
    const t = await readTable(inputs.samples!);
    await writeTable(other, t.slice(0, 5));
    await expect(
      train.run({
        ...quietCtx(dir),
        params: params(train, { size: 'tiny', epochs: 1 }),
        inputs: { samples: other, arrays: inputs.arrays! },
        outputs: { checkpoint: join(dir, 'ck2') },
      }),
    ).rejects.toThrow(/do not belong to the samples table/);
  });
});
