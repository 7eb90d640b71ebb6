import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@chromflow/core';
import { makeClasterBatch, type ClasterArrays } from '../src/claster/batches.js';
import { clasterConfig, clasterCropBins } from '../src/claster/config.js';
import { clasterLocality } from '../src/claster/locality.js';
import { ClasterModel } from '../src/claster/model.js';
import { perturbLandscapes } from '../src/claster/perturb.js';
import { predictClaster } from '../src/claster/predict.js';

/** Samples whose landscape value encodes (gene, track, bin): 1000·g + 100·t + i. */
function numbered(n: number, bins: number, outputs: number): ClasterArrays {
  const landscape = new Float32Array(n * 4 * bins);
  for (let g = 0; g < n; g++)
    for (let t = 0; t < 4; t++)
      for (let i = 0; i < bins; i++) landscape[(g * 4 + t) * bins + i] = 1000 * g + 100 * t + i;
  return {
    landscape,
    nTracks: 4,
    nBins: bins,
    targets: Float32Array.from({ length: n * outputs }, (_, k) => k % outputs),
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('CLASTER on a centred crop of the landscape (landscapeHalfWidthKb)', () => {
  it('bins of ±kbp at 100 bp per bin; the whole window at 500 kbp; outside it refused', () => {
    expect(clasterCropBins(10_001, 500)).toBe(10_001);
    expect(clasterCropBins(10_001, 20)).toBe(401);
    expect(clasterCropBins(41, 100)).toBe(9); // 25 kbp bins
    expect(() => clasterCropBins(10_001, 600)).toThrow(/half-width outside/);
    expect(() => clasterCropBins(10_001, 0.01)).toThrow(/half-width outside/);
  });

  it('a batch holds the central bins of each track, reversed with the reverse copy', () => {
    const a = numbered(3, 41, 5);
    const c = clasterConfig('tiny', 'landscape', { tracks: 4, bins: 21, outputs: 5 });
    const x = makeClasterBatch(a, c, [2, 0]).x as Float32Array;
    expect(x.length).toBe(2 * 4 * 21);
    // gene 2, track 1: bins 10 … 30 of 41
    expect(Array.from(x.subarray(21, 42))).toEqual(
      Array.from({ length: 21 }, (_, i) => 2000 + 100 + 10 + i),
    );
    expect(x[4 * 21]).toBe(10); // gene 0, track 0, first bin of the crop
    // the reverse copy flips the crop (and the targets) about the TSS
    const rng = new SeededRandom(1);
    let flipped = 0;
    for (let k = 0; k < 20; k++) {
      const b = makeClasterBatch(a, c, [1], rng, true);
      const first = (b.x as Float32Array)[0]!;
      if (first === 1000 + 30) {
        flipped++;
        expect((b.y as Float32Array)[0]).toBe(4);
      } else expect(first).toBe(1000 + 10);
    }
    expect(flipped).toBeGreaterThan(0);
    const wide = clasterConfig('tiny', 'landscape', { tracks: 4, bins: 43, outputs: 5 });
    expect(() => makeClasterBatch(a, wide, [0])).toThrow(/does not fit the samples/);
  });

  it('prediction, silencing and attribution run on the crop in the samples’ coordinates', () => {
    const a = numbered(2, 41, 5);
    a.landscape = a.landscape.map((v) => (v % 100) / 40);
    const c = clasterConfig('tiny', 'landscape', { tracks: 4, bins: 21, outputs: 5 });
    const m = new ClasterModel(c, 3);
    const idx = Int32Array.of(0, 1);
    const base = predictClaster(m, a, idx);
    // silencing outside the crop changes nothing; inside it does
    const outside = perturbLandscapes(
      a,
      idx,
      { name: 'far', tracks: [0, 1, 2, 3], from: 11, to: 20, mode: 'zero' },
      new Float64Array(4),
    );
    expect(Array.from(predictClaster(m, outside, Int32Array.of(0, 1)))).toEqual(Array.from(base));
    const inside = perturbLandscapes(
      a,
      idx,
      { name: 'near', tracks: [0, 1, 2, 3], from: -3, to: 3, mode: 'zero' },
      new Float64Array(4),
    );
    expect(Array.from(predictClaster(m, inside, Int32Array.of(0, 1)))).not.toEqual(
      Array.from(base),
    );
    const loc = clasterLocality(m, a, idx, { halfWidthBins: 5, geneHalfWidth: 1 });
    expect(loc.byDistance.edges[loc.byDistance.edges.length - 1]).toBe(21);
    expect(loc.meanShare).toBeGreaterThan(0);
    expect(loc.meanShare).toBeLessThan(1);
    expect(loc.byDistance.share.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    m.dispose();
  });
});
