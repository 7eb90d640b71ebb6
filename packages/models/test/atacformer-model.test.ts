import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChromflowError, SeededRandom } from '@chromflow/core';
import type { TokenSets } from '@chromflow/atac-pseudobulk';
import { atacformerConfig, type AtacformerConfig } from '../src/atacformer/config.js';
import { AtacformerModel, meanPool } from '../src/atacformer/model.js';
import { atacformerInputs } from '../src/atacformer/inputs.js';
import { makeRtdBatch, sampleToken, tokenFrequencyCdf } from '../src/atacformer/replaced-tokens.js';
import {
  loadAtacformerModel,
  requireCheckpointVocabulary,
  saveAtacformerModel,
} from '../src/atacformer/checkpoint.js';
import { trainAtacformer } from '../src/atacformer/train-atacformer.js';
import {
  finetuneAtacformerTriplet,
  makeTripletBatch,
  cellClasses,
} from '../src/atacformer/finetune-triplet.js';
import { embedAtacformer } from '../src/atacformer/embed.js';
import { adjustedRandIndex, kMeans } from '@chromflow/cell-embedding';
import { torchPython, relErr } from './twins/twin-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const twin = join(here, 'twins', 'atacformer_twin.py');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const python = torchPython();

/** `n` cells of 3…`maxLen` distinct region tokens in a vocabulary of `vocab`. */
function randomSets(n: number, maxLen: number, vocab: number, seed: number): TokenSets {
  const rng = new SeededRandom(seed);
  const offsets = new Int32Array(n + 1);
  const parts: number[] = [];
  for (let r = 0; r < n; r++) {
    const want = rng.int(3, maxLen + 1);
    const set = new Set<number>();
    while (set.size < want) set.add(rng.int(7, vocab));
    parts.push(...[...set].sort((a, b) => a - b));
    offsets[r + 1] = parts.length;
  }
  return {
    barcodes: Array.from({ length: n }, (_, i) => `cell${i}`),
    offsets,
    tokens: Int32Array.from(parts),
    nOverlapped: Int32Array.from({ length: n }, (_, r) => offsets[r + 1]! - offsets[r]!),
  };
}

