import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  fitRunControls,
  fitThroughput,
  parallelOption,
  restoreBest,
} from '../src/train/fit-run-controls.js';
import type { Trainable } from '../src/train/trainable.js';
import type { FitResult } from '../src/train/fit.js';

describe('fitRunControls', () => {
  it('keeps the set controls (false and 0 included) and leaves unset ones absent', () => {
    const log = (): void => {};
    const c = fitRunControls({
      checkpointDir: '/ck',
      resume: false,
      stopAfterEpochs: 0,
      signal: undefined,
      log,
    });
    expect(c).toEqual({ checkpointDir: '/ck', resume: false, stopAfterEpochs: 0, log });
    expect('signal' in c).toBe(false);
    expect('onProgress' in c).toBe(false);
  });
});

describe('fitThroughput', () => {
  it('counts only the epochs this call ran, and is 0 when none ran', () => {
    const r = { epochsThisCall: 3, trainSeconds: 6 } as FitResult;
    expect(fitThroughput(r, 10)).toBe(5);
    expect(fitThroughput({ epochsThisCall: 0, trainSeconds: 0 } as FitResult, 10)).toBe(0);
  });
});

describe('parallelOption', () => {
  it('is data-parallel from 2 workers and in process below', () => {
    expect(parallelOption(undefined, 'm.js', 'make')).toEqual({});
    expect(parallelOption(1, 'm.js', 'make')).toEqual({});
    expect(parallelOption(2, 'm.js', 'make')).toEqual({
      parallel: { workers: 2, module: 'm.js', factoryName: 'make' },
    });
  });
});

describe('restoreBest', () => {
  it("puts the selection's best weights back and returns its epoch and loss", async () => {
    await tf.setBackend('cpu');
    const v = tf.variable(tf.tensor1d([5, 6]));
    const model = {
      trainableVariables: () => [v],
      stateVariables: () => [],
    } as unknown as Trainable;
    const r = {
      model,
      selections: {
        val: { bestEpoch: 3, bestLoss: 0.25, wait: 1, weights: [Float32Array.of(1, 2)] },
      },
      history: [],
      interrupted: true,
    } as unknown as FitResult;
    const best = restoreBest(r, 'val');
    expect(Array.from(v.dataSync())).toEqual([1, 2]);
    expect(best).toMatchObject({ model, bestEpoch: 3, bestValLoss: 0.25, interrupted: true });
    expect(() => restoreBest(r, 'other')).toThrow(/no selection 'other'/);
    v.dispose();
  });
});
