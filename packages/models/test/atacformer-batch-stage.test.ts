import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SeededRandom, readTable, writeTable } from '@chromflow/core';
import {
  tokenSetsToTable,
  vocabularyHash,
  writeVocabulary,
  type Vocabulary,
} from '@chromflow/atac-pseudobulk';
import { loadAtacformerModel } from '../src/atacformer/checkpoint.js';
import { quietCtx, stage, pretrainTinyAtacformer } from './stage-helpers.js';

/** 40 cells on 30 regions: type by region half, batch by 4 extra regions of its own. */
async function writeInputs(dir: string): Promise<{ tokens: string; vocabulary: string }> {
  const starts = Int32Array.from({ length: 38 }, (_, i) => 1000 * i);
  const v: Vocabulary = {
    regions: {
      chromNames: ['chr1'],
      chromIds: new Int32Array(38),
      starts,
      ends: Int32Array.from(starts, (s) => s + 500),
    },
  };
  const rng = new SeededRandom(5);
  const offsets = [0];
  const tokens: number[] = [];
  for (let r = 0; r < 40; r++) {
    const set = new Set<number>();
    while (set.size < 6) set.add((r % 2 === 0 ? 7 : 22) + rng.int(0, 15));
    while (set.size < 9) set.add(37 + 4 * (Math.floor(r / 2) % 2) + rng.int(0, 4));
    tokens.push(...[...set].sort((a, b) => a - b));
    offsets.push(tokens.length);
  }
  const sets = {
    barcodes: Array.from({ length: 40 }, (_, r) => `cell${r}`),
    offsets: Int32Array.from(offsets),
    tokens: Int32Array.from(tokens),
    nOverlapped: Int32Array.from({ length: 40 }, (_, r) => offsets[r + 1]! - offsets[r]!),
  };
  const paths = { tokens: join(dir, 'tokens.arrow'), vocabulary: join(dir, 'vocabulary.tsv') };
  await writeVocabulary(paths.vocabulary, v);
  await writeTable(
    paths.tokens,
    tokenSetsToTable(sets, { vocabularyHash: vocabularyHash(v), contextLength: 8192, seed: 0 }),
  );
  return paths;
}

const batchParams = {
  labelColumn: 'cell_type',
  epochs: 2,
  patience: 2,
  batchSize: 8,
  learningRate: 1e-2,
  valFraction: 0.2,
  crossEntropyWeight: 1,
  seed: 0,
  mode: 'batch',
  batchColumn: 'batch',
  adversaryWeight: 1,
  reversal: 0.1,
  unfrozenLayers: 2,
};

describe("models.atacformer-finetune mode 'batch'", () => {
  it('writes a corrected checkpoint the embed stage reads and an empty predictions table; refuses one batch', async () => {
    process.env.CHROMFLOW_BACKEND = 'cpu';
    const dir = await mkdtemp(join(tmpdir(), 'atacformer-batch-stage-'));
    try {
      const inputs = await writeInputs(dir);
      const checkpoint = join(dir, 'checkpoint');
      await pretrainTinyAtacformer(dir, inputs, checkpoint);
      // cell0 has no batch: left out of training.
      const labels = join(dir, 'cells.tsv');
      const rows = Array.from(
        { length: 40 },
        (_, r) => `cell${r}\t${r % 2 ? 'B' : 'A'}\t${r === 0 ? '' : `b${Math.floor(r / 2) % 2}`}`,
      );
      await writeFile(labels, ['barcode\tcell_type\tbatch', ...rows].join('\n') + '\n');
      const out = { checkpoint: join(dir, 'corrected'), predictions: join(dir, 'pred.parquet') };
      const info = await stage('models.atacformer-finetune').run({
        ...quietCtx(dir),
        params: batchParams as never,
        inputs: { ...inputs, checkpoint, labels },
        outputs: out,
      });
      expect(info?.metrics?.['batches']).toBe(2);
      expect(info?.metrics?.['cellsWithoutBatch']).toBe(1);
      expect(info?.metrics?.['epochsRun']).toBe(2);
      const { model, manifest } = await loadAtacformerModel(out.checkpoint);
      expect(manifest.stage).toBe('models.atacformer-finetune');
      model.dispose();
      expect((await readTable(out.predictions)).numRows).toBe(0);
      const emb = {
        cells: join(dir, 'c.parquet'),
        h5ad: join(dir, 'c.h5ad'),
        regions: join(dir, 'r.parquet'),
      };
      await stage('models.atacformer-embed').run({
        ...quietCtx(dir),
        params: { batchSize: 16, seed: 0 } as never,
        inputs: { ...inputs, checkpoint: out.checkpoint },
        outputs: emb,
      });
      expect((await readTable(emb.cells)).numRows).toBe(40);

      const one = join(dir, 'one.tsv');
      await writeFile(
        one,
        ['barcode\tbatch', ...rows.map((r) => `${r.split('\t')[0]}\tb0`)].join('\n') + '\n',
      );
      await expect(
        stage('models.atacformer-finetune').run({
          ...quietCtx(dir),
          params: batchParams as never,
          inputs: { ...inputs, checkpoint, labels: one },
          outputs: { checkpoint: join(dir, 'x'), predictions: join(dir, 'x.parquet') },
        }),
      ).rejects.toThrow(/at least two batches/);
      const noColumn = join(dir, 'nocol.tsv');
      await writeFile(noColumn, 'barcode\tcell_type\ncell1\tA\n');
      await expect(
        stage('models.atacformer-finetune').run({
          ...quietCtx(dir),
          params: batchParams as never,
          inputs: { ...inputs, checkpoint, labels: noColumn },
          outputs: { checkpoint: join(dir, 'y'), predictions: join(dir, 'y.parquet') },
        }),
      ).rejects.toThrow(/no column 'batch'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
