import { describe, expect, it } from 'vitest';
import { fitRunControls, fitThroughput } from '../src/train/fit-run-controls.js';
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
