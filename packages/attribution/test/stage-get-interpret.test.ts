import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { makeTable, pearson, readTable, SeededRandom, writeTable } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import {
  getConfig,
  getFeaturesToTable,
  getLabelsToTable,
  GetModel,
  getWindowsToTable,
  makeExpressionLabels,
  makeGetWindows,
  saveGetModel,
  type GetInputs,
} from '@chromflow/models';
import { stages as structureStages } from '@chromflow/structure-analysis';
import { stages } from '../src/stages/all.js';
import { directLingam } from '../src/direct-lingam.js';
import type { GetInterpretParams } from '../src/stages/get-interpret.js';

const ctx = (dir: string) => ({
  tempDir: dir,
  log: { info: (): void => undefined, warn: (): void => undefined },
  onProgress: (): void => undefined,
  signal: new AbortController().signal,
});

const CLUSTERS = ['m0', 'm1', 'm2', 'm3'];
const TYPES = ['A', 'B'];

/** chr1: 30 regions, chr2: 24, each 200 bp every 1 kb; windows of 12 (stride 6); 5 genes, one on − strand. */
function inputs(): GetInputs {
  const rng = new SeededRandom(2);
  const n1 = 30;
  const n = 54;
  const regions = {
    chromNames: ['chr1', 'chr2'],
    chromIds: Int32Array.from({ length: n }, (_, i) => (i < n1 ? 0 : 1)),
    starts: Int32Array.from({ length: n }, (_, i) => (i % n1) * 1000),
    ends: Int32Array.from({ length: n }, (_, i) => (i % n1) * 1000 + 200),
    names: Array.from({ length: n }, (_, i) => `r${i}`),
    columns: {},
    length: n,
  };
  const nc = CLUSTERS.length;
  const values = Float32Array.from({ length: n * nc }, () =>
    rng.uniform() < 0.5 ? 0 : rng.uniform(),
  );
  const genes = {
    cellTypes: TYPES,
    geneIds: ['G1', 'G2', 'G3', 'G4', 'G5'],
    chroms: ['chr1', 'chr1', 'chr1', 'chr2', 'chr2'],
    tsses: Int32Array.from([2100, 14100, 27100, 5100, 20100]),
    strands: ['+', '-', '+', '+', '-'] as ('+' | '-')[],
    values: Float64Array.from({ length: 10 }, () => rng.uniform() * 3),
  };
  return {
    regions,
    motif: {
      nRegions: n,
      clusters: CLUSTERS,
      values,
      columnMax: new Float32Array(nc).fill(1),
      aggregation: 'sum',
    },
    cellTypes: TYPES,
    accessibility: Float32Array.from({ length: TYPES.length * n }, () => rng.uniform()),
    accessibilitySource: ['atac', 'atac'],
    accessibilityMode: 'quantitative',
    labels: makeExpressionLabels(regions, genes, { flank: 50 }),
    windows: makeGetWindows(regions, { size: 12, stride: 6 }),
  };
}

/** The fixture's windows table with `chrom`'s windows only: genes elsewhere are in no window. */
function windowsOnlyOn(chrom: string) {
  const inp = inputs();
  const keep = inp.windows.chroms.flatMap((c, w) => (c === chrom ? [w] : []));
  const windows = {
    ...inp.windows,
    chroms: keep.map((w) => inp.windows.chroms[w]!),
    firsts: Int32Array.from(keep, (w) => inp.windows.firsts[w]!),
  };
  return getWindowsToTable({ ...inp, windows });
}

async function writeInputs(dir: string): Promise<Record<string, string>> {
  process.env.CHROMFLOW_BACKEND = 'cpu';
  await initBackend({ quiet: true });
  const inp = inputs();
  const paths = {
    windows: join(dir, 'windows.parquet'),
    features: join(dir, 'features.parquet'),
    labels: join(dir, 'labels.parquet'),
    checkpoint: join(dir, 'ckpt'),
  };
  await writeTable(paths.windows, getWindowsToTable(inp));
  await writeTable(paths.features, getFeaturesToTable(inp));
  await writeTable(paths.labels, getLabelsToTable(inp));
  const model = new GetModel(
    getConfig('tiny', CLUSTERS.length + 1, 'expression', { dim: 8, heads: 2 }),
    3,
  );
  await saveGetModel(paths.checkpoint, model, {
    stage: 'test',
    clusters: CLUSTERS,
    cellTypes: TYPES,
    dataHashes: {},
    metrics: {},
  });
  model.dispose();
  return paths;
}

