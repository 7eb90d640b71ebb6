import type * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { drawDropPathMask, drawDropoutMask } from '../src/layers/dropout.js';
import { VariableList } from '../src/layers/named-variables.js';
import {
  createTransformerEncoder,
  drawTransformerBlockMasks,
  transformerBlock,
  transformerEncoder,
  type FfnActivation,
  type TransformerBlockMasks,
  type TransformerBlockParams,
} from '../src/layers/transformer-encoder.js';
import { checkCases, host, type HostTensor, type LayerCase } from './twins/check-case.js';
import { block64, layerNorm64, type Block64, type BlockMasks64 } from './twins/reference64.js';

interface Shape {
  b: number;
  t: number;
  d: number;
  h: number;
  f: number;
  act: FfnActivation;
  eps: number;
  padding?: number[];
}

const blockKeys = [
  'ln1g',
  'ln1b',
  'qkvKernel',
  'qkvBias',
  'outKernel',
  'outBias',
  'ln2g',
  'ln2b',
  'w1',
  'b1',
  'w2',
  'b2',
] as const;

function blockInputs(s: Shape, seed: number, prefix = ''): Record<string, HostTensor> {
  const { d, f } = s;
  const r = 1 / Math.sqrt(d);
  const shapes: Record<(typeof blockKeys)[number], [number[], number, number]> = {
    ln1g: [[d], 0.3, 1],
    ln1b: [[d], 0.3, 0],
    qkvKernel: [[d, 3 * d], 1.2 * r, 0],
    qkvBias: [[3 * d], 0.2, 0],
    outKernel: [[d, d], r, 0],
    outBias: [[d], 0.2, 0],
    ln2g: [[d], 0.3, 1],
    ln2b: [[d], 0.3, 0],
    w1: [[d, f], r, 0],
    b1: [[f], 0.3, 0],
    w2: [[f, d], 1 / Math.sqrt(f), 0],
    b2: [[d], 0.2, 0],
  };
  return Object.fromEntries(
    blockKeys.map((k, i) => [prefix + k, host(shapes[k][0], seed + i, shapes[k][1], shapes[k][2])]),
  );
}

function tfBlock(p: Record<string, tf.Tensor>, s: Shape, prefix = ''): TransformerBlockParams {
  const g = (k: string) => p[prefix + k]!;
  return {
    norm1: { gamma: g('ln1g') as tf.Tensor1D, beta: g('ln1b') as tf.Tensor1D, epsilon: s.eps },
    attention: {
      qkv: { kernel: g('qkvKernel') as tf.Tensor2D, bias: g('qkvBias') as tf.Tensor1D },
      out: { kernel: g('outKernel') as tf.Tensor2D, bias: g('outBias') as tf.Tensor1D },
      heads: s.h,
    },
    norm2: { gamma: g('ln2g') as tf.Tensor1D, beta: g('ln2b') as tf.Tensor1D, epsilon: s.eps },
    ffn1: { kernel: g('w1') as tf.Tensor2D, bias: g('b1') as tf.Tensor1D },
    ffn2: { kernel: g('w2') as tf.Tensor2D, bias: g('b2') as tf.Tensor1D },
    activation: s.act,
  };
}

function refBlock(p: Record<string, Float64Array>, prefix = ''): Block64 {
  return Object.fromEntries(blockKeys.map((k) => [k, p[prefix + k]!])) as unknown as Block64;
}

function keyMask(s: Shape): Uint8Array | undefined {
  if (s.padding === undefined) return undefined;
  const m = new Uint8Array(s.b * s.t);
  s.padding.forEach((p, bi) => m.fill(1, bi * s.t + s.t - p, bi * s.t + s.t));
  return m;
}

const label = (s: Shape) =>
  `B${s.b} T${s.t} D${s.d} H${s.h} F${s.f} ${s.act} eps ${s.eps}${s.padding ? ` padding ${s.padding.join(',')}` : ''}`;

