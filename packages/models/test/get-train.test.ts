import { mkdtempSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChromflowError, SeededRandom } from '@chromflow/core';
import { loadLoraAdapters, takeWeights } from '@chromflow/compute';
import { getConfig } from '../src/get/config.js';
import { GetModel } from '../src/get/model.js';
import {
  assignGetWeights,
  GET_ADAPTER_DIR,
  loadGetModel,
  mergeGetLora,
  readGetCheckpoint,
  saveGetModel,
} from '../src/get/checkpoint.js';
import { makeGetBatch, makeGetSplit, allSamples } from '../src/get/samples.js';
import { trainGet } from '../src/get/train-get.js';
import { agreement } from '../src/get/metrics.js';
import type { GetArrays } from '../src/get/tables.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 3 cell types × 80 regions on 2 chromosomes, 4 motif clusters, windows of 20 (stride 20). */
function toyArrays(clusters = 4): GetArrays {
  const rng = new SeededRandom(5);
  const n = 80;
  const types = 3;
  const motif = Float32Array.from({ length: n * clusters }, () =>
    rng.uniform() < 0.5 ? 0 : rng.uniform(),
  );
  const accessibility = Float32Array.from({ length: types * n }, () => rng.uniform());
  const tssMask = Uint8Array.from({ length: n * 2 }, () => (rng.uniform() < 0.3 ? 1 : 0));
  const labels = new Float32Array(types * n * 2);
  for (let t = 0; t < types; t++)
    for (let j = 0; j < n * 2; j++)
      if (tssMask[j])
        labels[t * n * 2 + j] = 2 * motif[(j >> 1) * clusters]! * accessibility[t * n + (j >> 1)]!;
  return {
    clusters: Array.from({ length: clusters }, (_, i) => `c${i}`),
    cellTypes: ['A', 'B', 'C'],
    nRegions: n,
    motif,
    accessibility,
    labels,
    tssMask,
    windowFirsts: Int32Array.from([0, 20, 40, 60]),
    windowSize: 20,
  };
}
const chroms = ['chr1', 'chr1', 'chr2', 'chr2'];

