import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SeededRandom, readTable, writeTable } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import {
  tokenSetsToTable,
  vocabularyHash,
  writeVocabulary,
  type TokenSets,
  type Vocabulary,
} from '@chromflow/atac-pseudobulk';
import { readH5ad, writeH5ad } from '@chromflow/cell-embedding';
import { atacformerConfig } from '../src/atacformer/config.js';
import { CraftModel } from '../src/atacformer/craft-model.js';
import { loadCraftModel } from '../src/atacformer/craft-checkpoint.js';
import { embedCraft } from '../src/atacformer/craft-embed.js';
import { partnerRetrieval } from '../src/atacformer/partner-retrieval.js';
import { perGenePearson } from '../src/atacformer/per-gene-pearson.js';
import { makeCraftBatch, type CraftPairs } from '../src/atacformer/train-craft.js';
import { quietCtx, stage, pretrainTinyAtacformer } from './stage-helpers.js';

/** n cells on 30 regions (ids 7…36): even cells draw from the first half, odd from the second. */
function groupedSets(n: number, seed = 3): TokenSets {
  const rng = new SeededRandom(seed);
  const offsets = [0];
  const tokens: number[] = [];
  for (let r = 0; r < n; r++) {
    const set = new Set<number>();
    while (set.size < 6) set.add((r % 2 === 0 ? 7 : 22) + rng.int(0, 15));
    tokens.push(...[...set].sort((a, b) => a - b));
    offsets.push(tokens.length);
  }
  return {
    barcodes: Array.from({ length: n }, (_, r) => `cell${r}`),
    offsets: Int32Array.from(offsets),
    tokens: Int32Array.from(tokens),
    nOverlapped: Int32Array.from({ length: n }, () => 6),
  };
}

/** Expression of g genes tied to the cell's tokens: gene j is the count of tokens ≡ j (mod g), log1p'd. */
function tiedExpression(sets: TokenSets, g: number): Float32Array {
  const n = sets.barcodes.length;
  const x = new Float32Array(n * g);
  for (let r = 0; r < n; r++)
    for (let p = sets.offsets[r]!; p < sets.offsets[r + 1]!; p++)
      x[r * g + (sets.tokens[p]! % g)]! += 1;
  return x.map(Math.log1p);
}

function tinyCraft(genes: number, seed = 0): CraftModel {
  return new CraftModel(
    {
      atac: atacformerConfig('tiny', 37, { dim: 8, ffnDim: 16, heads: 2, embeddingInitStd: 0.1 }),
      genes,
      rnaHidden: 12,
      projectionDim: 6,
      decoderHidden: 10,
      imputeWeight: 0.5,
    },
    seed,
  );
}

describe('partnerRetrieval', () => {
  it('ranks each cell partner by cosine, ties counted against it', () => {
    // Queries: the unit axes e1, e2, e3. Keys: e1, e1 + 0.1·e2, e2.
    const q = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const k = [1, 0, 0, 1, 0.1, 0, 0, 1, 0];
    const r = partnerRetrieval(q, k, 3, 3, [1, 2]);
    // cell 0: sims with keys (1, 0.995, 0): partner first → rank 0.
    // cell 1: sims (0, 0.0995, 1): key 2 beats its partner → rank 1.
    // cell 2: sims (0, 0, 0): its partner ties with both others → rank 2.
    expect(r.meanRank).toBeCloseTo(1, 12);
    expect(r.topK[1]).toBeCloseTo(1 / 3, 12);
    expect(r.topK[2]).toBeCloseTo(2 / 3, 12);
    expect(r.chance[1]).toBeCloseTo(1 / 3, 12);
    expect(r.chance[2]).toBeCloseTo(2 / 3, 12);
    // Scale does not matter (cosine); identical embeddings retrieve perfectly.
    const same = partnerRetrieval([2, 0, 0, 5], [1, 0, 0, 1], 2, 2, [1]);
    expect(same.topK[1]).toBe(1);
    expect(() => partnerRetrieval([1, 2], [1], 1, 2)).toThrow(/two n × d embeddings/);
  });

  it('per-gene Pearson is NaN for a constant prediction', () => {
    const obs = [1, 2, 2, 4, 3, 6];
    const r = perGenePearson([1, 0, 2, 0, 3, 0], obs, 3, 2);
    expect(r[0]).toBeCloseTo(1, 12);
    expect(Number.isNaN(r[1])).toBe(true);
  });
});