function blockCase(s: Shape, seed: number, masks?: BlockMasks64): LayerCase {
  const mask = keyMask(s);
  const hostMasks: LayerCase['masks'] = {};
  if (mask) hostMasks['keyPaddingMask'] = { data: mask, shape: [s.b, s.t] };
  const shapes = {
    attention: [s.b, s.t, s.d],
    hidden: [s.b, s.t, s.f],
    output: [s.b, s.t, s.d],
    dropPath: [s.b],
  };
  for (const [k, v] of Object.entries(masks ?? {})) {
    hostMasks[k] = {
      data: Float32Array.from(v as Float64Array),
      shape: shapes[k as keyof typeof shapes],
    };
  }
  return {
    label: `block ${label(s)}${masks ? ' with dropout and drop-path masks' : ''}`,
    inputs: { x: host([s.b, s.t, s.d], seed), ...blockInputs(s, seed + 1) },
    masks: hostMasks,
    tf: (p, m) => {
      const bm: TransformerBlockMasks = {};
      if (m['attention']) bm.attention = m['attention'];
      if (m['hidden']) bm.hidden = m['hidden'];
      if (m['output']) bm.output = m['output'];
      if (m['dropPath']) bm.dropPath = m['dropPath'] as tf.Tensor1D;
      return transformerBlock(
        p['x'] as tf.Tensor3D,
        tfBlock(p, s),
        m['keyPaddingMask'] as tf.Tensor2D | undefined,
        bm,
      );
    },
    ref: (p) => block64(p['x']!, refBlock(p), s, mask, masks),
    ...(masks
      ? {}
      : {
          torch: {
            op: 'block',
            attrs: { dim: s.d, heads: s.h, ffnDim: s.f, activation: s.act, epsilon: s.eps },
          },
        }),
  };
}

function encoderCase(s: Shape, layers: number, seed: number): LayerCase {
  const mask = keyMask(s);
  let inputs: Record<string, HostTensor> = { x: host([s.b, s.t, s.d], seed) };
  for (let l = 0; l < layers; l++)
    inputs = { ...inputs, ...blockInputs(s, seed + 20 * (l + 1), `l${l}_`) };
  inputs = { ...inputs, normg: host([s.d], seed + 99, 0.3, 1), normb: host([s.d], seed + 98, 0.3) };
  return {
    label: `encoder L${layers} ${label(s)} + final LayerNorm`,
    inputs,
    ...(mask ? { masks: { keyPaddingMask: { data: mask, shape: [s.b, s.t] } } } : {}),
    tf: (p, m) =>
      transformerEncoder(
        p['x'] as tf.Tensor3D,
        {
          blocks: Array.from({ length: layers }, (_, l) => tfBlock(p, s, `l${l}_`)),
          finalNorm: {
            gamma: p['normg'] as tf.Tensor1D,
            beta: p['normb'] as tf.Tensor1D,
            epsilon: s.eps,
          },
        },
        m['keyPaddingMask'] as tf.Tensor2D | undefined,
      ),
    ref: (p) => {
      let y = p['x']!;
      for (let l = 0; l < layers; l++) y = block64(y, refBlock(p, `l${l}_`), s, mask);
      return layerNorm64(y, p['normg']!, p['normb']!, s.d, s.eps);
    },
    torch: {
      op: 'encoder',
      attrs: { layers, dim: s.d, heads: s.h, ffnDim: s.f, activation: s.act, epsilon: s.eps },
    },
  };
}

describe('pre-norm transformer block equals nn.TransformerEncoderLayer(norm_first=True)', () => {
  checkCases([
    blockCase({ b: 2, t: 5, d: 8, h: 2, f: 12, act: 'gelu-erf', eps: 1e-5 }, 1),
    blockCase({ b: 3, t: 4, d: 6, h: 3, f: 10, act: 'relu', eps: 1e-5, padding: [0, 1, 3] }, 2),
    blockCase({ b: 1, t: 7, d: 5, h: 1, f: 9, act: 'gelu-erf', eps: 1e-6, padding: [2] }, 3),
  ]);
});

