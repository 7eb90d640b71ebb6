import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, SeededRandom } from '@chromflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAttention, multiHeadSelfAttention } from '../src/layers/attention.js';
import { createLinear, linear, type LinearParams } from '../src/layers/linear.js';
import {
  createLora,
  loadLoraAdapters,
  loraLinear,
  mergeLora,
  saveLoraAdapters,
  type LoraParams,
} from '../src/layers/lora.js';
import { VariableList } from '../src/layers/named-variables.js';
import { checkCases, host, normals, relativeError, type LayerCase } from './twins/check-case.js';
import { linear64 } from './twins/reference64.js';

const as1 = (t: tf.Tensor): tf.Tensor1D => t as tf.Tensor1D;
const as2 = (t: tf.Tensor): tf.Tensor2D => t as tf.Tensor2D;

/** y = x·W + b + (α/r)·(x·A)·B in float64. */
function lora64(
  p: Record<string, Float64Array>,
  nIn: number,
  nOut: number,
  r: number,
  alpha: number,
): Float64Array {
  const base = linear64(p['x']!, p['kernel']!, p['bias']!, nIn, nOut);
  const xa = linear64(p['x']!, p['a']!, new Float64Array(r), nIn, r);
  const up = linear64(xa, p['b']!, new Float64Array(nOut), r, nOut);
  return base.map((v, i) => v + (alpha / r) * up[i]!);
}

describe('LoRA forward and gradients equal y = xW + b + (α/r)·xAB', () => {
  const cases: LayerCase[] = (
    [
      [[2, 3, 7], 5, 2, 4],
      [[5, 6], 9, 1, 1],
      [[1, 1, 4], 3, 3, 16],
    ] as [number[], number, number, number][]
  ).map(([shape, nOut, r, alpha], k) => {
    const nIn = shape[shape.length - 1]!;
    return {
      label: `LoRA ${shape.join('×')} → ${nOut}, r ${r}, α ${alpha}`,
      inputs: {
        x: host(shape, 10 + k),
        kernel: host([nIn, nOut], 20 + k, 0.5),
        bias: host([nOut], 30 + k),
        a: host([nIn, r], 40 + k, 0.5),
        // Non-zero B (as after some training), so every path is exercised.
        b: host([r, nOut], 50 + k, 0.5),
      },
      tf: ({ x, kernel, bias, a, b }) =>
        loraLinear(x!, {
          base: { kernel: as2(kernel!), bias: as1(bias!) },
          a: as2(a!),
          b: as2(b!),
          rank: r,
          alpha,
        }),
      ref: (p) => lora64(p, nIn, nOut, r, alpha),
    };
  });
  checkCases(cases);
});