describe('Atacformer encoder vs its PyTorch twin (torch modules, float64, same weights)', () => {
  const configs: [string, AtacformerConfig][] = [
    [
      '2 layers, 4 heads',
      atacformerConfig('tiny', 40, { dim: 16, ffnDim: 24, layers: 2, heads: 4 }),
    ],
    ['1 layer, 2 heads', atacformerConfig('tiny', 30, { dim: 8, ffnDim: 16, layers: 1, heads: 2 })],
  ];
  for (const [label, c] of configs) {
    it.skipIf(python === undefined)(
      `${label}: contextual and cell embeddings, logits, loss and every gradient ≤ 1e-5 relative`,
      () => {
        const m = new AtacformerModel(c, 5);
        // Random biases and norms so every parameter matters.
        for (const n of m.vars.named)
          n.variable.assign(
            tf.add(n.variable, tf.randomUniform(n.variable.shape, -0.3, 0.3, 'float32', 9)),
          );
        const sets = randomSets(3, 9, c.vocabSize, 4);
        const cdf = tokenFrequencyCdf(sets, Int32Array.from([0, 1, 2]), c.vocabSize);
        const batch = makeRtdBatch(sets, [0, 1, 2], cdf, 0.45, new SeededRandom(2));
        const tokens = batch['tokens'] as Int32Array;
        const labels = batch['labels'] as Float32Array;
        const [b, t] = [3, batch['t'] as number];
        expect(tokens.some((x) => x === 0)).toBe(true); // padding is exercised

        const rows = m.gatherSparseRows(batch)[0]!;
        const h = m.encode(tokens, b, t, rows);
        const cells = meanPool(h, tokens);
        const logits = m.rtdLogits(h);
        const vars = [...m.trainableVariables(), rows.rows];
        const { value, grads } = tf.variableGrads(() => m.trainingLoss(batch), vars);

        const weights: Record<string, { data: number[]; shape: number[] }> = {
          'tokens/table': { data: Array.from(m.table.weights), shape: [c.vocabSize, c.dim] },
        };
        for (const n of m.vars.named)
          weights[n.name] = { data: Array.from(n.variable.dataSync()), shape: n.variable.shape };
        const req = {
          config: c,
          weights,
          shape: [b, t],
          tokens: Array.from(tokens),
          labels: Array.from(labels),
        };
        const r = spawnSync(python!, [twin], {
          input: JSON.stringify(req),
          encoding: 'utf8',
          maxBuffer: 1 << 28,
        });
        if (r.status !== 0) throw new Error(r.stderr);
        const theirs = JSON.parse(r.stdout) as {
          hidden: number[];
          cells: number[];
          logits: number[];
          loss: number;
          grads: Record<string, number[]>;
        };
        // Outputs at real tokens (padded query rows are not used by anything).
        const keep = (x: ArrayLike<number>, per: number): number[] =>
          Array.from(x).filter((_, i) => tokens[Math.floor(i / per)] !== 0);
        expect(relErr(keep(h.dataSync(), c.dim), keep(theirs.hidden, c.dim))).toBeLessThan(1e-5);
        expect(relErr(cells.dataSync(), theirs.cells)).toBeLessThan(1e-5);
        expect(relErr(keep(logits.dataSync(), 1), keep(theirs.logits, 1))).toBeLessThan(1e-5);
        expect(Math.abs(value.dataSync()[0]! - theirs.loss) / theirs.loss).toBeLessThan(1e-5);
        for (const n of m.vars.named) {
          expect(
            relErr(grads[n.variable.name]!.dataSync(), theirs.grads[n.name]!),
            n.name,
          ).toBeLessThan(1e-5);
        }
        // Token table: our gathered-row gradients are the dense gradient's touched rows; the rest is 0.
        const dense = theirs.grads['tokens/table']!;
        const ours = grads[rows.rows.name]!.dataSync();
        const expected: number[] = [];
        rows.uniqueIds.forEach((id) =>
          expected.push(...dense.slice(id * c.dim, id * c.dim + c.dim)),
        );
        expect(relErr(ours, expected)).toBeLessThan(1e-5);
        const touched = new Set(rows.uniqueIds);
        for (let id = 0; id < c.vocabSize; id++)
          if (!touched.has(id))
            expect(dense.slice(id * c.dim, id * c.dim + c.dim).every((g) => g === 0)).toBe(true);
        tf.dispose([h, cells, logits, value, rows.rows, rows.inverse, ...Object.values(grads)]);
        m.dispose();
      },
    );
  }
  it.skipIf(python !== undefined)('skips without torch', () => {
    console.warn('skipping: /usr/bin/python3 with torch not found (apt install python3-torch)');
  });
});

