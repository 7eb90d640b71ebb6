import { ChromflowError, type SeededRandom } from '@chromflow/core';
import {
  drawDropoutMask,
  type BatchSource,
  type FitBatch,
  type HostBatch,
} from '@chromflow/compute';
import { blockChannels, type ClasterConfig } from './config.js';

/**
 * CLASTER's sample arrays: `makeClasterSamples` (structure-analysis) returns
 * this shape — landscape (genes, tracks, bins), targets (genes, outputs) —
 * and the `structure-analysis.claster-inputs` stage writes it; contacts
 * (genes, rows, cols) for the contacts variant.
 */
export interface ClasterArrays {
  landscape: Float32Array;
  nTracks: number;
  nBins: number;
  targets: Float32Array | undefined;
  contacts?: Float32Array;
  contactRows?: number;
  contactCols?: number;
}

/** Host-drawn masks for `b` examples: channel dropout, fusion dropout, stochastic depth. */
export function drawClasterMasks(
  c: ClasterConfig,
  b: number,
  rng: SeededRandom,
): { blockDrop: Float32Array; fusionDrop: Float32Array; dropPath: Float32Array } {
  const branches = [c.landscape, ...(c.contacts ? [c.contacts] : [])];
  const chans = branches.flatMap((br) => blockChannels(br).map((n) => ({ n, br })));
  const wb = chans.reduce((a, x) => a + x.n, 0);
  const wf = c.fusion.layers * c.fusion.width;
  const wd = chans.length + c.fusion.layers;
  const blockDrop = new Float32Array(b * wb);
  const fusionDrop = drawDropoutMask(rng, b * wf, c.fusion.dropout);
  const dropPath = new Float32Array(b * wd);
  for (let e = 0; e < b; e++) {
    let o = e * wb;
    for (const { n, br } of chans) {
      blockDrop.set(drawDropoutMask(rng, n, br.dropout), o);
      o += n;
    }
    chans.forEach(({ br }, i) => {
      dropPath[e * wd + i] = drawDropoutMask(rng, 1, br.stochasticDepth)[0]!;
    });
    for (let i = 0; i < c.fusion.layers; i++)
      dropPath[e * wd + chans.length + i] = drawDropoutMask(rng, 1, c.fusion.stochasticDepth)[0]!;
  }
  return { blockDrop, fusionDrop, dropPath };
}

/**
 * A batch of the samples `idx` (targets when present). The landscape is the
 * central `c.bins` of the samples' bins (all of them unless the network was
 * configured on a crop, `landscapeBins`). With `rng`: training masks, and
 * with `reverse` each example's landscape, contacts and targets flipped with
 * probability ½ (CLASTER's reverse-copy augmentation).
 */
export function makeClasterBatch(
  a: ClasterArrays,
  c: ClasterConfig,
  idx: ArrayLike<number>,
  rng?: SeededRandom,
  reverse = false,
): HostBatch {
  const b = idx.length;
  const nb = c.bins;
  const off = (a.nBins - nb) / 2;
  if (!(Number.isInteger(off) && off >= 0)) {
    throw new ChromflowError('PARAM', 'the network window does not fit the samples', {
      field: 'bins',
      expected: `at most ${a.nBins} bins with an even difference (a centred crop of the samples)`,
      found: String(nb),
    });
  }
  const lw = a.nTracks * nb;
  const x = new Float32Array(b * lw);
  const y = a.targets ? new Float32Array(b * c.outputs) : undefined;
  const cw = c.contacts ? c.contacts.rows * c.contacts.cols : 0;
  const contacts = c.contacts ? new Float32Array(b * cw) : undefined;
  for (let e = 0; e < b; e++) {
    const g = idx[e]!;
    const flip = reverse && rng !== undefined && rng.uniform() < 0.5;
    for (let t = 0; t < a.nTracks; t++) {
      const from = (g * a.nTracks + t) * a.nBins + off;
      const src = a.landscape.subarray(from, from + nb);
      if (!flip) x.set(src, e * lw + t * nb);
      else for (let i = 0; i < nb; i++) x[e * lw + t * nb + i] = src[nb - 1 - i]!;
    }
    if (y && a.targets) {
      const ys = a.targets.subarray(g * c.outputs, (g + 1) * c.outputs);
      if (!flip) y.set(ys, e * c.outputs);
      else for (let i = 0; i < c.outputs; i++) y[e * c.outputs + i] = ys[c.outputs - 1 - i]!;
    }
    if (contacts && a.contacts) {
      const cs = a.contacts.subarray(g * cw, (g + 1) * cw);
      if (!flip) contacts.set(cs, e * cw);
      else {
        const cols = c.contacts!.cols;
        for (let r = 0; r < c.contacts!.rows; r++)
          for (let k = 0; k < cols; k++)
            contacts[e * cw + r * cols + k] = cs[r * cols + cols - 1 - k]!;
      }
    }
  }
  const batch: HostBatch = { n: b, x };
  if (y) batch.y = y;
  if (contacts) batch.contacts = contacts;
  if (rng) Object.assign(batch, drawClasterMasks(c, b, rng));
  return batch;
}

/** Shuffled training batches of `train` sample indices. */
export function clasterBatchSource(
  a: ClasterArrays,
  c: ClasterConfig,
  train: Int32Array,
  batchSize: number,
  reverse: boolean,
): BatchSource {
  return {
    *epoch(rng: SeededRandom): Iterable<FitBatch> {
      const order = rng.shuffle(Int32Array.from(train));
      for (let lo = 0; lo < order.length; lo += batchSize) {
        const idx = order.subarray(lo, Math.min(order.length, lo + batchSize));
        yield { batch: makeClasterBatch(a, c, idx, rng, reverse), size: idx.length };
      }
    },
  };
}