describe('CRAFT model', () => {
  it('CLIP + imputation loss reaches every part, and its temperature gradient matches finite differences', async () => {
    await initBackend({ backend: 'cpu', quiet: true });
    const sets = groupedSets(6);
    const g = 5;
    const pairs: CraftPairs = { sets, rna: tiedExpression(sets, g), genes: g };
    const m = tinyCraft(g);
    try {
      const batch = makeCraftBatch(pairs, [0, 1, 2, 3, 4, 5]);
      const [rows] = m.gatherSparseRows(batch);
      const vars = [...m.trainableVariables(), rows!.rows];
      const { value, grads } = tf.variableGrads(() => m.trainingLoss(batch), vars);
      const loss = value.dataSync()[0]!;
      expect(Number.isFinite(loss)).toBe(true);
      const norm = (v: tf.Variable): number =>
        tf.tidy(() => tf.norm(grads[v.name]!).dataSync()[0]!);
      const named = new Map(m.vars.named.map((n) => [n.name, n.variable]));
      for (const name of [
        'rna/fc1/kernel',
        'proj/atac/kernel',
        'proj/rna/kernel',
        'logit_scale',
        'decoder/fc2/kernel',
      ])
        expect(norm(named.get(name)!), name).toBeGreaterThan(0);
      const ffn = m.atac.vars.named.find((n) => n.name.includes('ffn1/kernel'))!;
      expect(norm(ffn.variable), ffn.name).toBeGreaterThan(0);
      expect(norm(rows!.rows)).toBeGreaterThan(0);
      // d loss / d logit_scale by central differences (only the CLIP part depends on it).
      const analytic = grads[m.logitScale.name]!.dataSync()[0]!;
      const at = (t: number): number => {
        m.logitScale.assign(tf.scalar(t));
        return tf.tidy(() => m.trainingLoss(batch).dataSync()[0]!);
      };
      const t0 = m.logitScale.dataSync()[0]!;
      const h = 1e-2;
      const numeric = (at(t0 + h) - at(t0 - h)) / (2 * h);
      m.logitScale.assign(tf.scalar(t0));
      expect(Math.abs(analytic - numeric)).toBeLessThan(1e-3 + 1e-2 * Math.abs(numeric));
      tf.dispose([value, ...Object.values(grads)]);
    } finally {
      m.dispose();
    }
  });
});

/** Writes tokens, vocabulary and a normalised RNA h5ad of 40 paired cells (+ 1 RNA-only, 1 ATAC-only). */
async function writeInputs(dir: string): Promise<Record<string, string>> {
  const starts = Int32Array.from({ length: 30 }, (_, i) => 1000 * i);
  const v: Vocabulary = {
    regions: {
      chromNames: ['chr1'],
      chromIds: new Int32Array(30),
      starts,
      ends: Int32Array.from(starts, (s) => s + 500),
    },
  };
  const sets = groupedSets(41);
  sets.barcodes[40] = 'atac-only';
  const paths = {
    tokens: join(dir, 'tokens.arrow'),
    vocabulary: join(dir, 'vocabulary.tsv'),
    rna: join(dir, 'rna.h5ad'),
  };
  await writeVocabulary(paths.vocabulary, v);
  await writeTable(
    paths.tokens,
    tokenSetsToTable(sets, { vocabularyHash: vocabularyHash(v), contextLength: 8192, seed: 0 }),
  );
  const g = 8;
  const x = tiedExpression(sets, g);
  const n = 41;
  await writeH5ad(paths.rna, {
    X: {
      nRows: n,
      nCols: g,
      indptr: Int32Array.from({ length: n + 1 }, (_, i) => i * g),
      indices: Int32Array.from({ length: n * g }, (_, i) => i % g),
      values: x,
    },
    obs: { index: [...sets.barcodes.slice(0, 40), 'rna-only'], columns: {} },
    var: {
      index: Array.from({ length: g }, (_, j) => `gene${j}`),
      columns: { highly_variable: Array.from({ length: g }, (_, j) => j !== 3) },
    },
    obsm: {},
    uns: {},
  });
  return paths;
}