describe('the block with seeded dropout and drop-path masks equals the float64 formula', () => {
  const s: Shape = { b: 3, t: 4, d: 6, h: 2, f: 7, act: 'gelu-erf', eps: 1e-5, padding: [1, 0, 2] };
  const rng = new SeededRandom(11);
  const n = s.b * s.t;
  const masks: BlockMasks64 = {
    attention: Float64Array.from(drawDropoutMask(rng, n * s.d, 0.2)),
    hidden: Float64Array.from(drawDropoutMask(rng, n * s.f, 0.2)),
    output: Float64Array.from(drawDropoutMask(rng, n * s.d, 0.2)),
    // Example 1 drops both branches, so its output is its input.
    dropPath: Float64Array.from([1 / 0.9, 0, 1 / 0.9]),
  };
  checkCases([blockCase(s, 5, masks)]);

  it('draws masks in a fixed order from the seed, dropPath only when asked', () => {
    const a = drawTransformerBlockMasks(
      new SeededRandom(3),
      2,
      5,
      { dim: 4, ffnDim: 8 },
      { dropout: 0.1, dropPath: 0.1 },
    );
    const b = drawTransformerBlockMasks(
      new SeededRandom(3),
      2,
      5,
      { dim: 4, ffnDim: 8 },
      { dropout: 0.1, dropPath: 0.1 },
    );
    expect(a).toEqual(b);
    expect([a.attention?.length, a.hidden?.length, a.output?.length, a.dropPath?.length]).toEqual([
      40, 80, 40, 2,
    ]);
    const r = new SeededRandom(3);
    expect(a.attention).toEqual(drawDropoutMask(r, 40, 0.1));
    drawDropoutMask(r, 80, 0.1);
    drawDropoutMask(r, 40, 0.1);
    expect(a.dropPath).toEqual(drawDropPathMask(r, 2, 0.1));
    expect(
      drawTransformerBlockMasks(
        new SeededRandom(3),
        2,
        5,
        { dim: 4, ffnDim: 8 },
        { dropout: 0, dropPath: 0 },
      ),
    ).toEqual({});
  });
});

describe('encoder stack equals nn.TransformerEncoderLayer ×L then LayerNorm', () => {
  checkCases([
    encoderCase(
      { b: 2, t: 3, d: 4, h: 2, f: 8, act: 'gelu-erf', eps: 1e-5, padding: [0, 1] },
      2,
      300,
    ),
    encoderCase({ b: 1, t: 5, d: 6, h: 3, f: 5, act: 'relu', eps: 1e-5 }, 3, 400),
  ]);
});

describe('createTransformerEncoder', () => {
  it('names variables in a fixed order, deterministic from the seed, torch init ranges', () => {
    const make = () => {
      const vars = new VariableList();
      createTransformerEncoder(vars, new SeededRandom(9), 'enc', {
        dim: 8,
        heads: 2,
        ffnDim: 16,
        activation: 'gelu-erf',
        layers: 2,
        finalNorm: true,
      });
      return vars;
    };
    const [a, b] = [make(), make()];
    expect(a.named.map((n) => n.name).slice(0, 12)).toEqual([
      'enc/block0/norm1/gamma',
      'enc/block0/norm1/beta',
      'enc/block0/attention/qkv/kernel',
      'enc/block0/attention/qkv/bias',
      'enc/block0/attention/out/kernel',
      'enc/block0/attention/out/bias',
      'enc/block0/norm2/gamma',
      'enc/block0/norm2/beta',
      'enc/block0/ffn1/kernel',
      'enc/block0/ffn1/bias',
      'enc/block0/ffn2/kernel',
      'enc/block0/ffn2/bias',
    ]);
    expect(a.named.length).toBe(2 * 12 + 2);
    a.named.forEach((n, i) =>
      expect(n.variable.dataSync()).toEqual(b.named[i]!.variable.dataSync()),
    );
    const qkv = a.named[2]!.variable.dataSync();
    // xavier_uniform on the [3D, D] in_proj_weight: bound √(6/(D + 3D)).
    const bound = Math.sqrt(6 / 32);
    expect(Math.max(...qkv.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...qkv.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(Math.max(...a.named[9]!.variable.dataSync().map(Math.abs))).toBeLessThanOrEqual(
      1 / Math.sqrt(8),
    );
    a.dispose();
    b.dispose();
  });
});
