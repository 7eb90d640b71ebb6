import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeBlas } from '../src/kernels/native-blas.js';
import { setNativeConvEnabled } from '../src/kernels/native-conv.js';
import { setRelaxedSimdEnabled, setSimdKernelsEnabled } from '../src/kernels/simd.js';
import * as ops from '../src/ops/index.js';
import * as ref from '../src/ops/reference.js';
import { evaluate, normals, relativeError } from './kernels-harness.js';

/**
 * One op suite, run on `cpu` with the reference composites (the oracle: TF.js's
 * pure-JS kernels) and on `wasm` with chromflow's routed ops and replaced
 * kernels. Values AND gradients must agree. Tolerance: 2e-4 of the largest
 * magnitude (XNNPACK sums in a different order, fp32).
 */
const tol = 2e-4;

type Input = { data: Float32Array; shape: number[] };
const input = (shape: number[], seed: number, shift = 0): Input => ({
  data: normals(
    shape.reduce((a, b) => a * b, 1),
    seed,
    shift,
  ),
  shape,
});

async function compare(
  inputs: Input[],
  fast: (...xs: tf.Tensor[]) => tf.Tensor[],
  reference: (...xs: tf.Tensor[]) => tf.Tensor[],
  differentiable?: number,
): Promise<void> {
  const expected = await evaluate('cpu', inputs, reference, differentiable);
  const actual = await evaluate('wasm', inputs, fast, differentiable);
  expect(actual.values.length).toBe(expected.values.length);
  expected.values.forEach((e, i) =>
    expect(relativeError(actual.values[i]!, e), `value ${i}`).toBeLessThan(tol),
  );
  expected.grads.forEach((e, i) =>
    expect(relativeError(actual.grads[i]!, e), `gradient ${i}`).toBeLessThan(tol),
  );
}

const as3 = (t: tf.Tensor): tf.Tensor3D => t as tf.Tensor3D;
const as1 = (t: tf.Tensor): tf.Tensor1D => t as tf.Tensor1D;