describe('Atacformer model', () => {
  const c = atacformerConfig('tiny', 50, { dim: 8, ffnDim: 16, heads: 2 });

  it('reads a cell as a set: permuting or padding its tokens leaves its embedding unchanged', () => {
    const m = new AtacformerModel(c, 1);
    const a = Int32Array.from([9, 14, 20, 33, 41]);
    const b = Int32Array.from([33, 9, 41, 0, 20, 14, 0]);
    const ea = meanPool(m.encode(a, 1, 5), a).dataSync();
    const eb = meanPool(m.encode(b, 1, 7), b).dataSync();
    for (let i = 0; i < c.dim; i++) expect(eb[i]).toBeCloseTo(ea[i]!, 5);
    m.dispose();
  });

  it('replaces tokens at rate 0.45 from the frequency distribution, labels where changed, seeded', () => {
    const sets = randomSets(200, 30, 50, 3);
    const all = Int32Array.from({ length: 200 }, (_, i) => i);
    const cdf = tokenFrequencyCdf(sets, all, 50);
    expect(cdf[49]).toBeCloseTo(1, 12);
    expect(sampleToken(cdf, 0)).toBeGreaterThanOrEqual(7);
    const b1 = makeRtdBatch(sets, all, cdf, 0.45, new SeededRandom(8));
    const b2 = makeRtdBatch(sets, all, cdf, 0.45, new SeededRandom(8));
    expect(Array.from(b1['tokens'] as Int32Array)).toEqual(Array.from(b2['tokens'] as Int32Array));
    const t = b1['t'] as number;
    const tokens = b1['tokens'] as Int32Array;
    const labels = b1['labels'] as Float32Array;
    let real = 0;
    let changed = 0;
    for (let r = 0; r < 200; r++) {
      const cell = sets.tokens.subarray(sets.offsets[r], sets.offsets[r + 1]);
      cell.forEach((orig, j) => {
        real++;
        const now = tokens[r * t + j]!;
        expect(labels[r * t + j]).toBe(now !== orig ? 1 : 0);
        if (now !== orig) changed++;
      });
      for (let j = cell.length; j < t; j++) expect(tokens[r * t + j]).toBe(0);
    }
    // 0.45 × (1 − P(same token)) ≈ 0.45 × (1 − 1/43): 0.44 ± 4 SE.
    const rate = changed / real;
    expect(Math.abs(rate - 0.45 * (1 - 1 / 43))).toBeLessThan(4 * Math.sqrt(0.25 / real));
  });

  it('leaves out cells with zero tokens, refuses all-empty input and ids outside the vocabulary', () => {
    const sets: TokenSets = {
      barcodes: ['a', 'b', 'c'],
      offsets: Int32Array.from([0, 2, 2, 3]),
      tokens: Int32Array.from([8, 9, 12]),
      nOverlapped: Int32Array.from([2, 0, 1]),
    };
    const r = atacformerInputs(sets, 20, 8, 0);
    expect(r.empty).toEqual(['b']);
    expect(r.sets.barcodes).toEqual(['a', 'c']);
    expect(Array.from(r.sets.tokens)).toEqual([8, 9, 12]);
    const empty = { ...sets, offsets: new Int32Array(4), tokens: new Int32Array(0) };
    expect(() => atacformerInputs(empty, 20, 8, 0, 't.arrow')).toThrow(/no cell has any token/);
    expect(() => atacformerInputs(sets, 10, 8, 0)).toThrow(ChromflowError);
    expect(() => atacformerInputs(sets, 10, 8, 0)).toThrow(/outside the model vocabulary/);
  });

  it('subsamples cells longer than the context, keeping tokens of the cell', () => {
    const sets = randomSets(4, 30, 50, 5);
    const r = atacformerInputs(sets, 50, 6, 1);
    for (let i = 0; i < 4; i++) {
      const len = r.sets.offsets[i + 1]! - r.sets.offsets[i]!;
      expect(len).toBe(Math.min(6, sets.offsets[i + 1]! - sets.offsets[i]!));
      const orig = new Set(sets.tokens.subarray(sets.offsets[i], sets.offsets[i + 1]));
      for (const x of r.sets.tokens.subarray(r.sets.offsets[i], r.sets.offsets[i + 1]))
        expect(orig.has(x)).toBe(true);
    }
  });

  it('trains (loss below the label prior on learnable data), saves, loads, and checks the vocabulary', async () => {
    // Two "cell types" using disjoint halves of the vocabulary: a replaced
    // token from the other half is detectable from the context.
    const vocab = 47;
    const rng = new SeededRandom(1);
    const offsets = [0];
    const toks: number[] = [];
    for (let r = 0; r < 120; r++) {
      const lo = r % 2 === 0 ? 7 : 27;
      const set = new Set<number>();
      while (set.size < 8) set.add(lo + rng.int(0, 20));
      toks.push(...[...set].sort((a, b) => a - b));
      offsets.push(toks.length);
    }
    const sets: TokenSets = {
      barcodes: Array.from({ length: 120 }, (_, i) => `c${i}`),
      offsets: Int32Array.from(offsets),
      tokens: Int32Array.from(toks),
      nOverlapped: new Int32Array(120).fill(8),
    };
    const config = atacformerConfig('tiny', vocab, {
      dim: 16,
      ffnDim: 32,
      heads: 2,
      embeddingInitStd: 0.1,
    });
    const r = await trainAtacformer(sets, {
      config,
      seed: 0,
      epochs: 30,
      patience: 30,
      batchSize: 16,
      learningRate: 1e-2,
      valFraction: 0.2,
    });
    // Label prior: 0.45 × (1 − 1/40) replaced → entropy 0.687; knowing the
    // cell's half, tokens of the other half are surely replaced: ≈ 0.47 at best.
    expect(r.bestValLoss).toBeLessThan(0.62);
    const dir = await mkdtemp(join(tmpdir(), 'atacformer-ck-'));
    try {
      await saveAtacformerModel(dir, r.model, {
        stage: 'test',
        vocabularyHash: 'abc',
        dataHashes: {},
        metrics: { bestValLoss: r.bestValLoss },
      });
      const back = await loadAtacformerModel(dir);
      expect(Array.from(back.model.table.weights)).toEqual(Array.from(r.model.table.weights));
      const x = Int32Array.from([8, 9, 10]);
      expect(Array.from(meanPool(back.model.encode(x, 1, 3), x).dataSync())).toEqual(
        Array.from(meanPool(r.model.encode(x, 1, 3), x).dataSync()),
      );
      expect(() => requireCheckpointVocabulary(back.manifest, 'def', 'tokens.arrow')).toThrow(
        /another vocabulary than the checkpoint/,
      );
      back.model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
      r.model.dispose();
    }
  }, 120_000);

  it('triplet fine-tune: draws valid triplets, lowers the held-out triplet loss, separates the labels', async () => {
    // Three labels whose cells share most tokens (a common background) and
    // differ in a few: an untrained model mixes them.
    const rng = new SeededRandom(4);
    const offsets = [0];
    const toks: number[] = [];
    const labels: string[] = [];
    for (let r = 0; r < 90; r++) {
      const k = r % 3;
      const set = new Set<number>();
      while (set.size < 10) set.add(7 + rng.int(0, 30));
      while (set.size < 13) set.add(37 + 5 * k + rng.int(0, 5));
      toks.push(...[...set].sort((a, b) => a - b));
      offsets.push(toks.length);
      labels.push(['B', 'T', 'NK'][k]!);
    }
    const sets: TokenSets = {
      barcodes: labels.map((_, i) => `c${i}`),
      offsets: Int32Array.from(offsets),
      tokens: Int32Array.from(toks),
      nOverlapped: Int32Array.from({ length: 90 }, (_, r) => offsets[r + 1]! - offsets[r]!),
    };
    const classes = cellClasses(labels);
    const b = makeTripletBatch(sets, classes, [0, 1, 2], new SeededRandom(1));
    expect(b['n']).toBe(9);
    const pretrained = new AtacformerModel(
      atacformerConfig('tiny', 52, { dim: 16, ffnDim: 32, heads: 2, embeddingInitStd: 0.1 }),
      3,
    );
    const r = await finetuneAtacformerTriplet(sets, labels, {
      pretrained,
      seed: 0,
      epochs: 10,
      patience: 10,
      batchSize: 8,
      learningRate: 1e-2,
      valFraction: 0.2,
    });
    const v = r.history.map((h) => h.losses['val']!);
    expect(r.bestValLoss).toBeLessThan(0.5 * v[0]!);
    const e = embedAtacformer(r.model, sets);
    const km = kMeans(Float64Array.from(e.cells), 90, 16, 3, { seed: 0 });
    expect(adjustedRandIndex(labels, Array.from(km.labels))).toBeGreaterThan(0.8);
    const one = labels.map(() => 'B');
    const o = {
      pretrained,
      seed: 0,
      epochs: 1,
      patience: 1,
      batchSize: 8,
      learningRate: 1e-2,
      valFraction: 0.2,
    };
    await expect(finetuneAtacformerTriplet(sets, one, o)).rejects.toThrow(/at least two labels/);
    pretrained.dispose();
    r.model.dispose();
  }, 120_000);
});
