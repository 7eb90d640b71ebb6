import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { geluErf, softplus } from '../src/layers/activations.js';
import {
  applyDropPath,
  applyDropout,
  drawDropPathMask,
  drawDropoutMask,
} from '../src/layers/dropout.js';
import { gradientReversal } from '../src/layers/gradient-reversal.js';
import { applyLayerNorm } from '../src/layers/layer-norm.js';
import { linear } from '../src/layers/linear.js';
import { checkCases, host, type LayerCase } from './twins/check-case.js';
import { geluErf64, layerNorm64, linear64, softplus64 } from './twins/reference64.js';

const as1 = (t: tf.Tensor): tf.Tensor1D => t as tf.Tensor1D;
const as2 = (t: tf.Tensor): tf.Tensor2D => t as tf.Tensor2D;

const elementwise: LayerCase[] = [
  [3, 7, 5],
  [1, 33],
  [2, 1, 1, 9],
].flatMap((shape, k) => [
  {
    label: `geluErf ${shape.join('×')}`,
    inputs: { x: host(shape, 10 + k, 2) },
    tf: ({ x }) => geluErf(x!),
    ref: ({ x }) => geluErf64(x!),
    torch: { op: 'gelu_erf' },
  },
  {
    label: `softplus ${shape.join('×')}`,
    // scale 6 reaches both of TF.js's switch-overs (±13.9) now and then.
    inputs: { x: host(shape, 20 + k, 6) },
    tf: ({ x }) => softplus(x!),
    ref: ({ x }) => softplus64(x!),
    torch: { op: 'softplus' },
  },
]);

const norms: LayerCase[] = [
  [[2, 5, 8], 1e-5],
  [[3, 7], 1e-6],
  [[1, 3, 1, 13], 1e-5],
  [[4, 3], 1e-5],
].map(([shape, eps], k) => {
  const s = shape as number[];
  const d = s[s.length - 1]!;
  return {
    label: `layerNorm ${s.join('×')} eps ${eps as number}`,
    inputs: { x: host(s, 30 + k, 3, 1), gamma: host([d], 40 + k, 1, 1), beta: host([d], 50 + k) },
    tf: ({ x, gamma, beta }) =>
      applyLayerNorm(x!, { gamma: as1(gamma!), beta: as1(beta!), epsilon: eps as number }),
    ref: ({ x, gamma, beta }) => layerNorm64(x!, gamma!, beta!, d, eps as number),
    torch: { op: 'layer_norm', attrs: { epsilon: eps } },
  };
});

const linears: LayerCase[] = [
  [[2, 3, 5], 7],
  [[9, 1], 4],
  [[1, 1, 1, 6], 3],
].map(([shape, out], k) => {
  const s = shape as number[];
  const nIn = s[s.length - 1]!;
  const nOut = out as number;
  return {
    label: `linear ${s.join('×')} → ${nOut}`,
    inputs: {
      x: host(s, 60 + k),
      kernel: host([nIn, nOut], 70 + k, 0.5),
      bias: host([nOut], 80 + k),
    },
    tf: ({ x, kernel, bias }) => linear(x!, { kernel: as2(kernel!), bias: as1(bias!) }),
    ref: ({ x, kernel, bias }) => linear64(x!, kernel!, bias!, nIn, nOut),
    torch: { op: 'linear' },
  };
});

describe('erf-GELU and Softplus equal PyTorch nn.GELU() / F.softplus', () =>
  checkCases(elementwise));
describe('LayerNorm equals F.layer_norm (biased variance, eps inside the root)', () =>
  checkCases(norms));
describe('linear equals F.linear with the kernel transposed', () => checkCases(linears));

describe('dropout and drop-path from seeded host masks', () => {
  const rng = () => new SeededRandom(7);
  it('draws 0 or 1/(1−p), with the rate p and the same stream for the same seed', () => {
    const m = drawDropoutMask(rng(), 20000, 0.3);
    const zeros = m.filter((v) => v === 0).length;
    expect(m.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    // 5 standard deviations of a Binomial(20000, 0.3) count.
    expect(Math.abs(zeros - 6000)).toBeLessThan(5 * Math.sqrt(20000 * 0.3 * 0.7));
    expect(drawDropoutMask(rng(), 20000, 0.3)).toEqual(m);
    expect(() => drawDropoutMask(rng(), 3, 1)).toThrow(RangeError);
  });

  const maskCases: LayerCase[] = [
    [2, 3, 4],
    [3, 5, 1],
  ].flatMap((shape, k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const dropout = drawDropoutMask(new SeededRandom(k), n, 0.4);
    const dropPath = drawDropPathMask(new SeededRandom(100 + k), shape[0]!, 0.5);
    const per = n / shape[0]!;
    return [
      {
        label: `dropout ${shape.join('×')}`,
        inputs: { x: host(shape, 90 + k) },
        masks: { m: { data: dropout, shape } },
        tf: ({ x }, { m }) => applyDropout(x!, m!),
        ref: ({ x }) => x!.map((v, i) => v * dropout[i]!),
      },
      {
        label: `dropPath ${shape.join('×')}`,
        inputs: { x: host(shape, 95 + k) },
        masks: { m: { data: dropPath, shape: [shape[0]!] } },
        tf: ({ x }, { m }) => applyDropPath(x!, as1(m!)),
        ref: ({ x }) => x!.map((v, i) => v * dropPath[Math.floor(i / per)]!),
      },
    ];
  });
  checkCases(maskCases);
});

describe('gradient reversal', () => {
  it.each([
    [1, [3, 4]],
    [0.25, [2, 1, 5]],
  ])('α = %d: identity forward, −α·dy backward (%j)', async (alpha, shape) => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      const x = tf.tensor(host(shape, 5).data, shape);
      const dy = tf.tensor(host(shape, 6).data, shape);
      const y = gradientReversal(x, alpha);
      expect(y.dataSync()).toEqual(x.dataSync());
      // d/dx Σ dy ⊙ grl(x) = −α·dy exactly (a multiplication by −α in float32).
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gradientReversal(t, alpha), dy)))(x);
      expect(Array.from(g.dataSync())).toEqual(
        Array.from(dy.dataSync(), (v) => Math.fround(-alpha * v)),
      );
      tf.dispose([x, dy, y, g]);
    }
  });
});