describe('GET training', () => {
  it('splits leave out whole cell types and chromosomes', () => {
    const a = toyArrays();
    const s = makeGetSplit(a, chroms, {
      testCellTypes: ['C'],
      testChroms: ['chr2'],
      valChroms: [],
      valEvery: 2,
    });
    // Test = C × chr2 windows; training never sees C or chr2.
    expect(Array.from(s.test.types)).toEqual([2, 2]);
    expect(Array.from(s.test.windows)).toEqual([2, 3]);
    for (const part of [s.train, s.val])
      for (let i = 0; i < part.types.length; i++) {
        expect(part.types[i]).not.toBe(2);
        expect(chroms[part.windows[i]!]).toBe('chr1');
      }
    expect(s.train.types.length + s.val.types.length).toBe(4);
  });

  it('valChroms validates on whole held-out chromosomes, disjoint from training and test', () => {
    const a = toyArrays();
    const three = ['chr1', 'chr2', 'chr3', 'chr3'];
    const s = makeGetSplit(a, three, { testChroms: ['chr3'], valChroms: ['chr2'] });
    // Every type: window 0 (chr1) trains, window 1 (chr2) validates, windows 2-3 (chr3) test.
    expect(Array.from(s.train.windows)).toEqual([0, 0, 0]);
    expect(Array.from(s.val.windows)).toEqual([1, 1, 1]);
    expect(Array.from(s.val.types)).toEqual([0, 1, 2]);
    expect(Array.from(s.test.windows)).toEqual([2, 3, 2, 3, 2, 3]);
    // Without valChroms, validation is every 3rd training sample, drawn from both chr1 and chr2.
    const every = makeGetSplit(a, three, { testChroms: ['chr3'], valEvery: 3 });
    expect(new Set(Array.from(every.val.windows, (w) => three[w]))).toEqual(
      new Set(['chr1', 'chr2']),
    );
  });

  it('a validation chromosome that is absent or also a test chromosome is a PARAM error', () => {
    const a = toyArrays();
    expect(() => makeGetSplit(a, chroms, { valChroms: ['chr9'] })).toThrow(
      /valChroms names a chromosome with no window/,
    );
    expect(() => makeGetSplit(a, chroms, { testChroms: ['chrX'] })).toThrow(
      /testChroms names a chromosome with no window/,
    );
    expect(() => makeGetSplit(a, chroms, { testChroms: ['chr2'], valChroms: ['chr2'] })).toThrow(
      /both a test and a validation chromosome/,
    );
  });

  it('a run killed after 2 epochs resumes to the uninterrupted weights bit for bit', async () => {
    const a = toyArrays();
    const split = makeGetSplit(a, chroms, { testCellTypes: ['C'] });
    const config = getConfig('tiny', 5, 'expression', { dim: 16 });
    const o = { config, seed: 3, epochs: 4, patience: 10, batchSize: 3, learningRate: 1e-3 };
    const full = await trainGet(a, split, o);
    const dir = mkdtempSync(join(tmpdir(), 'get-resume-'));
    const first = await trainGet(a, split, { ...o, checkpointDir: dir, stopAfterEpochs: 2 });
    expect(first.interrupted).toBe(true);
    first.model.dispose();
    const resumed = await trainGet(a, split, { ...o, checkpointDir: dir, resume: true });
    expect(resumed.history.length).toBe(4);
    expect(resumed.bestEpoch).toBe(full.bestEpoch);
    const w1 = takeWeights(full.model);
    const w2 = takeWeights(resumed.model);
    w1.forEach((w, i) => expect(Array.from(w2[i]!)).toEqual(Array.from(w)));
    full.model.dispose();
    resumed.model.dispose();
  });

  it('pretrain → fine-tune → LoRA: adapter saved alone and small, merged outputs equal adapted ones', async () => {
    const a = toyArrays();
    const split = makeGetSplit(a, chroms, { testCellTypes: ['C'] });
    const dir = mkdtempSync(join(tmpdir(), 'get-chain-'));
    const manifest = {
      stage: 'test',
      clusters: a.clusters,
      cellTypes: a.cellTypes,
      dataHashes: {},
      metrics: {},
    };
    const pre = await trainGet(a, split, {
      config: getConfig('tiny', 5, 'pretrain'),
      seed: 1,
      epochs: 2,
      patience: 5,
      batchSize: 4,
      learningRate: 1.5e-4,
    });
    await saveGetModel(join(dir, 'pre'), pre.model, manifest);
    const preCk = await readGetCheckpoint(join(dir, 'pre'));
    const ft = await trainGet(a, split, {
      config: getConfig('tiny', 5, 'expression'),
      seed: 2,
      epochs: 2,
      patience: 5,
      batchSize: 4,
      learningRate: 1e-4,
      init: (m) => assignGetWeights(m, preCk, 'pre', { skip: ['head/'] }),
    });
    await saveGetModel(join(dir, 'ft'), ft.model, manifest);
    const ftCk = await readGetCheckpoint(join(dir, 'ft'));
    const lcfg = getConfig('tiny', 5, 'expression', { lora: { rank: 2, alpha: 4 } });
    const lora = await trainGet(a, split, {
      config: lcfg,
      seed: 3,
      epochs: 3,
      patience: 5,
      batchSize: 4,
      learningRate: 1e-2,
      init: (m) => assignGetWeights(m, ftCk, 'ft', { allowMissing: (n) => n.includes('lora_') }),
    });
    await saveGetModel(join(dir, 'lora'), lora.model, manifest);
    // Frozen base unchanged by the LoRA fine-tune.
    const base = lora.model.vars.named.find((n) => n.name === 'encoder/block0/ffn1/kernel')!;
    expect(Array.from(base.variable.dataSync())).toEqual(
      Array.from(ftCk.tensors.get('encoder/block0/ffn1/kernel')!.dataSync()),
    );
    // Adapter alone: 4 bytes × (A + B) of the 9 adapted layers, a fraction of the model.
    const adapterBytes = statSync(join(dir, 'lora', GET_ADAPTER_DIR, 'weights.bin')).size;
    const loraParams = Object.values(lora.model.adapters).reduce(
      (s, p) => s + p.a.size + p.b.size,
      0,
    );
    expect(adapterBytes).toBe(4 * loraParams);
    expect(adapterBytes).toBeLessThan(0.2 * statSync(join(dir, 'ft', 'weights.bin')).size);
    // Loading the adapter into a fresh LoRA model over the fine-tuned base reproduces the adapted model.
    const fresh = new GetModel(lcfg, 9);
    assignGetWeights(fresh, ftCk, 'ft', { allowMissing: (n) => n.includes('lora_') });
    for (const n of fresh.vars.named)
      if (n.name.startsWith('head/'))
        n.variable.assign(lora.model.vars.named.find((o) => o.name === n.name)!.variable);
    await loadLoraAdapters(join(dir, 'lora', GET_ADAPTER_DIR), fresh.adapters);
    const batch = makeGetBatch(a, lcfg, allSamples(a), [0, 5, 10]);
    const x = tf.tensor3d(batch.x as Float32Array, [3, 20, 5]);
    const adapted = lora.model.forward(x).dataSync();
    const merged = mergeGetLora(lora.model);
    const m = merged.forward(x).dataSync();
    const f = fresh.forward(x).dataSync();
    let err = 0;
    let scale = 0;
    for (let i = 0; i < adapted.length; i++) {
      err = Math.max(err, Math.abs(m[i]! - adapted[i]!), Math.abs(f[i]! - adapted[i]!));
      scale = Math.max(scale, Math.abs(adapted[i]!));
    }
    expect(err / scale).toBeLessThan(1e-5);
    // The adapters learned something: merged differs from the base fine-tune.
    const { model: ftModel } = await loadGetModel(join(dir, 'ft'));
    const b = ftModel.forward(x).dataSync();
    expect(Math.max(...Array.from(b, (v, i) => Math.abs(v - adapted[i]!)))).toBeGreaterThan(1e-4);
    tf.dispose([x, ...preCk.tensors.values(), ...ftCk.tensors.values()]);
    for (const mm of [pre.model, ft.model, lora.model, merged, fresh, ftModel]) mm.dispose();
  }, 120_000);

  it('bad input: another model’s checkpoint, another feature count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'get-bad-'));
    mkdirSync(join(dir, 'x'));
    writeFileSync(
      join(dir, 'x', 'model.json'),
      JSON.stringify({ format: 'chromflow-xchrom', modelTopology: {}, weightsManifest: [] }),
    );
    await expect(readGetCheckpoint(join(dir, 'x'))).rejects.toThrow(/not a GET checkpoint/);
    const m = new GetModel(getConfig('tiny', 5), 0);
    await saveGetModel(join(dir, 'g'), m, {
      stage: 't',
      clusters: [],
      cellTypes: [],
      dataHashes: {},
      metrics: {},
    });
    const other = new GetModel(getConfig('tiny', 8), 0);
    const ck = await readGetCheckpoint(join(dir, 'g'));
    let caught: unknown;
    try {
      assignGetWeights(other, ck, 'g/model.json');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ChromflowError);
    expect(String((caught as Error).message) + JSON.stringify(caught)).toMatch(
      /feature count[\s\S]*8[\s\S]*5/,
    );
    // Windows with a feature count other than the model's.
    expect(() => makeGetBatch(toyArrays(6), m.config, allSamples(toyArrays(6)), [0])).toThrow(
      /different feature count/,
    );
    const wider = new GetModel(getConfig('tiny', 5, 'expression', { dim: 64 }), 0);
    expect(() => assignGetWeights(wider, ck, 'g/model.json')).toThrow(/another shape/);
    for (const mm of [m, other, wider]) mm.dispose();
    tf.dispose([...ck.tensors.values()]);
  });

  const py =
    spawnSync('/usr/bin/python3', ['-c', 'import scipy, sklearn'], { encoding: 'utf8' }).status ===
    0;
  it.skipIf(!py)('Pearson, Spearman (ties) and R² equal scipy / sklearn', () => {
    const rng = new SeededRandom(2);
    const x = Array.from({ length: 50 }, () => Math.round(rng.uniform() * 8) / 2);
    const y = x.map((v) => v + rng.normal());
    const ours = agreement(x, y);
    const r = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        `import json,sys;from scipy.stats import pearsonr,spearmanr;from sklearn.metrics import r2_score;x,y=json.load(sys.stdin);print(json.dumps([pearsonr(x,y)[0],spearmanr(x,y)[0],r2_score(y,x)]))`,
      ],
      { input: JSON.stringify([x, y]), encoding: 'utf8' },
    );
    const [p, s, r2] = JSON.parse(r.stdout) as number[];
    expect(ours.pearson).toBeCloseTo(p!, 10);
    expect(ours.spearman).toBeCloseTo(s!, 10);
    expect(ours.r2).toBeCloseTo(r2!, 10);
  });
});
