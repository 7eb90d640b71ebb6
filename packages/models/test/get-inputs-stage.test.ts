import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SeededRandom, encodingOf, readTable, writeTable } from '@chromflow/core';
import { logCpmFromCounts, makeGeneExpressionTable } from '@chromflow/cell-embedding';
import { regionMotifToTable, regionsToTable } from '@chromflow/genome-io';
import type { Regions } from '@chromflow/genome-io';
import { pseudobulkToTable, scorePseudobulk } from '@chromflow/atac-pseudobulk';
import { getInputs } from '../src/stages/get-inputs.js';
import type { GetInputsParams } from '../src/stages/get-inputs.js';
import { getFinetune, type GetFinetuneParams } from '../src/stages/get-finetune.js';
import { readGetCheckpoint } from '../src/get/checkpoint.js';

const quiet = (dir: string) => ({
  tempDir: dir,
  log: { info: (): void => undefined, warn: (): void => undefined },
  onProgress: (): void => undefined,
  signal: new AbortController().signal,
});

const params: GetInputsParams = {
  accessibility: 'quantitative',
  windowSize: 10,
  stride: 5,
  tssFlank: 300,
  shortChromosomes: 'error',
  xchromCellTypes: [],
  cellTypes: [],
  labelColumn: 'cell_type',
};

/** 2 chromosomes × 12 regions of 500 bp every 2 kb; genes with TSSs at every third region's centre. */
async function writeUpstream(
  dir: string,
  geneChrom: (c: string) => string,
): Promise<Record<string, string>> {
  const rng = new SeededRandom(3);
  const n = 24;
  const regions: Regions = {
    chromNames: ['chr1', 'chr2'],
    chromIds: Int32Array.from({ length: n }, (_, i) => (i < 12 ? 0 : 1)),
    starts: Int32Array.from({ length: n }, (_, i) => (i % 12) * 2000),
    ends: Int32Array.from({ length: n }, (_, i) => (i % 12) * 2000 + 500),
    names: Array.from({ length: n }, (_, i) => `p${i}`),
    columns: {},
    length: n,
  };
  const clusters = ['A', 'B'];
  const motif = {
    nRegions: n,
    clusters,
    values: Float32Array.from({ length: n * 2 }, () => rng.uniform()),
    columnMax: Float32Array.from([1, 1]),
    aggregation: 'sum' as const,
  };
  const counts = Float64Array.from({ length: 2 * n }, () => rng.int(0, 20));
  const pb = { groups: ['T1', 'T2'], nRegions: n, counts, nCells: Int32Array.from([5, 5]) };
  const genes = Array.from({ length: 8 }, (_, g) => 3 * g);
  const rna = {
    groups: ['T1', 'T2'],
    nGenes: genes.length,
    counts: Float64Array.from({ length: 2 * genes.length }, () => rng.int(0, 100)),
    nCells: Int32Array.from([5, 5]),
  };
  const expression = makeGeneExpressionTable(
    rna,
    logCpmFromCounts(rna),
    genes.map((r) => `G${r}`),
    genes.map((r) => `g${r}`),
    {
      geneIds: genes.map((r) => `G${r}`),
      geneNames: genes.map((r) => `g${r}`),
      chroms: genes.map((r) => geneChrom(r < 12 ? 'chr1' : 'chr2')),
      strands: genes.map((r) => (r % 2 ? '-' : '+')),
      tsses: Int32Array.from(genes, (r) => (r % 12) * 2000 + 250),
    },
  ).table;
  const paths = {
    regions: join(dir, 'regions.parquet'),
    'region-motif': join(dir, 'region_motif.parquet'),
    pseudobulk: join(dir, 'pseudobulk.parquet'),
    expression: join(dir, 'expression.parquet'),
  };
  await writeTable(paths.regions, regionsToTable(regions));
  await writeTable(paths['region-motif'], regionMotifToTable(motif, regions.names));
  await writeTable(paths.pseudobulk, pseudobulkToTable(pb, scorePseudobulk(pb)));
  await writeTable(paths.expression, expression);
  return paths;
}