// wasm-SIMD with the relaxed-SIMD (FMA) convolution variant where V8 has it, the plain
// SIMD module, the JavaScript/XNNPACK fallbacks, and the 1-D convolutions on the native
// GEMM addon (where it is built; elsewhere that run repeats the first).
const nativeBuilt = loadNativeBlas() !== undefined;
describe.each([
  ['wasm-SIMD', true, true, false],
  ['wasm-SIMD without relaxed-SIMD', true, false, false],
  ['JavaScript', false, false, false],
  [
    nativeBuilt ? 'native GEMM convolution' : 'wasm-SIMD (native addon not built)',
    true,
    true,
    true,
  ],
])(
  'ops on wasm (%s kernels) match the cpu reference (values and gradients)',
  (_, simd, relaxed, native) => {
    beforeAll(() => {
      setSimdKernelsEnabled(simd);
      setRelaxedSimdEnabled(relaxed);
      setNativeConvEnabled(native);
    });
    afterAll(() => {
      setRelaxedSimdEnabled(true);
      setNativeConvEnabled(true);
    });

    it.each([[[3, 7, 5]], [[2, 1, 33]]])('geluSigmoid %j', async (shape) => {
      await compare(
        [input(shape, 1, 0)],
        (x) => [ops.geluSigmoid(x)],
        (x) => [ref.geluSigmoidReference(x)],
      );
    });

    // [batch, length, cin, cout, kernel, padding, stride]
    it.each([
      [2, 13, 3, 5, 5, 'same', 1],
      [2, 13, 3, 5, 5, 'valid', 1],
      [3, 17, 4, 6, 4, 'same', 1],
      [2, 20, 4, 7, 17, 'same', 1],
      [2, 15, 3, 4, 3, 'valid', 2],
      [2, 16, 5, 3, 5, 'same', 2],
      [1, 9, 1, 1, 1, 'valid', 1],
      // Channel counts already multiples of 4 / 8 (no padding copies), rows split into
      // several reduction blocks: within one sequence (length ≥ 128) and across sequences.
      [2, 300, 8, 16, 5, 'same', 1],
      [5, 40, 4, 8, 3, 'valid', 1],
      [3, 131, 12, 9, 17, 'same', 1],
      // Outputs shorter than 4 positions; channels past a multiple of 8.
      [2, 5, 3, 9, 3, 'valid', 1],
      [2, 6, 10, 12, 5, 'valid', 1],
    ] as const)(
      'conv1d B%i L%i Cin%i Cout%i k%i %s stride %i',
      async (b, l, cin, cout, k, pad, stride) => {
        await compare(
          [input([b, l, cin], 2), input([k, cin, cout], 3)],
          (x, w) => [ops.conv1d(as3(x), as3(w), pad, stride)],
          (x, w) => [ref.conv1dReference(as3(x), as3(w), pad, stride)],
        );
      },
    );

    // Inputs made of a few distinct rows (one-hot DNA with N as 0.25, zero rows) take the
    // dictionary kernels (Cin ≤ 8, Cout % 16 = 0); a random row beyond 8 patterns falls back.
    it.each([
      [3, 40, 4, 16, 17, 'same', false],
      [2, 21, 4, 32, 5, 'valid', false],
      [2, 30, 5, 16, 3, 'same', false],
      [2, 30, 4, 16, 7, 'same', true],
    ] as const)(
      'conv1d on one-hot rows B%i L%i Cin%i Cout%i k%i %s (one random row: %s)',
      async (b, l, cin, cout, k, pad, random) => {
        const data = new Float32Array(b * l * cin);
        const codes = normals(b * l, 30);
        for (let r = 0; r < b * l; r++) {
          const u = Math.abs(codes[r]!) * 1000;
          const q = Math.floor(u) % (cin + 2); // cin one-hot rows, N (all 1/cin), a zero row
          for (let c = 0; c < cin; c++) {
            data[r * cin + c] = q < cin ? (q === c ? 1 : 0) : q === cin ? 1 / cin : 0;
          }
        }
        if (random) data.set(normals(cin * 9, 31), cin * 5); // 9 distinct random rows
        await compare(
          [{ data, shape: [b, l, cin] }, input([k, cin, cout], 32)],
          (x, w) => [ops.conv1d(as3(x), as3(w), pad)],
          (x, w) => [ref.conv1dReference(as3(x), as3(w), pad)],
        );
      },
    );

    // Outputs past one im2col block of the native path (64 Ki floats: 606 rows at fw·C 108,
    // 468 at 140), so forward, input and filter gradients run block by block and across batches.
    it.each([
      [2, 1200, 12, 8, 9, 'same'],
      [3, 700, 20, 5, 7, 'valid'],
    ] as const)(
      'conv1d across im2col blocks B%i L%i Cin%i Cout%i k%i %s',
      async (b, l, cin, cout, k, pad) => {
        await compare(
          [input([b, l, cin], 33), input([k, cin, cout], 34)],
          (x, w) => [ops.conv1d(as3(x), as3(w), pad)],
          (x, w) => [ref.conv1dReference(as3(x), as3(w), pad)],
        );
      },
    );

    // Shifted to negative values so that many windows are all ≤ 0: the stock wasm MaxPoolGrad dropped their gradient.
    it.each([
      [2, 12, 3, 2, 0],
      [2, 13, 5, 3, -1.5],
      [1, 7, 2, 2, -3],
      [3, 50, 9, 2, -0.5],
      [2, 41, 8, 3, -1],
    ])('maxPool1d B%i L%i C%i pool %i shift %d', async (b, l, c, pool, shift) => {
      await compare(
        [input([b, l, c], 4, shift)],
        (x) => [ops.maxPool1d(as3(x), pool)],
        (x) => [ref.maxPool1dReference(as3(x), pool)],
      );
    });

    it.each([[[4, 9, 6]], [[3, 5]], [[2, 7, 1]]])(
      'batchNormTrain %j (y, mean, variance)',
      async (shape) => {
        const c = shape[shape.length - 1]!;
        await compare(
          [input(shape, 5, 0.7), input([c], 6, 1), input([c], 7)],
          (x, g, b) => {
            const r = ops.batchNormTrain(x, as1(g), as1(b), 1e-3);
            return [r.y, r.mean, r.variance];
          },
          (x, g, b) => {
            const r = ref.batchNormTrainReference(x, as1(g), as1(b), 1e-3);
            return [r.y, r.mean, r.variance];
          },
          // Exclusion: only y is differentiated. The batch statistics feed moving
          // averages and the fused op gives them no gradient path.
          1,
        );
      },
    );

    it.each([[[4, 9, 6]], [[3, 5]]])('batchNormInfer %j', async (shape) => {
      const c = shape[shape.length - 1]!;
      const variance = { data: normals(c, 9).map((v) => v * v + 0.1), shape: [c] };
      await compare(
        [input(shape, 8), input([c], 10), variance, input([c], 11, 1), input([c], 12)],
        (x, m, v, g, b) => [ops.batchNormInfer(x, as1(m), as1(v), as1(g), as1(b), 1e-3)],
        (x, m, v, g, b) => [ref.batchNormInferReference(x, as1(m), as1(v), as1(g), as1(b), 1e-3)],
      );
    });

    it.each([[[5, 7]], [[2, 3, 32]]])('layerNorm %j', async (shape) => {
      const d = shape[shape.length - 1]!;
      await compare(
        [input(shape, 13, 0.3), input([d], 14, 1), input([d], 15)],
        (x, g, b) => [ops.layerNorm(x, as1(g), as1(b), 1e-3)],
        (x, g, b) => [ref.layerNormReference(x, as1(g), as1(b), 1e-3)],
      );
    });

    // Transposed products take chromflow's BatchMatMul (stock wasm ran a scalar loop).
    it.each([
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ])('matMul 2-D and batched, transposeA %s transposeB %s', async (ta, tb) => {
      const [m, k, n] = [7, 5, 9];
      const aShape = ta ? [k, m] : [m, k];
      const bShape = tb ? [n, k] : [k, n];
      const f = (a: tf.Tensor, b: tf.Tensor, a3: tf.Tensor, b3: tf.Tensor): tf.Tensor[] => [
        tf.matMul(a, b, ta, tb),
        tf.matMul(a3, b3, ta, tb),
      ];
      await compare(
        [
          input(aShape, 16),
          input(bShape, 17),
          input([3, ...aShape], 18),
          input([3, ...bShape], 19),
        ],
        f,
        f,
      );
    });

    it('softmax attention (scores, softmax, weighted values) with layer norm', async () => {
      const [b, t, d] = [2, 5, 8];
      const f = (
        q: tf.Tensor,
        k: tf.Tensor,
        v: tf.Tensor,
        g: tf.Tensor,
        beta: tf.Tensor,
        norm: typeof ops.layerNorm,
      ): tf.Tensor[] => {
        const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(d));
        const attn = tf.softmax(scores);
        return [norm(tf.matMul(attn, v), as1(g), as1(beta), 1e-5), attn];
      };
      await compare(
        [
          input([b, t, d], 20),
          input([b, t, d], 21),
          input([b, t, d], 22),
          input([d], 23, 1),
          input([d], 24),
        ],
        (q, k, v, g, beta) => f(q, k, v, g, beta, ops.layerNorm),
        (q, k, v, g, beta) => f(q, k, v, g, beta, ref.layerNormReference),
      );
    });
  },
);
