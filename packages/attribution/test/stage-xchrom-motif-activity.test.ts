import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Float32, makeVector, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readTable, SeededRandom, withEncoding, writeTable } from '@chromflow/core';
import { sequenceCodesToTable } from '@chromflow/genome-io';
import { initBackend } from '@chromflow/compute';
import { saveXChromModel, XChromModel, type XChromConfig } from '@chromflow/models';
import { stages } from '../src/stages/all.js';
import { writeGetModelJson } from './foreign-checkpoint.js';

const L = 24;
const D = 4;
const CONFIG: XChromConfig = {
  seqLength: L,
  stemFilters: 4,
  stemKernel: 5,
  stemPool: 2,
  towerFilters: [6],
  towerKernel: 3,
  towerPool: 2,
  bottleneckFilters: 3,
  embeddingDim: 5,
  dropout: 0,
  cellInputDim: D,
  cellHidden: 6,
  cellNoiseSd: 0,
  bnEpsilon: 1e-3,
  bnMomentum: 0.9,
  lnEpsilon: 1e-3,
};
const MEME = `MEME version 4

ALPHABET= ACGT

MOTIF M1 TFA

letter-probability matrix: alength= 4 w= 3 nsites= 20 E= 0
 0.9 0.05 0.025 0.025
 0.05 0.05 0.05 0.85
 0.1 0.1 0.7 0.1

MOTIF M2 TFB

letter-probability matrix: alength= 4 w= 2 nsites= 20 E= 0
 0.1 0.7 0.1 0.1
 0.1 0.1 0.1 0.7
`;
const ctx = (dir: string) => ({
  tempDir: dir,
  log: { info: (): void => undefined, warn: (): void => undefined },
  onProgress: (): void => undefined,
  signal: new AbortController().signal,
});

async function writeInputs(dir: string): Promise<Record<string, string>> {
  process.env.CHROMFLOW_BACKEND = 'cpu';
  await initBackend({ quiet: true });
  const rng = new SeededRandom(4);
  const model = new XChromModel(CONFIG, 1);
  await saveXChromModel(join(dir, 'ckpt'), model);
  model.dispose();
  const n = 5;
  const seqs = sequenceCodesToTable({
    length: n,
    names: Array.from({ length: n }, (_, i) => `p${i}`),
    chromNames: ['chr1'],
    chromIds: new Int32Array(n),
    starts: Int32Array.from({ length: n }, (_, i) => i * 100),
    ends: Int32Array.from({ length: n }, (_, i) => i * 100 + L),
    offsets: Int32Array.from({ length: n + 1 }, (_, i) => i * L),
    codes: Uint8Array.from({ length: n * L }, () => rng.int(0, 4)),
  });
  const nCells = 6;
  const cols: Record<string, ReturnType<typeof makeVector>> = {
    barcode: vectorFromArray(
      Array.from({ length: nCells }, (_, i) => `c${i}`),
      new Utf8(),
    ),
  };
  for (let d = 0; d < D; d++)
    cols[`pc${d + 1}`] = makeVector({
      type: new Float32(),
      data: Float32Array.from({ length: nCells }, () => rng.normal()),
    });
  cols.b_zscore = makeVector({ type: new Float32(), data: new Float32Array(nCells) });
  const paths = {
    checkpoint: join(dir, 'ckpt'),
    sequences: join(dir, 'seq.parquet'),
    embedding: join(dir, 'emb.parquet'),
    motifs: join(dir, 'motifs.meme'),
  };
  await writeTable(paths.sequences, seqs);
  await writeTable(paths.embedding, withEncoding(new Table(cols), 'cell-embedding', '1'));
  await writeFile(paths.motifs, MEME);
  return paths;
}

describe('attribution.xchrom-motif-activity', () => {
  const stage = stages.find((s) => s.name === 'attribution.xchrom-motif-activity')!;
  it('writes cells × motifs rows whose z-scores have mean 0 and sd 1 per motif', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'motif-activity-'));
    try {
      const inputs = await writeInputs(dir);
      const outputs = { activity: join(dir, 'act.parquet'), h5ad: join(dir, 'act.h5ad') };
      await stage.run({
        ...ctx(dir),
        params: { backgrounds: 8, seed: 0, motifs: [] },
        inputs,
        outputs,
      });
      const t = await readTable(outputs.activity);
      expect(t.numRows).toBe(12);
      const z = Array.from(t.getChild('zscore')!.toArray() as Float32Array);
      for (const m of [0, 1]) {
        const col = z.filter((_, i) => i % 2 === m);
        const mean = col.reduce((a, b) => a + b, 0) / col.length;
        const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length);
        expect(Math.abs(mean)).toBeLessThan(1e-5);
        expect(sd).toBeCloseTo(1, 4);
      }
      // Bad input: a motif absent from the file names itself and the file.
      await expect(
        stage.run({
          ...ctx(dir),
          params: { backgrounds: 8, seed: 0, motifs: ['NOPE'] },
          inputs,
          outputs,
        }),
      ).rejects.toThrow(/motif 'NOPE' is not in the motif file/);
      // Bad input: a checkpoint of another model.
      const other = await writeGetModelJson(join(dir, 'other'));
      await expect(
        stage.run({
          ...ctx(dir),
          params: { backgrounds: 8, seed: 0, motifs: [] },
          inputs: { ...inputs, checkpoint: other },
          outputs,
        }),
      ).rejects.toThrow(/not an XChrom checkpoint/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
