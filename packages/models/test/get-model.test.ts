import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@chromflow/core';
import { getConfig, type GetConfig } from '../src/get/config.js';
import { GetModel } from '../src/get/model.js';
import { torchPython, relErr } from './twins/twin-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const twin = join(here, 'twins', 'get_twin.py');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const python = torchPython();

interface Case {
  x: Float32Array;
  y: Float32Array;
  mask: Float32Array;
  dropPath: Float32Array;
  /** The TSS mask, for `expressionLoss: tss`. */
  tss?: Float32Array;
  /** Region centres in bp, for `positional: relative`. */
  pos?: Float32Array;
  shape: [number, number, number];
}

function makeCase(c: GetConfig, b: number, t: number, seed: number): Case {
  const rng = new SeededRandom(seed);
  const f = c.features;
  const x = Float32Array.from({ length: b * t * f }, () =>
    rng.uniform() < 0.6 ? 0 : rng.uniform(),
  );
  const y = Float32Array.from({ length: b * t * 2 }, () =>
    rng.uniform() < 0.7 ? 0 : 3 * rng.uniform(),
  );
  const mask = Float32Array.from({ length: b * t }, () => (rng.uniform() < 0.5 ? 1 : 0));
  // Drop-path masks as the trainer draws them: 0 or 1/(1 − p).
  const dropPath = Float32Array.from({ length: b * c.layers }, () =>
    rng.uniform() < 0.3 ? 0 : 1 / 0.7,
  );
  const tss =
    c.expressionLoss === 'tss'
      ? Float32Array.from({ length: b * t * 2 }, () => (rng.uniform() < 0.3 ? 1 : 0))
      : undefined;
  // Sorted centres 0.5–20 kb apart (the length scales the bias spans).
  let at = 0;
  const pos =
    c.positional === 'relative'
      ? Float32Array.from({ length: b * t }, (_, i) => {
          at = i % t === 0 ? 0 : at + 500 + 19_500 * rng.uniform();
          return at;
        })
      : undefined;
  return {
    x,
    y,
    mask,
    dropPath,
    ...(tss ? { tss } : {}),
    ...(pos ? { pos } : {}),
    shape: [b, t, f],
  };
}

/** Our outputs, loss and gradients (by checkpoint name) for a case. */
function ours(m: GetModel, k: Case) {
  const [b, t, f] = k.shape;
  const x = tf.tensor3d(k.x, [b, t, f]);
  const y = tf.tensor3d(k.y, [b, t, 2]);
  const mask = tf.tensor2d(k.mask, [b, t]);
  const dp = tf.tensor2d(k.dropPath, [b, m.config.layers]);
  const tss = k.tss ? tf.tensor3d(k.tss, [b, t, 2]) : undefined;
  const pos = k.pos ? tf.tensor2d(k.pos, [b, t]) : undefined;
  const out = m.forward(x, mask, dp, pos);
  const vars = m.trainableVariables();
  const { value, grads } = tf.variableGrads(() => m.loss(x, y, mask, dp, tss, pos), vars);
  const byName: Record<string, Float32Array> = {};
  for (const n of m.vars.named) {
    const g = grads[n.variable.name];
    if (g) byName[n.name] = g.dataSync() as Float32Array;
  }
  const r = { out: out.dataSync() as Float32Array, loss: value.dataSync()[0]!, grads: byName };
  tf.dispose([
    x,
    y,
    mask,
    dp,
    out,
    value,
    ...Object.values(grads),
    ...(tss ? [tss] : []),
    ...(pos ? [pos] : []),
  ]);
  return r;
}

