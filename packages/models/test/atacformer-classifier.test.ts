import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChromflowError, SeededRandom } from '@chromflow/core';
import type { TokenSets } from '@chromflow/atac-pseudobulk';
import { atacformerConfig } from '../src/atacformer/config.js';
import { AtacformerModel } from '../src/atacformer/model.js';
import {
  AtacformerCellTypeModel,
  cellTypeProbabilities,
  softmaxCrossEntropy,
} from '../src/atacformer/classifier.js';
import {
  cellClasses,
  finetuneAtacformerTriplet,
  makeTripletBatch,
} from '../src/atacformer/finetune-triplet.js';
import { embedAtacformer } from '../src/atacformer/embed.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** −log softmax(z)[y] averaged, in float64 on the host (log-sum-exp with the max subtracted). */
function hostCrossEntropy(z: number[][], y: number[]): number {
  let s = 0;
  z.forEach((row, i) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    s += lse - row[y[i]!]!;
  });
  return s / z.length;
}

/** An untrained tiny Atacformer over the 52-token vocabulary of `threeTypes`. */
function tinyPretrained(): AtacformerModel {
  return new AtacformerModel(
    atacformerConfig('tiny', 52, { dim: 16, ffnDim: 32, heads: 2, embeddingInitStd: 0.1 }),
    3,
  );
}

/** A 4-epoch fine-tune of `pretrained` (the option tests' common part). */
function shortFinetune(pretrained: AtacformerModel) {
  return { pretrained, seed: 0, epochs: 4, patience: 4, batchSize: 8, learningRate: 1e-2 };
}

/** 3 labels whose cells share a background of tokens and differ in a few (as the triplet test). */
function threeTypes(n: number, seed: number): { sets: TokenSets; labels: string[] } {
  const rng = new SeededRandom(seed);
  const offsets = [0];
  const toks: number[] = [];
  const labels: string[] = [];
  for (let r = 0; r < n; r++) {
    const k = r % 3;
    const set = new Set<number>();
    while (set.size < 10) set.add(7 + rng.int(0, 30));
    while (set.size < 13) set.add(37 + 5 * k + rng.int(0, 5));
    toks.push(...[...set].sort((a, b) => a - b));
    offsets.push(toks.length);
    labels.push(['B', 'T', 'NK'][k]!);
  }
  return {
    sets: {
      barcodes: labels.map((_, i) => `c${i}`),
      offsets: Int32Array.from(offsets),
      tokens: Int32Array.from(toks),
      nOverlapped: Int32Array.from({ length: n }, (_, r) => offsets[r + 1]! - offsets[r]!),
    },
    labels,
  };
}