describe('models.atacformer-craft', () => {
  it('fine-tunes a pretrained checkpoint on paired cells, writes joint embeddings, imputed RNA and a loadable checkpoint', async () => {
    process.env.CHROMFLOW_BACKEND = 'cpu';
    const dir = await mkdtemp(join(tmpdir(), 'atacformer-craft-'));
    try {
      const inputs = await writeInputs(dir);
      const pretrained = join(dir, 'pretrained');
      await pretrainTinyAtacformer(
        dir,
        { tokens: inputs.tokens!, vocabulary: inputs.vocabulary! },
        pretrained,
      );
      const params = {
        hvgOnly: true,
        rnaHidden: 16,
        projectionDim: 8,
        decoderHidden: 16,
        imputeWeight: 1,
        epochs: 2,
        patience: 2,
        batchSize: 8,
        learningRate: 1e-2,
        valFraction: 0.25,
        seed: 0,
      };
      const out = {
        checkpoint: join(dir, 'craft'),
        joint: join(dir, 'joint.parquet'),
        h5ad: join(dir, 'craft.h5ad'),
      };
      const info = await stage('models.atacformer-craft').run({
        ...quietCtx(dir),
        params: params as never,
        inputs: { ...inputs, checkpoint: pretrained },
        outputs: out,
      });
      const m = info!.metrics!;
      expect([m['pairedCells'], m['rnaOnlyCells'], m['atacOnlyCells'], m['genes']]).toEqual([
        40, 1, 1, 7,
      ]);
      expect([m['trainCells'], m['valCells'], m['epochsRun']]).toEqual([30, 10, 2]);
      expect(m['valChanceTop1']).toBeCloseTo(0.1, 12);
      // Ten held-out cells: top-10 is certain, so only top-1 and the imputation say anything.
      expect(m['valChanceTop10']).toBe(1);
      expect(m['valTop1']).toBeGreaterThanOrEqual(0);
      expect(m['valImputedGenePearsonMedian']).toBeGreaterThan(-1);
      const joint = await readTable(out.joint);
      expect(joint.numRows).toBe(40);
      expect(joint.schema.fields.map((f) => f.name).slice(0, 2)).toEqual([
        'barcode',
        'atac_joint1',
      ]);
      expect(joint.getChild('rna_joint8')).not.toBeNull();
      const row0 = Array.from(
        { length: 8 },
        (_, c) => joint.getChild(`atac_joint${c + 1}`)!.get(0) as number,
      );
      expect(Math.hypot(...row0)).toBeCloseTo(1, 5);
      const ad = await readH5ad(out.h5ad);
      expect([ad.X.nRows, ad.X.nCols]).toEqual([40, 7]);
      expect(ad.var.index).not.toContain('gene3');
      expect(ad.obsm['X_craft_atac']!.nCols).toBe(8);
      expect(await readdir(out.checkpoint)).toEqual(
        expect.arrayContaining(['atacformer', 'craft', 'state']),
      );
      // The checkpoint reloads to the same imputation the stage wrote.
      const { model, genes } = await loadCraftModel(out.checkpoint);
      try {
        expect(genes).toEqual(ad.var.index);
        const e = embedCraft(model, {
          sets: { ...groupedSets(1), barcodes: ['cell0'] },
          rna: new Float32Array(7),
          genes: 7,
        });
        for (let j = 0; j < 7; j++) expect(e.imputed[j]).toBeCloseTo(ad.X.values[j]!, 4);
      } finally {
        model.dispose();
      }
      // Resuming a finished training runs no epoch and writes the same joint embeddings.
      const again = join(dir, 'joint-again.parquet');
      const info2 = await stage('models.atacformer-craft').run({
        ...quietCtx(dir),
        params: params as never,
        inputs: { ...inputs, checkpoint: pretrained },
        outputs: { ...out, joint: again },
      });
      expect(info2!.metrics!['bestValLoss']).toBe(m['bestValLoss']);
      expect((await readTable(again)).getChild('atac_joint1')!.get(5)).toBe(
        joint.getChild('atac_joint1')!.get(5),
      );
      // No shared barcode: a clear error naming the RNA file.
      const lone = join(dir, 'lone.h5ad');
      const rna = await readH5ad(inputs.rna!);
      await writeH5ad(lone, {
        ...rna,
        obs: { index: rna.obs.index.map((b) => `x${b}`), columns: {} },
      });
      await expect(
        stage('models.atacformer-craft').run({
          ...quietCtx(dir),
          params: params as never,
          inputs: { ...inputs, rna: lone, checkpoint: pretrained },
          outputs: { ...out, checkpoint: join(dir, 'craft2') },
        }),
      ).rejects.toThrow(/paired RNA and ATAC cells/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
