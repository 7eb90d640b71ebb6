import { describe, expect, it } from 'vitest';
import { poissonNllLoss } from '../src/losses/poisson-nll.js';
import { smoothL1Loss } from '../src/losses/smooth-l1.js';
import { checkCases, host, type HostTensor, type LayerCase } from './twins/check-case.js';

const positive = (shape: number[], seed: number): HostTensor => {
  const h = host(shape, seed);
  return { data: h.data.map((v) => Math.abs(v) + 0.05), shape };
};

const mean = (xs: Float64Array): Float64Array =>
  Float64Array.of(xs.reduce((a, b) => a + b, 0) / xs.length);

const poisson: LayerCase[] = [
  [4, 3],
  [1, 7],
  [2, 3, 5],
].map((shape, k) => ({
  label: `Poisson NLL (log_input=False) ${shape.join('×')}`,
  inputs: { input: positive(shape, 10 + k), target: positive(shape, 20 + k) },
  tf: ({ input, target }) => poissonNllLoss(input!, target!),
  // mean(input − target·log(input + 1e-8)), torch's formula with full=False.
  ref: ({ input, target }) => mean(input!.map((v, i) => v - target![i]! * Math.log(v + 1e-8))),
  torch: { op: 'poisson_nll' },
}));

const smooth: LayerCase[] = (
  [
    [[5, 4], 1],
    [[3, 1, 7], 0.5],
    [[9], 0],
    [[2, 6], 2.5],
  ] as [number[], number][]
).map(([shape, beta], k) => ({
  label: `SmoothL1 β=${beta} ${shape.join('×')}`,
  inputs: { input: host(shape, 30 + k, 1.5), target: host(shape, 40 + k) },
  tf: ({ input, target }) => smoothL1Loss(input!, target!, beta),
  ref: ({ input, target }) =>
    mean(
      input!.map((v, i) => {
        const d = Math.abs(v - target![i]!);
        return d < beta ? (0.5 * d * d) / beta : d - 0.5 * beta;
      }),
    ),
  torch: { op: 'smooth_l1', attrs: { beta } },
}));

describe('Poisson NLL equals F.poisson_nll_loss(log_input=False)', () => checkCases(poisson));
describe('SmoothL1 equals F.smooth_l1_loss(beta)', () => {
  checkCases(smooth);
  it('refuses a negative β', () => {
    expect(() => smoothL1Loss(undefined as never, undefined as never, -1)).toThrow(RangeError);
  });
});