describe('models.get-inputs', () => {
  it('writes three tables with their encodings from upstream tables; each TSS region labelled on its strand', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'get-stage-'));
    try {
      const inputs = await writeUpstream(dir, (c) => c);
      const out = join(dir, 'out');
      await mkdir(out);
      const outputs = {
        windows: join(out, 'windows.parquet'),
        features: join(out, 'features.parquet'),
        labels: join(out, 'labels.parquet'),
      };
      const info = await getInputs.run({ ...quiet(dir), params, inputs, outputs });
      // 12 regions per chromosome, windows of 10 every 5: one at 0, then one ending at 12 (first 2).
      expect(info?.metrics).toMatchObject({
        regions: 24,
        clusters: 2,
        windows: 4,
        cellTypes: 2,
        tssLabels: 8,
      });
      for (const [port, type] of [
        ['windows', 'get-windows'],
        ['features', 'get-features'],
        ['labels', 'get-labels'],
      ] as const) {
        expect(encodingOf(await readTable(outputs[port]))?.type).toBe(type);
      }
      const labels = await readTable(outputs.labels);
      const plus = labels.getChild('tss_plus')!.toArray() as unknown as boolean[];
      expect(Array.from(plus).filter(Boolean).length).toBe(2 * 4); // 2 types × 4 '+' genes (even ids)
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses RNA from another build naming the expression file, and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'get-stage-'));
    try {
      const inputs = await writeUpstream(dir, (c) => c.replace('chr', ''));
      const out = join(dir, 'out');
      await mkdir(out);
      const outputs = {
        windows: join(out, 'windows.parquet'),
        features: join(out, 'features.parquet'),
        labels: join(out, 'labels.parquet'),
      };
      await expect(getInputs.run({ ...quiet(dir), params, inputs, outputs })).rejects.toThrow(
        expect.objectContaining({ path: inputs['expression'], field: 'chrom' }) as Error,
      );
      expect(await readdir(out)).toEqual([]);
      await expect(
        getInputs.run({
          ...quiet(dir),
          params: { ...params, windowSize: 13 },
          inputs: await writeUpstream(dir, (c) => c),
          outputs,
        }),
      ).rejects.toThrow(
        expect.objectContaining({ path: inputs['regions'], field: 'windowSize' }) as Error,
      );
      expect(await readdir(out)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('feeds models.get-finetune, whose expressionLoss and positional (learned, relative) reach the checkpoint only when asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'get-stage-'));
    try {
      const inputs = await writeUpstream(dir, (c) => c);
      const tables = {
        windows: join(dir, 'windows.parquet'),
        features: join(dir, 'features.parquet'),
        labels: join(dir, 'labels.parquet'),
      };
      await getInputs.run({ ...quiet(dir), params, inputs, outputs: tables });
      const base: GetFinetuneParams = {
        task: 'expression',
        size: 'tiny',
        loraRank: 0,
        loraAlpha: 16,
        epochs: 1,
        patience: 1,
        batchSize: 2,
        learningRate: 1e-3,
        seed: 0,
        workers: 1,
        expressionLoss: 'all',
        positional: 'none',
        testCellTypes: ['T2'],
        testChroms: [],
        valChroms: ['chr2'],
      };
      const configOf = async (p: GetFinetuneParams, name: string) => {
        const outputs = {
          checkpoint: join(dir, name),
          metrics: join(dir, `${name}-metrics.parquet`),
        };
        await getFinetune.run({ ...quiet(dir), params: p, inputs: tables, outputs });
        return (await readGetCheckpoint(outputs.checkpoint)).config;
      };
      const plain = await configOf(base, 'plain');
      expect(plain.expressionLoss).toBeUndefined();
      expect(plain.positional).toBe('none');
      const tss = await configOf({ ...base, expressionLoss: 'tss', positional: 'learned' }, 'tss');
      expect(tss.expressionLoss).toBe('tss');
      expect(tss.positional).toBe('learned');
      expect(tss.maxRegions).toBe(params.windowSize);
      // Relative positions train, select and predict from the features' region coordinates.
      const rel = await configOf({ ...base, positional: 'relative' }, 'relative');
      expect(rel.positional).toBe('relative');
      const metrics = await readTable(join(dir, 'relative-metrics.parquet'));
      expect(metrics.numRows).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
