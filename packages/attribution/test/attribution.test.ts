import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  computeGradientTimesInput,
  inSilicoMutagenesis,
  oneHotFromBaseCodes,
} from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Linear model f(x) = Σ w·x: analytic oracle.
const L = 6;
const w = Array.from({ length: L * 4 }, (_, i) => Math.sin(i * 1.7) * 2);
const linear = (x: tf.Tensor3D): tf.Tensor1D =>
  tf.reshape(tf.sum(tf.mul(x, tf.tensor3d(w, [1, L, 4])), [1, 2]), [-1]);
const codes = new Uint8Array([0, 1, 2, 3, 2, 1, 3, 3, 0, 1, 0, 2]);

describe('linear model oracle', () => {
  it('gradient × input equals w·x exactly', async () => {
    const x = tf.tensor3d(oneHotFromBaseCodes(codes, 2, L), [2, L, 4]);
    const { scores, perPosition } = computeGradientTimesInput(linear, x);
    const s = await scores.data();
    const p = await perPosition.data();
    for (let b = 0; b < 2; b++)
      for (let pos = 0; pos < L; pos++) {
        const c = codes[b * L + pos] ?? 0;
        for (let base = 0; base < 4; base++) {
          const want = base === c ? (w[pos * 4 + base] ?? 0) : 0;
          expect(s[(b * L + pos) * 4 + base]).toBeCloseTo(want, 5);
        }
        expect(p[b * L + pos]).toBeCloseTo(w[pos * 4 + c] ?? 0, 5);
      }
  });
  it('ISM equals w[alt] − w[ref], 0 at ref', async () => {
    const d = await inSilicoMutagenesis(linear, codes, 2, L, { batchSize: 5 });
    for (let b = 0; b < 2; b++)
      for (let pos = 0; pos < L; pos++) {
        const c = codes[b * L + pos] ?? 0;
        for (let base = 0; base < 4; base++)
          expect(d[(b * L + pos) * 4 + base]).toBeCloseTo(
            (w[pos * 4 + base] ?? 0) - (w[pos * 4 + c] ?? 0),
            4,
          );
      }
  });
});
