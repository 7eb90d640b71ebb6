import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Binary, Float32, Int32, makeVector, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readTable, sparseToTable, withEncoding, writeTable } from '@chromflow/core';
import { stages } from '../src/stages/all.js';
import { quietCtx } from './stage-helpers.js';
import type { XChromTrainParams } from '../src/stages/xchrom-train.js';
import { makePlantedData } from './xchrom-fixtures.js';

const { data } = makePlantedData(60, 20, 4);

async function writeInputs(dir: string): Promise<Record<string, string>> {
  const L = data.seqLength;
  const names = data.peakNames;
  const seqs = new Table({
    name: vectorFromArray(names, new Utf8()),
    chrom: vectorFromArray(
      names.map((_, i) => (i % 2 ? 'chr1' : 'chr2')),
      new Utf8(),
    ),
    start: makeVector({ type: new Int32(), data: Int32Array.from(names, (_, i) => i * 1000) }),
    end: makeVector({ type: new Int32(), data: Int32Array.from(names, (_, i) => i * 1000 + L) }),
    codes: vectorFromArray(
      names.map((_, i) => data.codes.slice(i * L, (i + 1) * L)),
      new Binary(),
    ),
  });
  const rows: number[] = [];
  const cols: number[] = [];
  for (let p = 0; p < data.nPeaks; p++) {
    for (let k = data.peakPtr[p]!; k < data.peakPtr[p + 1]!; k++) {
      rows.push(data.cellIndices[k]!);
      cols.push(p);
    }
  }
  const counts = sparseToTable({
    nRows: data.nCells,
    nCols: data.nPeaks,
    rows: Int32Array.from(rows),
    cols: Int32Array.from(cols),
    values: new Float32Array(rows.length).fill(2),
  });
  const cells = new Table({ barcode: vectorFromArray(data.barcodes, new Utf8()) });
  const regions = new Table({
    chrom: vectorFromArray(
      names.map((_, i) => (i % 2 ? 'chr1' : 'chr2')),
      new Utf8(),
    ),
    start: makeVector({ type: new Int32(), data: Int32Array.from(names, (_, i) => i * 1000) }),
    end: makeVector({ type: new Int32(), data: Int32Array.from(names, (_, i) => i * 1000 + L) }),
    name: vectorFromArray(names, new Utf8()),
  });
  const D = data.embeddingDim;
  const embCols: Record<string, ReturnType<typeof makeVector>> = {};
  // Embedding rows in reverse order: the stage must join by barcode, not by position.
  const order = data.barcodes.map((_, i) => data.nCells - 1 - i);
  embCols.barcode = vectorFromArray(
    order.map((c) => data.barcodes[c]!),
    new Utf8(),
  );
  for (let d = 0; d < D; d++) {
    embCols[`pc${d + 1}`] = makeVector({
      type: new Float32(),
      data: Float32Array.from(order, (c) => data.cellInputs[c * D + d]!),
    });
  }
  embCols.b_zscore = makeVector({
    type: new Float32(),
    data: Float32Array.from(order, (c) => data.depth[c]!),
  });
  const paths = {
    sequences: join(dir, 'sequences.parquet'),
    counts: join(dir, 'counts.parquet'),
    cells: join(dir, 'cells.parquet'),
    regions: join(dir, 'regions.parquet'),
    embedding: join(dir, 'embedding.parquet'),
  };
  await writeTable(paths.sequences, withEncoding(seqs, 'sequence-codes', '1'));
  await writeTable(paths.counts, counts);
  await writeTable(paths.cells, withEncoding(cells, 'cells', '1'));
  await writeTable(paths.regions, withEncoding(regions, 'regions', '1'));
  await writeTable(paths.embedding, withEncoding(new Table(embCols), 'cell-embedding', '1'));
  return paths;
}

describe('models.xchrom-train and models.xchrom-predict', () => {
  it('train on upstream tables, then predict a long xchrom-predictions table', async () => {
    process.env.CHROMFLOW_BACKEND = 'cpu';
    const dir = await mkdtemp(join(tmpdir(), 'xchrom-stage-'));
    try {
      const inputs = await writeInputs(dir);
      const [train, predict] = stages;
      const params: XChromTrainParams = {
        size: 'small',
        stemFilters: 8,
        towerFilters: [8, 12],
        bottleneckFilters: 4,
        embeddingDim: 8,
        cellHidden: 8,
        epochs: 2,
        patience: 2,
        batchPeaks: 32,
        learningRate: 0.01,
        seed: 0,
        testPeakFraction: 0.2,
        valFraction: 0.2,
        testCellFraction: 0.2,
        valCellFraction: 0.2,
        testChroms: [],
        workers: 1,
      };
      const out = { checkpoint: join(dir, 'checkpoint'), metrics: join(dir, 'metrics.parquet') };
      const info = await train!.run({
        ...quietCtx(dir),
        params: params as never,
        inputs,
        outputs: out,
      });
      expect(info?.backend).toBe('cpu');
      const metrics = await readTable(out.metrics);
      expect(metrics.schema.metadata.get('chromflow.encoding-type')).toBe('xchrom-metrics');
      const blocks = new Set(
        Array.from({ length: metrics.numRows }, (_, i) =>
          String(metrics.getChild('block')?.get(i)),
        ),
      );
      expect([...blocks].sort()).toEqual([
        'both',
        'testCells',
        'testPeaks',
        'train',
        'val',
        'valCells',
      ]);
      const manifest = JSON.parse(
        await readFile(join(out.checkpoint, 'manifest.json'), 'utf8'),
      ) as {
        history: { valCellsLoss?: number }[];
        dataHashes: Record<string, string>;
        cellsBestEpoch?: number;
      };
      expect(manifest.history).toHaveLength(2);
      expect(manifest.history.every((h) => Number.isFinite(h.valCellsLoss))).toBe(true);
      expect(manifest.cellsBestEpoch).toBeGreaterThanOrEqual(0);
      const split = JSON.parse(await readFile(join(out.checkpoint, 'split.json'), 'utf8')) as {
        trainval_cell: number[];
        val_cell: number[];
        test_cell: number[];
      };
      expect(split.val_cell).toHaveLength(3);
      expect(split.trainval_cell.filter((c) => split.val_cell.includes(c))).toEqual([]);
      expect(existsSync(join(out.checkpoint, 'cells', 'model.json'))).toBe(true);
      expect(Object.keys(manifest.dataHashes).sort()).toEqual([
        'cells',
        'counts',
        'embedding',
        'regions',
        'sequences',
      ]);

      const pred = join(dir, 'predictions.parquet');
      await predict!.run({
        ...quietCtx(dir),
        params: { minProbability: 0, weights: 'unseen-cells' } as never,
        inputs: {
          checkpoint: out.checkpoint,
          sequences: inputs.sequences,
          embedding: inputs.embedding,
        },
        outputs: { predictions: pred },
      });
      const t = await readTable(pred);
      expect(t.schema.metadata.get('chromflow.encoding-type')).toBe('xchrom-predictions');
      expect(t.numRows).toBe(60 * 20);
      const p = t.getChild('probability')!.toArray() as Float32Array;
      expect(p.every((v) => v > 0 && v < 1)).toBe(true);
      expect(t.getChild('region')?.get(20)).toBe(1);
    } finally {
      delete process.env.CHROMFLOW_BACKEND;
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