function theirs(m: GetModel, k: Case) {
  const weights: Record<string, { data: number[]; shape: number[] }> = {};
  for (const n of m.vars.named)
    weights[n.name] = { data: Array.from(n.variable.dataSync()), shape: n.variable.shape };
  const req = {
    config: m.config,
    weights,
    shape: k.shape,
    x: Array.from(k.x),
    y: Array.from(k.y),
    mask: Array.from(k.mask),
    dropPath: Array.from(k.dropPath),
    tss: k.tss ? Array.from(k.tss) : null,
    pos: k.pos ? Array.from(k.pos) : null,
  };
  const r = spawnSync(python!, [twin], {
    input: JSON.stringify(req),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { out: number[]; loss: number; grads: Record<string, number[]> };
}

const configs: [string, GetConfig][] = [
  ['expression', getConfig('tiny', 9, 'expression', { dim: 16, heads: 4 })],
  [
    'expression, loss on TSS pairs only',
    getConfig('tiny', 9, 'expression', { dim: 16, expressionLoss: 'tss' }),
  ],
  ['atac', getConfig('tiny', 9, 'atac', { dim: 16, heads: 2 })],
  [
    'pretrain, learned positions',
    getConfig('tiny', 9, 'pretrain', { dim: 16, positional: 'learned', maxRegions: 12 }),
  ],
  [
    'expression, relative positions (bp), loss on TSS pairs',
    getConfig('tiny', 9, 'expression', { dim: 16, positional: 'relative', expressionLoss: 'tss' }),
  ],
  [
    'expression with LoRA',
    getConfig('tiny', 9, 'expression', { dim: 16, lora: { rank: 2, alpha: 4 } }),
  ],
];

describe('GET model vs its PyTorch twin (float64, same weights)', () => {
  for (const [label, c] of configs) {
    it.skipIf(python === undefined)(
      `${label}: outputs, loss and every gradient ≤ 1e-5 relative`,
      () => {
        const m = new GetModel(c, 7);
        // LoRA's B starts at zero; give it values so the adapter path is exercised.
        for (const n of m.vars.named)
          if (n.name.endsWith('lora_b'))
            n.variable.assign(tf.randomUniform(n.variable.shape, -0.2, 0.2, 'float32', 3));
        // Relative-position weights start sparse; give every scale and head a value.
        for (const n of m.vars.named)
          if (n.name.endsWith('/relpos'))
            n.variable.assign(tf.randomUniform(n.variable.shape, -2, 2, 'float32', 5));
        const k = makeCase(c, 3, 10, 11);
        const a = ours(m, k);
        const b = theirs(m, k);
        expect(relErr(a.out, b.out)).toBeLessThan(1e-5);
        expect(Math.abs(a.loss - b.loss) / Math.abs(b.loss)).toBeLessThan(1e-5);
        const trainable = m.vars.named.filter((n) => n.trainable).map((n) => n.name);
        expect(Object.keys(a.grads).sort()).toEqual([...trainable].sort());
        for (const name of trainable) {
          const g = b.grads[name];
          expect(g, name).toBeDefined();
          expect(relErr(a.grads[name]!, g!), name).toBeLessThan(1e-5);
        }
        m.dispose();
      },
    );
  }
  it.skipIf(python !== undefined)('skips without torch', () => {
    console.warn('skipping: /usr/bin/python3 with torch not found (apt install python3-torch)');
  });
});

describe('GET model', () => {
  it('LoRA trains only the adapters and the head', () => {
    const c = getConfig('tiny', 9, 'expression', { lora: { rank: 4, alpha: 8 } });
    const m = new GetModel(c, 1);
    const names = m.vars.named.filter((n) => n.trainable).map((n) => n.name);
    expect(
      names.every((n) => n.startsWith('head/') || n.endsWith('/lora_a') || n.endsWith('/lora_b')),
    ).toBe(true);
    // 1 embedding + 4 linears × 2 blocks, A and B each, plus the head's kernel and bias.
    expect(names.length).toBe(2 * (1 + 4 * c.layers) + 2);
    m.dispose();
  });

  it('no positional encoding: permuting regions permutes the outputs', () => {
    const c = getConfig('tiny', 5, 'expression', { dropPath: 0 });
    const m = new GetModel(c, 2);
    const k = makeCase(c, 1, 6, 3);
    const perm = [5, 2, 0, 4, 1, 3];
    const xp = new Float32Array(k.x.length);
    perm.forEach((src, dst) => xp.set(k.x.subarray(src * 5, src * 5 + 5), dst * 5));
    const a = m.forward(tf.tensor3d(k.x, [1, 6, 5])).arraySync()[0]!;
    const b = m.forward(tf.tensor3d(xp, [1, 6, 5])).arraySync()[0]!;
    perm.forEach((src, dst) => {
      expect(b[dst]![0]!).toBeCloseTo(a[src]![0]!, 5);
    });
    m.dispose();
  });

  it('relative positions: outputs depend on distances in bp, not on where the window sits or its order', () => {
    const c = getConfig('tiny', 5, 'expression', { dropPath: 0, positional: 'relative' });
    const m = new GetModel(c, 2);
    const k = makeCase(c, 1, 6, 3);
    const run = (x: Float32Array, pos: ArrayLike<number>) =>
      m
        .forward(
          tf.tensor3d(x, [1, 6, 5]),
          undefined,
          undefined,
          tf.tensor2d(Array.from(pos), [1, 6]),
        )
        .arraySync()[0]!;
    const a = run(k.x, k.pos!);
    // The same window 1 Mb further along the chromosome.
    const shifted = run(
      k.x,
      Array.from(k.pos!, (p) => p + 1e6),
    );
    a.forEach((row, i) => expect(shifted[i]![0]!).toBeCloseTo(row[0]!, 4));
    // Regions listed in another order, each with its own position.
    const perm = [5, 2, 0, 4, 1, 3];
    const xp = new Float32Array(k.x.length);
    perm.forEach((src, dst) => xp.set(k.x.subarray(src * 5, src * 5 + 5), dst * 5));
    const b = run(
      xp,
      perm.map((src) => k.pos![src]!),
    );
    perm.forEach((src, dst) => expect(b[dst]![0]!).toBeCloseTo(a[src]![0]!, 4));
    // Other distances, other outputs.
    const far = run(
      k.x,
      Array.from(k.pos!, (p) => p * 10),
    );
    expect(Math.max(...a.map((row, i) => Math.abs(row[0]! - far[i]![0]!)))).toBeGreaterThan(1e-3);
    expect(() => m.forward(tf.tensor3d(k.x, [1, 6, 5]))).toThrow(/region positions/);
    m.dispose();
  });
});
