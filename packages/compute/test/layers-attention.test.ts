import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { multiHeadSelfAttention, type AttentionParams } from '../src/layers/attention.js';
import { checkCases, host, type HostTensor, type LayerCase } from './twins/check-case.js';
import { attention64 } from './twins/reference64.js';

/** [batch, tokens, width, heads, padding per example (masked trailing keys)] */
type Shape = [number, number, number, number, number[] | undefined];

function attentionInputs(
  b: number,
  t: number,
  d: number,
  seed: number,
): Record<string, HostTensor> {
  const s = 1 / Math.sqrt(d);
  return {
    x: host([b, t, d], seed),
    qkvKernel: host([d, 3 * d], seed + 1, 1.5 * s),
    qkvBias: host([3 * d], seed + 2, 0.3),
    outKernel: host([d, d], seed + 3, s),
    outBias: host([d], seed + 4, 0.3),
  };
}

function paddingMask(b: number, t: number, padding: number[]): Uint8Array {
  const m = new Uint8Array(b * t);
  padding.forEach((p, bi) => m.fill(1, bi * t + t - p, bi * t + t));
  return m;
}

export function attentionCase([b, t, d, h, padding]: Shape, seed: number, torch = true): LayerCase {
  const mask = padding === undefined ? undefined : paddingMask(b, t, padding);
  return {
    label: `MHA B${b} T${t} D${d} H${h}${padding ? ` padding ${padding.join(',')}` : ''}`,
    inputs: attentionInputs(b, t, d, seed),
    ...(mask ? { masks: { keyPaddingMask: { data: mask, shape: [b, t] } } } : {}),
    tf: (p, m) => {
      const params: AttentionParams = {
        qkv: { kernel: p['qkvKernel'] as tf.Tensor2D, bias: p['qkvBias'] as tf.Tensor1D },
        out: { kernel: p['outKernel'] as tf.Tensor2D, bias: p['outBias'] as tf.Tensor1D },
        heads: h,
      };
      return multiHeadSelfAttention(
        p['x'] as tf.Tensor3D,
        params,
        m['keyPaddingMask'] as tf.Tensor2D | undefined,
      );
    },
    ref: (p) =>
      attention64(
        p['x']!,
        {
          qkvKernel: p['qkvKernel']!,
          qkvBias: p['qkvBias']!,
          outKernel: p['outKernel']!,
          outBias: p['outBias']!,
        },
        b,
        t,
        d,
        h,
        mask,
      ),
    ...(torch ? { torch: { op: 'mha', attrs: { heads: h } } } : {}),
  };
}

describe('multi-head self-attention equals nn.MultiheadAttention (batch_first, key_padding_mask)', () => {
  const shapes: Shape[] = [
    [2, 5, 8, 2, undefined],
    [3, 7, 12, 3, [0, 2, 6]],
    [1, 1, 4, 1, undefined],
    [2, 6, 6, 6, [1, 3]],
    [2, 9, 10, 5, [4, 0]],
  ];
  checkCases(shapes.map((s, i) => attentionCase(s, 100 * i + 1)));
});

describe('an example whose keys are all masked', () => {
  // PyTorch gives NaN there; ours attends to nothing: zero context, output = out bias.
  const c = attentionCase([3, 4, 8, 2, [4, 1, 4]], 7, false);
  checkCases([c]);
  it('gives the output bias and no NaN, values or gradients', async () => {
    await tf.setBackend('cpu');
    const masks = { keyPaddingMask: tf.tensor(c.masks!['keyPaddingMask']!.data, [3, 4], 'bool') };
    const xs = Object.values(c.inputs).map((v) => tf.tensor(v.data, v.shape));
    const names = Object.keys(c.inputs);
    const f = (...ts: tf.Tensor[]) =>
      c.tf(Object.fromEntries(names.map((k, i) => [k, ts[i]!])), masks);
    const y = f(...xs).arraySync() as number[][][];
    const bias = Array.from(c.inputs['outBias']!.data);
    for (const row of [...y[0]!, ...y[2]!])
      row.forEach((v, j) => expect(v).toBeCloseTo(bias[j]!, 6));
    const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.square(f(...ts))))(xs);
    for (const g of grads) expect(g.dataSync().every(Number.isFinite)).toBe(true);
    // No gradient reaches the fully-masked examples' inputs.
    const gx = grads[0]!.arraySync() as number[][][];
    expect([...gx[0]!, ...gx[2]!].flat().every((v) => v === 0)).toBe(true);
    tf.dispose([...xs, ...grads, masks.keyPaddingMask]);
  });
});