const outputsIn = (dir: string) => ({
  'gene-motif': join(dir, 'gm.parquet'),
  h5ad: join(dir, 'gm.h5ad'),
  'region-importance': join(dir, 'ri.parquet'),
  tracks: join(dir, 'tracks'),
  interactions: join(dir, 'inter.parquet'),
  lingam: join(dir, 'lingam.parquet'),
  'interaction-tfs': join(dir, 'itf.parquet'),
});

const PARAMS: GetInterpretParams = {
  cellTypes: [],
  genes: [],
  motifs: [],
  strand: 'gene',
  reduce: 'sum',
  batchSize: 2,
  interactionFraction: 0.5,
  lingamMaxVariables: 30,
};

function anndataPython(): boolean {
  if (!existsSync('/usr/bin/python3')) return false;
  return spawnSync('/usr/bin/python3', ['-c', 'import anndata'], { encoding: 'utf8' }).status === 0;
}

describe('attribution.get-interpret', () => {
  const stage = stages.find((s) => s.name === 'attribution.get-interpret')!;
  it('writes gene × motif (Parquet, h5ad), region importance (Parquet, bedGraph); bad input is named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'get-interpret-'));
    try {
      const inputs = await writeInputs(dir);
      const outputs = outputsIn(dir);
      await stage.run({ ...ctx(dir), params: PARAMS, inputs, outputs });
      const gm = await readTable(outputs['gene-motif']);
      // 5 genes × 2 types × (4 clusters + accessibility).
      expect(gm.numRows).toBe(5 * 2 * 5);
      expect(gm.schema.fields.map((f) => f.name)).toEqual(['gene', 'cell_type', 'motif', 'score']);
      const scores = Array.from(gm.getChild('score')!.toArray() as Float32Array);
      expect(scores.some((v) => v !== 0)).toBe(true);
      expect(new Set(gm.getChild('motif')!.toArray() as string[]).has('accessibility')).toBe(true);
      // Interactions: half of the 6 motif pairs per group; r = Pearson of the written columns.
      const inter = await readTable(outputs.interactions);
      const group = inter.getChild('group')!.toArray() as string[];
      expect([...new Set(group)]).toEqual(['A', 'B', 'pooled']);
      expect(group.filter((g) => g === 'pooled').length).toBe(3);
      const col = (m: string, type?: string): number[] =>
        scores.filter(
          (_, i) =>
            gm.getChild('motif')!.get(i) === m &&
            (type === undefined || gm.getChild('cell_type')!.get(i) === type),
        );
      const top = group.indexOf('pooled');
      const ma = String(inter.getChild('motif_a')!.get(top));
      const mb = String(inter.getChild('motif_b')!.get(top));
      expect(ma).not.toBe('accessibility');
      expect(Number(inter.getChild('r')!.get(top))).toBeCloseTo(
        pearson(Float64Array.from(col(ma)), Float64Array.from(col(mb))),
        5,
      );
      // LiNGAM: every ordered pair of the 4 motifs, = directLingam of the written pooled columns.
      const lg = await readTable(outputs.lingam);
      expect(lg.numRows).toBe(4 * 3);
      const stacked = new Float64Array(10 * 4);
      CLUSTERS.forEach((m, j) => col(m).forEach((v, i) => (stacked[i * 4 + j] = v)));
      const ref = directLingam(stacked, 10, 4);
      for (let i = 0; i < lg.numRows; i++) {
        const e = CLUSTERS.indexOf(String(lg.getChild('effect')!.get(i)));
        const c = CLUSTERS.indexOf(String(lg.getChild('cause')!.get(i)));
        expect(Number(lg.getChild('weight')!.get(i))).toBeCloseTo(ref.adjacency[e * 4 + c]!, 4);
        expect(Number(lg.getChild('effect_order')!.get(i))).toBe(ref.order.indexOf(e));
      }
      const ri = await readTable(outputs['region-importance']);
      expect(ri.numRows).toBe(5 * 2 * 12);
      const imp = Array.from(ri.getChild('importance')!.toArray() as Float32Array);
      // Per gene and type, the max is 1.
      for (let k = 0; k < 10; k++)
        expect(Math.max(...imp.slice(k * 12, k * 12 + 12))).toBeCloseTo(1, 6);
      const bg = (await readFile(join(outputs.tracks, 'A.bedGraph'), 'utf8')).trim().split('\n');
      expect(bg[0]).toMatch(/^track type=bedGraph/);
      const first = bg[1]!.split('\t');
      expect(first[0]).toBe('chr1');
      expect(Number(first[2]) - Number(first[1])).toBe(200);
      if (anndataPython()) {
        const r = spawnSync(
          '/usr/bin/python3',
          [
            '-c',
            'import sys, json, anndata; a = anndata.read_h5ad(sys.argv[1]); ' +
              'print(json.dumps({"shape": list(a.shape), "obs": list(a.obs_names[:2]), "var": list(a.var_names), ' +
              '"types": sorted(set(a.obs["cell_type"])), "x00": float(a.X[0, 0])}))',
            outputs.h5ad,
          ],
          { encoding: 'utf8' },
        );
        expect(r.status, r.stderr).toBe(0);
        const ad = JSON.parse(r.stdout) as {
          shape: number[];
          obs: string[];
          var: string[];
          types: string[];
          x00: number;
        };
        expect(ad.shape).toEqual([10, 5]);
        expect(ad.var).toEqual([...CLUSTERS, 'accessibility']);
        expect(ad.types).toEqual(TYPES);
        expect(ad.obs[0]).toBe(`A:${String(gm.getChild('gene')!.get(0))}`);
        expect(ad.x00).toBeCloseTo(scores[0]!, 6);
      } else {
        console.warn('skipping the anndata read-back: /usr/bin/python3 with anndata not found');
      }

      // Without expression and motif-clusters the interaction-TF table is empty.
      expect((await readTable(outputs['interaction-tfs'])).numRows).toBe(0);
      // With them: per type, each kept pair's top TF of each side, with its expression in that type.
      const clusters = join(dir, 'clusters.tsv');
      await writeFile(
        clusters,
        'motif\tcluster\nSPI1_MA0080.1\tm0\nGATA1_MA0035.1\tm1\nCEBPB_MA0466.1\tm2\nEBF1_MA0154.1\tm3\n',
      );
      const exprPath = join(dir, 'expression.parquet');
      const tfNames = ['SPI1', 'GATA1', 'CEBPB', 'EBF1'];
      await writeTable(
        exprPath,
        makeTable(
          {
            group: [...tfNames.map(() => 'A'), ...tfNames.map(() => 'B')],
            gene_id: [...tfNames, ...tfNames],
            gene_name: [...tfNames, ...tfNames],
            log_cpm: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
          },
          'gene-expression',
          '1',
        ),
      );
      await stage.run({
        ...ctx(dir),
        params: PARAMS,
        inputs: { ...inputs, expression: exprPath, 'motif-clusters': clusters },
        outputs,
      });
      const itf = await readTable(outputs['interaction-tfs']);
      const kept = group.filter((g) => g !== 'pooled').length;
      expect(itf.numRows).toBe(2 * kept);
      for (let i = 0; i < itf.numRows; i++) {
        const tf = String(itf.getChild('tf')!.get(i));
        const type = String(itf.getChild('group')!.get(i));
        const motif = String(itf.getChild('motif')!.get(i));
        expect(tf).toBe(tfNames[CLUSTERS.indexOf(motif)]);
        expect(Number(itf.getChild('expression')!.get(i))).toBe(
          tfNames.indexOf(tf) + 1 + (type === 'B' ? 4 : 0),
        );
      }

      // Subsets: one type, one gene, two motif columns.
      await stage.run({
        ...ctx(dir),
        params: { ...PARAMS, cellTypes: ['B'], genes: ['G2'], motifs: ['m1', 'accessibility'] },
        inputs,
        outputs,
      });
      const sub = await readTable(outputs['gene-motif']);
      expect(sub.numRows).toBe(2);
      const full = (m: string) =>
        scores[
          Array.from({ length: gm.numRows }).findIndex(
            (_, i) =>
              gm.getChild('gene')!.get(i) === 'G2' &&
              gm.getChild('cell_type')!.get(i) === 'B' &&
              gm.getChild('motif')!.get(i) === m,
          )
        ]!;
      expect(sub.getChild('score')!.get(0)).toBeCloseTo(full('m1'), 6);

      // Bad input, named: a gene absent, a gene in no window, a motif cluster absent, another
      // model's checkpoint.
      await expect(
        stage.run({ ...ctx(dir), params: { ...PARAMS, genes: ['NOPE'] }, inputs, outputs }),
      ).rejects.toThrow(/gene 'NOPE' has no TSS region/);
      const chr1Windows = join(dir, 'windows-chr1.parquet');
      await writeTable(chr1Windows, windowsOnlyOn('chr1'));
      await expect(
        stage.run({
          ...ctx(dir),
          params: { ...PARAMS, genes: ['G4'] },
          inputs: { ...inputs, windows: chr1Windows },
          outputs,
        }),
      ).rejects.toThrow(/gene 'G4' is in no window of the GET inputs/);
      await expect(
        stage.run({ ...ctx(dir), params: { ...PARAMS, motifs: ['CTCF'] }, inputs, outputs }),
      ).rejects.toThrow(/motif cluster 'CTCF' is not among the model's inputs/);
      const other = join(dir, 'other');
      await mkdir(other);
      await writeFile(
        join(other, 'model.json'),
        JSON.stringify({ format: 'chromflow-xchrom', modelTopology: {}, weightsManifest: [] }),
      );
      await expect(
        stage.run({
          ...ctx(dir),
          params: PARAMS,
          inputs: { ...inputs, checkpoint: other },
          outputs,
        }),
      ).rejects.toThrow(/not a GET checkpoint/);
      const pre = join(dir, 'pretrain');
      const m = new GetModel(getConfig('tiny', CLUSTERS.length + 1, 'pretrain', { dim: 8 }), 1);
      await saveGetModel(pre, m, {
        stage: 'test',
        clusters: CLUSTERS,
        cellTypes: TYPES,
        dataHashes: {},
        metrics: {},
      });
      m.dispose();
      await expect(
        stage.run({ ...ctx(dir), params: PARAMS, inputs: { ...inputs, checkpoint: pre }, outputs }),
      ).rejects.toThrow(/needs an expression model/);
      expect(tf.memory().numTensors).toBeLessThan(200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** A MEME file of the four clusters as motifs (motif-scan without a cluster table names columns by id). */
function memeText(alts: readonly string[]): string {
  const rows = ' 0.7 0.1 0.1 0.1\n 0.1 0.1 0.1 0.7\n';
  return (
    'MEME version 4\n\nALPHABET= ACGT\n\n' +
    CLUSTERS.map(
      (id, i) =>
        `MOTIF ${id} ${alts[i]}\n\nletter-probability matrix: alength= 4 w= 2 nsites= 20 E= 0\n${rows}\n`,
    ).join('')
  );
}

/**
 * A made AlphaFold-like chain of 200 residues: pLDDT 30 on 1–40 and 101–140,
 * 90 on 41–100 (Lys/Arg: the DNA-binding call) and on 141–200 (Ala).
 */
function madeStructure(): string {
  const lines: string[] = [];
  for (let r = 1; r <= 200; r++) {
    const high = (r > 40 && r <= 100) || r > 140;
    const res = r > 40 && r <= 100 ? (r % 2 ? 'LYS' : 'ARG') : 'ALA';
    const b = (high ? 90 : 30).toFixed(2);
    lines.push(
      `ATOM  ${String(r).padStart(5)}  CA  ${res} A${String(r).padStart(4)}    ` +
        `   0.000   0.000   0.000  1.00${b.padStart(6)}           C  `,
    );
  }
  return lines.join('\n') + '\nEND\n';
}

describe('attribution.get-interpret TF table from a motif file, with structures', () => {
  const stage = stages.find((s) => s.name === 'attribution.get-interpret')!;
  const domainsStage = structureStages.find((s) => s.name === 'structure-analysis.plddt-domains')!;
  it("takes each motif as its cluster and its alt name's TFs; joins pLDDT domains by TF symbol", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'get-interpret-tfs-'));
    try {
      const inputs = await writeInputs(dir);
      const outputs = outputsIn(dir);
      // m3 is a heterodimer motif (FOS::JUN): both TFs are candidates for it.
      const motifs = join(dir, 'motifs.meme');
      await writeFile(motifs, memeText(['SPI1', 'GATA1', 'CEBPB', 'FOS::JUN']));
      const symbols = ['SPI1', 'GATA1', 'CEBPB', 'FOS', 'JUN'];
      const exprPath = join(dir, 'expression.parquet');
      await writeTable(
        exprPath,
        makeTable(
          {
            group: [...symbols.map(() => 'A'), ...symbols.map(() => 'B')],
            gene_id: [...symbols, ...symbols],
            gene_name: [...symbols, ...symbols],
            log_cpm: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
          },
          'gene-expression',
          '1',
        ),
      );
      const pdb = join(dir, 'spi1.pdb');
      await writeFile(pdb, madeStructure());
      const domains = join(dir, 'domains.parquet');
      await domainsStage.run({
        ...ctx(dir),
        params: {
          chain: 'A',
          protein: 'SPI1',
          window: 10,
          threshold: 0.6,
          merge_gap: 30,
          min_length: 30,
          convention: 'get',
          include_histidine: false,
          dbd_count: 1,
        },
        inputs: { structure: pdb },
        outputs: { 'plddt-domains': domains },
      });
      const dt = await readTable(domains);
      const isDbd = dt.getChild('is_dbd')!.toArray() as boolean[];
      const d = Array.from(isDbd).findIndex((v) => v);
      const dbdStart = Number(dt.getChild('residue_start')!.get(d));
      const dbdEnd = Number(dt.getChild('residue_end')!.get(d));
      // The Lys/Arg block is the call (its ends move by the smoothing window).
      expect(dbdStart).toBeGreaterThan(35);
      expect(dbdEnd).toBeLessThan(106);
      const nHigh = (dt.getChild('confidence')!.toArray() as string[]).filter(
        (c) => c === 'high',
      ).length;
      expect(nHigh).toBe(2);

      await stage.run({
        ...ctx(dir),
        params: { ...PARAMS, interactionFraction: 1 },
        inputs: { ...inputs, expression: exprPath, motifs, 'tf-domains': domains },
        outputs,
      });
      const itf = await readTable(outputs['interaction-tfs']);
      // Every pair of the 4 motifs, per type; m3 has two TFs (FOS, JUN), the others one.
      const tfsOf: Record<string, string[]> = {
        m0: ['SPI1'],
        m1: ['GATA1'],
        m2: ['CEBPB'],
        m3: ['JUN', 'FOS'],
      };
      const perPair = (a: string, b: string) => tfsOf[a]!.length + tfsOf[b]!.length;
      let expected = 0;
      for (let i = 0; i < 4; i++)
        for (let j = i + 1; j < 4; j++) expected += perPair(CLUSTERS[i]!, CLUSTERS[j]!);
      expect(itf.numRows).toBe(2 * expected);
      let spi1Rows = 0;
      for (let i = 0; i < itf.numRows; i++) {
        const motif = String(itf.getChild('motif')!.get(i));
        const tf = String(itf.getChild('tf')!.get(i));
        const rank = Number(itf.getChild('tf_rank')!.get(i));
        const type = String(itf.getChild('group')!.get(i));
        // Ranked by expression: JUN (5 / 10) above FOS (4 / 9).
        expect(tf).toBe(tfsOf[motif]![rank - 1]);
        expect(Number(itf.getChild('expression')!.get(i))).toBe(
          symbols.indexOf(tf) + 1 + (type === 'B' ? 5 : 0),
        );
        const protein = String(itf.getChild('protein')!.get(i));
        if (tf === 'SPI1') {
          spi1Rows++;
          expect(protein).toBe('SPI1');
          expect(Number(itf.getChild('dbd_residue_start')!.get(i))).toBe(dbdStart);
          expect(Number(itf.getChild('dbd_residue_end')!.get(i))).toBe(dbdEnd);
          expect(Number(itf.getChild('high_confidence_domains')!.get(i))).toBe(2);
          expect(String(itf.getChild('domains')!.get(i))).toContain(`${dbdStart}-${dbdEnd}:high`);
        } else {
          expect(protein).toBe('');
          expect(Number(itf.getChild('high_confidence_domains')!.get(i))).toBe(-1);
          expect(Number.isNaN(Number(itf.getChild('dbd_residue_start')!.get(i)))).toBe(true);
        }
      }
      expect(spi1Rows).toBe(2 * 3);

      // A cluster table none of whose clusters is a model column is named, not an empty table.
      const clusters = join(dir, 'clusters.tsv');
      await writeFile(clusters, 'motif\tcluster\nSPI1_MA0080.1\t84\n');
      await expect(
        stage.run({
          ...ctx(dir),
          params: PARAMS,
          inputs: { ...inputs, expression: exprPath, 'motif-clusters': clusters },
          outputs,
        }),
      ).rejects.toThrow(/no motif column of the model is a cluster of the TF table/);
      // Domains of one TF on two chains are ambiguous.
      const twoChains = join(dir, 'two.parquet');
      const t = await readTable(domains);
      const chains = (t.getChild('chain')!.toArray() as string[]).map((c, i) =>
        i === 0 ? 'B' : c,
      );
      await writeTable(
        twoChains,
        makeTable(
          {
            ...Object.fromEntries(
              t.schema.fields.map((f) => [f.name, t.getChild(f.name)!.toArray()]),
            ),
            chain: chains,
          },
          'plddt-domains',
          '1',
        ),
      );
      await expect(
        stage.run({
          ...ctx(dir),
          params: PARAMS,
          inputs: { ...inputs, expression: exprPath, motifs, 'tf-domains': twoChains },
          outputs,
        }),
      ).rejects.toThrow(/protein 'SPI1' has domains on two chains/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