describe('LoRA wrapper: frozen base, save the adapter alone, load, merge', () => {
  let dir = '';
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'chromflow-lora-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A two-layer model: base weights from seed 1, adapters from `seed`. */
  function build(seed: number, rank = 4, alpha = 8) {
    const vars = new VariableList();
    const base1 = createLinear(vars, new SeededRandom(1), 'l1', 12, 20);
    const base2 = createLinear(vars, new SeededRandom(2), 'l2', 20, 3);
    const rng = new SeededRandom(seed);
    const adapters: Record<string, LoraParams> = {
      l1: createLora(vars, rng, 'l1', base1, rank, alpha),
      l2: createLora(vars, rng, 'l2', base2, rank, alpha),
    };
    const forward = (x: tf.Tensor) =>
      loraLinear(tf.relu(loraLinear(x, adapters['l1']!)), adapters['l2']!);
    return { vars, adapters, forward };
  }

  it('freezes the base, starts equal to it (B = 0), A in U(−1/√in, 1/√in)', () => {
    const { vars, adapters, forward } = build(5);
    expect(
      vars.trainableVariables().map((v) => vars.named.find((n) => n.variable === v)!.name),
    ).toEqual(['l1/lora_a', 'l1/lora_b', 'l2/lora_a', 'l2/lora_b']);
    expect(
      vars.named
        .filter((n) => n.name.startsWith('l1/') && !n.name.includes('lora'))
        .every((n) => !n.variable.trainable),
    ).toBe(true);
    const x = tf.tensor2d(normals(24, 3), [2, 12]);
    const plain = (p: LinearParams): LinearParams => ({ kernel: p.kernel, bias: p.bias });
    const base = linear(
      tf.relu(linear(x, plain(adapters['l1']!.base))),
      plain(adapters['l2']!.base),
    );
    expect(relativeError(forward(x).dataSync(), base.dataSync())).toBe(0);
    const a = adapters['l1']!.a.dataSync();
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(12));
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.8 / Math.sqrt(12));
    // With no variable list given, variableGrads differentiates the adapters only.
    const { grads } = tf.variableGrads((): tf.Scalar => tf.sum(tf.square(forward(x))));
    const adapterNames = vars.trainableVariables().map((v) => v.name);
    expect(Object.keys(grads).sort()).toEqual(adapterNames.sort());
    tf.dispose([x, base, ...Object.values(grads)]);
    vars.dispose();
  });

  it('saves only A and B, reloads them into a fresh model, and the merged layers give the same outputs', async () => {
    const trained = build(5);
    // Stand-in for training: give B non-zero values.
    for (const [i, p] of Object.values(trained.adapters).entries()) {
      (p.b as tf.Variable).assign(tf.tensor(normals(p.b.size, 70 + i, 0.3), p.b.shape));
    }
    await saveLoraAdapters(dir, trained.adapters);
    const bytes = (await stat(join(dir, 'weights.bin'))).size;
    // A and B of both layers in float32: (12·4 + 4·20) + (20·4 + 4·3) = 220 values; the bases hold 323.
    expect(bytes).toBe(4 * (12 * 4 + 4 * 20 + 20 * 4 + 4 * 3));
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
      modelTopology: unknown;
    };
    expect(json.modelTopology).toEqual({
      adapters: { l1: { rank: 4, alpha: 8 }, l2: { rank: 4, alpha: 8 } },
    });

    const fresh = build(99);
    await loadLoraAdapters(dir, fresh.adapters);
    const x = tf.tensor3d(normals(2 * 5 * 12, 4), [2, 5, 12]);
    const want = trained.forward(x);
    expect(relativeError(fresh.forward(x).dataSync(), want.dataSync())).toBe(0);

    const m1 = mergeLora(fresh.adapters['l1']!);
    const m2 = mergeLora(fresh.adapters['l2']!);
    const merged = linear(tf.relu(linear(x, m1)), m2);
    expect(relativeError(merged.dataSync(), want.dataSync())).toBeLessThan(1e-6);
    // Merged kernel = W + (α/r)·A·B, computed in float64.
    const [w, a, b] = [
      fresh.adapters['l1']!.base.kernel,
      fresh.adapters['l1']!.a,
      fresh.adapters['l1']!.b,
    ].map((t) => Float64Array.from(t.dataSync()));
    const ab = linear64(a!, b!, new Float64Array(20), 4, 20);
    expect(
      relativeError(
        m1.kernel.dataSync(),
        w!.map((v, i) => v + 2 * ab[i]!),
      ),
    ).toBeLessThan(1e-6);
    tf.dispose([x, want, merged, m1.kernel, m1.bias, m2.kernel, m2.bias]);
    trained.vars.dispose();
    fresh.vars.dispose();
  });

  it('adapts a layer where it stands: attention with LoRA on its QKV equals attention with the merged QKV', () => {
    const vars = new VariableList();
    const rng = new SeededRandom(3);
    const att = createAttention(vars, rng, 'att', 8, 2);
    const x = tf.tensor3d(normals(2 * 5 * 8, 4), [2, 5, 8]);
    const before = multiHeadSelfAttention(x, att);
    const adapter = createLora(vars, rng, 'att/qkv', att.qkv, 2, 4);
    expect(vars.named.filter((n) => n.trainable).map((n) => n.name)).toEqual([
      'att/out/kernel',
      'att/out/bias',
      'att/qkv/lora_a',
      'att/qkv/lora_b',
    ]);
    (adapter.b as tf.Variable).assign(tf.tensor(normals(adapter.b.size, 5, 0.3), adapter.b.shape));
    const adapted = multiHeadSelfAttention(x, att);
    expect(relativeError(adapted.dataSync(), before.dataSync())).toBeGreaterThan(1e-3);
    const qkv = mergeLora(adapter);
    const merged = multiHeadSelfAttention(x, { ...att, qkv });
    expect(relativeError(merged.dataSync(), adapted.dataSync())).toBeLessThan(1e-6);
    tf.dispose([x, before, adapted, merged, qkv.kernel, qkv.bias]);
    vars.dispose();
  });

  it('refuses a file of another kind and an adapter of another shape, naming them', async () => {
    const other = build(5, 2);
    await expect(loadLoraAdapters(dir, other.adapters)).rejects.toMatchObject({
      code: 'SCHEMA',
      field: 'l1',
    });
    const bad = join(dir, 'not-lora');
    await saveLoraAdapters(bad, other.adapters);
    const modelJson = join(bad, 'model.json');
    const text = await readFile(modelJson, 'utf8');
    await writeFile(modelJson, text.replace('chromflow-lora', 'chromflow-xchrom'));
    await expect(loadLoraAdapters(bad, other.adapters)).rejects.toBeInstanceOf(ChromflowError);
    await expect(loadLoraAdapters(bad, other.adapters)).rejects.toMatchObject({ code: 'PARSE' });
    other.vars.dispose();
  });
});
