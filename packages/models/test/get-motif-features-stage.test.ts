import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SeededRandom, readTable, writeTable } from '@chromflow/core';
import { regionMotifFromTable, sequenceCodesToTable } from '@chromflow/genome-io';
import { getMotifFeatures } from '../src/stages/get-motif-features.js';
import type { GetMotifFeaturesParams } from '../src/stages/get-motif-features.js';

const TEST_DATA = resolve(import.meta.dirname, '../../../test-data');
const quiet = (dir: string) => ({
  tempDir: dir,
  log: { info: (): void => undefined, warn: (): void => undefined },
  onProgress: (): void => undefined,
  signal: new AbortController().signal,
});
const params: GetMotifFeaturesParams = {
  motifFiles: [],
  pValue: 1e-3,
  scaler: 1,
  background: 'uniform',
  allowAbsentMotifs: '',
  threads: 1,
};

describe('models.get-motif-features', () => {
  it("writes hits and a region × cluster table whose columns carry GET's names where the table decides them", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'get-motif-stage-'));
    try {
      const rng = new SeededRandom(4);
      const n = 12;
      const len = 300;
      await writeTable(
        join(dir, 'seqs.parquet'),
        sequenceCodesToTable({
          names: Array.from({ length: n }, (_, i) => `s${i}`),
          chromNames: ['chr1'],
          chromIds: new Int32Array(n),
          starts: Int32Array.from({ length: n }, (_, i) => i * 1000),
          ends: Int32Array.from({ length: n }, (_, i) => i * 1000 + len),
          columns: {},
          length: n,
          offsets: Int32Array.from({ length: n + 1 }, (_, i) => i * len),
          codes: Uint8Array.from({ length: n * len }, () => rng.int(0, 4)),
        } as Parameters<typeof sequenceCodesToTable>[0]),
      );
      // Cluster 7 holds only CTCF's motif, so GET's name `CTCF` joins it; `AP1/1` never joins.
      await writeFile(
        join(dir, 'clusters.txt'),
        'motifs\tcluster\nSIM.CTCF\t7\nSIM.SPI1\t2\nSIM.CEBPB\t2\nSIM.GATA1\t10\n',
      );
      await writeFile(join(dir, 'names.txt'), 'AP1/1\nCTCF\nSPI1\n');
      const out = join(dir, 'out');
      await mkdir(out);
      const outputs = {
        hits: join(out, 'hits.parquet'),
        region_motif: join(out, 'region_motif.parquet'),
      };
      const inputs = {
        sequences: join(dir, 'seqs.parquet'),
        motifs: join(TEST_DATA, 'motifs.meme'),
        clusters: join(dir, 'clusters.txt'),
        'cluster-names': join(dir, 'names.txt'),
      };
      await getMotifFeatures.run({ ...quiet(dir), params, inputs, outputs });
      const table = await readTable(outputs.region_motif);
      const m = regionMotifFromTable(table, outputs.region_motif);
      // Numeric order 2, 7, 10; SPI1 shares cluster 2 with CEBPB but is the only SPI1 cluster, so it names it.
      expect(m.clusters).toEqual(['SPI1', 'CTCF', '10']);
      expect(JSON.parse(table.schema.metadata.get('chromflow.get.cluster-ids')!)).toEqual([
        '2',
        '7',
        '10',
      ]);
      expect((await readTable(outputs.hits)).numRows).toBeGreaterThan(0);
      // The same table with a motif the file lacks: refused, nothing written.
      await writeFile(join(dir, 'clusters.txt'), 'motifs\tcluster\nSIM.CTCF\t7\nSIM.MISSING\t2\n');
      const out2 = join(dir, 'out2');
      await mkdir(out2);
      await expect(
        getMotifFeatures.run({
          ...quiet(dir),
          params,
          inputs,
          outputs: { hits: join(out2, 'hits.parquet'), region_motif: join(out2, 'rm.parquet') },
        }),
      ).rejects.toThrow(
        expect.objectContaining({ path: inputs.clusters, found: 'SIM.MISSING' }) as Error,
      );
      expect(await readdir(out2)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