describe('Atacformer cell-type classification head', () => {
  it('softmaxCrossEntropy equals the float64 host value', () => {
    const rng = new SeededRandom(1);
    const z = Array.from({ length: 7 }, () => Array.from({ length: 4 }, () => 5 * rng.normal()));
    const y = [0, 3, 1, 2, 2, 0, 3];
    const l = softmaxCrossEntropy(tf.tensor2d(z), Int32Array.from(y));
    expect(l.dataSync()[0]!).toBeCloseTo(hostCrossEntropy(z, y), 4);
  });

  it('loss = triplet + weight · CE of the head on the mean-pooled embeddings; probabilities are the softmax of the head', () => {
    const { sets, labels } = threeTypes(30, 2);
    const base = new AtacformerModel(
      atacformerConfig('tiny', 52, { dim: 8, ffnDim: 16, heads: 2 }),
      1,
    );
    const classes = cellClasses(labels);
    const m = new AtacformerCellTypeModel(base, classes.names, 5, 0.7);
    const b = makeTripletBatch(sets, classes, [0, 1, 2, 3], new SeededRandom(3));
    const [tokens, n, t] = [b['tokens'] as Int32Array, b['n'] as number, b['t'] as number];
    const ids = b['classIds'] as Int32Array;
    // Class ids are those of the cells drawn: anchors first.
    expect(Array.from(ids.subarray(0, 4), (c) => classes.names[c])).toEqual(labels.slice(0, 4));
    const parts = m.loss(tokens, n, t, ids);
    const triplet = base.tripletLoss(tokens, n, t).dataSync()[0]!;
    // Embeddings from the inference path, head applied on the host.
    const order: number[] = [];
    for (let i = 0; i < n; i++) {
      const cell = new Set<number>();
      for (let j = 0; j < t; j++) if (tokens[i * t + j]! !== 0) cell.add(tokens[i * t + j]!);
      order.push(
        sets.barcodes.findIndex((_, r) => {
          const own = sets.tokens.subarray(sets.offsets[r], sets.offsets[r + 1]);
          return own.length === cell.size && own.every((x) => cell.has(x));
        }),
      );
    }
    const e = embedAtacformer(base, sets).cells;
    const { kernel, bias } = m.headWeights();
    const z = order.map((r) =>
      Array.from({ length: 3 }, (_, c) => {
        let s = bias[c]!;
        for (let j = 0; j < 8; j++) s += e[r * 8 + j]! * kernel[j * 3 + c]!;
        return s;
      }),
    );
    const ce = hostCrossEntropy(z, Array.from(ids));
    expect(parts.crossEntropy.dataSync()[0]!).toBeCloseTo(ce, 4);
    expect(parts.total.dataSync()[0]!).toBeCloseTo(triplet + 0.7 * ce, 4);
    const p = cellTypeProbabilities({ classes: classes.names, kernel, bias }, e, 30);
    const want = tf
      .softmax(
        tf.add(tf.matMul(tf.tensor2d(e, [30, 8]), tf.tensor2d(kernel, [8, 3])), tf.tensor1d(bias)),
      )
      .dataSync();
    for (let i = 0; i < want.length; i++) expect(p.probabilities[i]!).toBeCloseTo(want[i]!, 5);
    expect(p.maxProbability[0]).toBeCloseTo(Math.max(...Array.from(want.subarray(0, 3))), 5);
    expect(() => new AtacformerCellTypeModel(base, ['B'], 0)).toThrow(ChromflowError);
    expect(() => cellTypeProbabilities({ classes: classes.names, kernel, bias }, e, 29)).toThrow(
      ChromflowError,
    );
    m.dispose();
    base.dispose();
  });

  it('trained jointly with the triplet loss on labelled cells, predicts the type of unlabelled cells', async () => {
    const { sets, labels } = threeTypes(150, 4);
    // The last 60 cells are unlabelled for the fine-tune and scored after.
    const train = labels.map((l, i) => (i < 90 ? l : ''));
    const pretrained = new AtacformerModel(
      atacformerConfig('tiny', 52, { dim: 16, ffnDim: 32, heads: 2, embeddingInitStd: 0.1 }),
      3,
    );
    const r = await finetuneAtacformerTriplet(sets, train, {
      pretrained,
      seed: 0,
      epochs: 10,
      patience: 10,
      batchSize: 8,
      learningRate: 1e-2,
      valFraction: 0.2,
      crossEntropyWeight: 1,
    });
    expect(r.head?.classes).toEqual(['B', 'NK', 'T']);
    const v = r.history.map((h) => h.losses['val']!);
    expect(r.bestValLoss).toBeLessThan(0.5 * v[0]!);
    const e = embedAtacformer(r.model, sets).cells;
    const p = cellTypeProbabilities(r.head!, e.subarray(90 * 16), 60);
    const ok = p.predicted.filter((l, k) => l === labels[90 + k]).length;
    expect(ok / 60).toBeGreaterThan(0.9);
    expect(Math.min(...p.maxProbability)).toBeGreaterThan(1 / 3);
    pretrained.dispose();
    r.model.dispose();
  }, 120_000);
  it('with freezeTokenTable keeps the pretrained token rows and trains the rest', async () => {
    const { sets, labels } = threeTypes(90, 5);
    const pretrained = tinyPretrained();
    const o = {
      ...shortFinetune(pretrained),
      valFraction: 0.2,
      freezeTokenTable: true,
    };
    for (const crossEntropyWeight of [0, 1]) {
      const r = await finetuneAtacformerTriplet(sets, labels, { ...o, crossEntropyWeight });
      expect(r.head !== undefined).toBe(crossEntropyWeight > 0);
      expect(Array.from(r.model.table.weights)).toEqual(Array.from(pretrained.table.weights));
      // The encoder moved, and the held-out loss fell below its first epoch's.
      const before = new Map(pretrained.vars.named.map((v) => [v.name, v.variable.dataSync()]));
      const moved = r.model.vars.named.filter((v) => {
        const w0 = before.get(v.name)!;
        return v.variable.dataSync().some((x, i) => x !== w0[i]);
      });
      expect(moved.some((v) => v.name.startsWith('encoder/'))).toBe(true);
      expect(r.bestValLoss).toBeLessThan(r.history[0]!.losses['val']!);
      r.model.dispose();
    }
    pretrained.dispose();
  }, 120_000);
  it("with selectBy 'accuracy' keeps the epoch whose head is most accurate on the held-out cells", async () => {
    const { sets, labels } = threeTypes(90, 6);
    const pretrained = tinyPretrained();
    const o = {
      ...shortFinetune(pretrained),
      valFraction: 0.3,
      crossEntropyWeight: 1,
      selectBy: 'accuracy' as const,
    };
    const r = await finetuneAtacformerTriplet(sets, labels, o);
    const errors = r.history.map((h) => h.losses['accuracy']!);
    expect(r.history.every((h) => h.losses['val']! > 0)).toBe(true);
    expect(r.bestValLoss).toBe(Math.min(...errors));
    expect(r.bestEpoch).toBe(errors.indexOf(r.bestValLoss));
    // The returned head and encoder give that accuracy on the held-out cells.
    const e = embedAtacformer(r.model, sets).cells;
    const held = r.valBarcodes.map((b) => sets.barcodes.indexOf(b));
    const x = new Float32Array(held.length * 16);
    held.forEach((c, k) => x.set(e.subarray(c * 16, c * 16 + 16), k * 16));
    const p = cellTypeProbabilities(r.head!, x, held.length);
    const ok = p.predicted.filter((l, k) => l === labels[held[k]!]).length;
    expect(1 - ok / held.length).toBeCloseTo(r.bestValLoss, 6);
    r.model.dispose();
    await expect(
      finetuneAtacformerTriplet(sets, labels, { ...o, crossEntropyWeight: 0 }),
    ).rejects.toThrow(/needs the classification head/);
    pretrained.dispose();
  }, 120_000);
});
