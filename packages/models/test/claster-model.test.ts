import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@chromflow/core';
import { clasterConfig, type ClasterConfig } from '../src/claster/config.js';
import { conv2dSame } from '../src/claster/conv.js';
import { ClasterModel, clasterBatchTensors } from '../src/claster/model.js';
import { makeClasterBatch, type ClasterArrays } from '../src/claster/batches.js';
import { torchPython, relErr } from './twins/twin-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const twin = join(here, 'twins', 'claster_twin.py');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const python = torchPython();

/** Random arrays for `n` genes: sparse positive landscape, targets, contact maps. */
export function syntheticArrays(c: ClasterConfig, n: number, seed: number): ClasterArrays {
  const rng = new SeededRandom(seed);
  const lw = c.tracks * c.bins;
  const a: ClasterArrays = {
    landscape: Float32Array.from({ length: n * lw }, () =>
      rng.uniform() < 0.5 ? 0 : 2 * rng.uniform(),
    ),
    nTracks: c.tracks,
    nBins: c.bins,
    targets: Float32Array.from({ length: n * c.outputs }, () => 3 * rng.uniform() - 0.5),
  };
  if (c.contacts) {
    a.contacts = Float32Array.from(
      { length: n * c.contacts.rows * c.contacts.cols },
      () => rng.uniform() * 2 - 1,
    );
    a.contactRows = c.contacts.rows;
    a.contactCols = c.contacts.cols;
  }
  return a;
}

function ours(m: ClasterModel, batch: ReturnType<typeof makeClasterBatch>) {
  const t = clasterBatchTensors(m, batch, true);
  const stats = m.vars.named.filter((n) => !n.trainable);
  const before = stats.map((n) => n.variable.clone());
  const out = m.forward(t.inputs, t.masks);
  // Batch norm's moving statistics after this one training pass.
  const state: Record<string, Float32Array> = {};
  for (const n of stats) state[n.name] = n.variable.dataSync().slice() as Float32Array;
  const vars = m.trainableVariables();
  const { value, grads } = tf.variableGrads(() => m.loss(t.inputs, t.y!, t.masks), vars);
  const byName: Record<string, Float32Array> = {};
  for (const n of m.vars.named) {
    const g = grads[n.variable.name];
    if (g) byName[n.name] = g.dataSync() as Float32Array;
  }
  // The pass under variableGrads updated them again: the twin starts from the same values.
  stats.forEach((n, i) => n.variable.assign(before[i]!));
  tf.dispose(before);
  const r = {
    out: out.dataSync() as Float32Array,
    loss: value.dataSync()[0]!,
    grads: byName,
    state,
  };
  tf.dispose([out, value, t.inputs.landscape, t.inputs.contacts, t.y, ...Object.values(grads)]);
  if (t.masks) tf.dispose(Object.values(t.masks));
  return r;
}

function theirs(m: ClasterModel, batch: ReturnType<typeof makeClasterBatch>, withMasks: boolean) {
  const weights: Record<string, { data: number[]; shape: number[] }> = {};
  for (const n of m.vars.named)
    weights[n.name] = { data: Array.from(n.variable.dataSync()), shape: n.variable.shape };
  const arr = (k: string) => Array.from(batch[k] as Float32Array);
  const req = {
    config: m.config,
    weights,
    n: batch.n,
    x: arr('x'),
    y: arr('y'),
    contacts: batch.contacts ? arr('contacts') : null,
    masks: withMasks
      ? { blockDrop: arr('blockDrop'), fusionDrop: arr('fusionDrop'), dropPath: arr('dropPath') }
      : null,
  };
  const r = spawnSync(python!, [twin], {
    input: JSON.stringify(req),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as {
    out: number[];
    loss: number;
    grads: Record<string, number[]>;
    state: Record<string, number[]>;
  };
}

/** The paper's rates, so the masks' wiring is exercised. */
const reg: [number, number, number, number] = [0.3, 0.1, 0.4, 0.5];
const cases: [string, ClasterConfig, boolean][] = [
  [
    'landscape, training masks',
    clasterConfig('tiny', 'landscape', { tracks: 4, bins: 61, outputs: 9 }, reg),
    true,
  ],
  [
    'landscape, inference',
    clasterConfig('tiny', 'landscape', { tracks: 3, bins: 40, outputs: 5 }),
    false,
  ],
  [
    'contacts, training masks',
    clasterConfig('tiny', 'contacts', { tracks: 4, bins: 33, outputs: 7, rows: 9, cols: 21 }, reg),
    true,
  ],
  [
    'landscape, batch norm, training masks',
    {
      ...clasterConfig('tiny', 'landscape', { tracks: 4, bins: 61, outputs: 9 }, reg),
      norm: 'batch',
    },
    true,
  ],
  [
    'landscape, batch norm, inference',
    { ...clasterConfig('tiny', 'landscape', { tracks: 4, bins: 40, outputs: 5 }), norm: 'batch' },
    false,
  ],
  [
    'contacts, batch norm, training masks',
    {
      ...clasterConfig('tiny', 'contacts', { tracks: 4, bins: 33, outputs: 7, rows: 9, cols: 21 }),
      norm: 'batch',
    },
    true,
  ],
];

describe('CLASTER network vs its PyTorch twin (float64, same weights)', () => {
  for (const [label, c, masks] of cases) {
    it.skipIf(python === undefined)(
      `${label}: outputs, loss, every gradient and moving statistic ≤ 1e-5 relative`,
      () => {
        const m = new ClasterModel(c, 5);
        // Moving statistics away from their start (0, 1), so inference reads them.
        const rs = new SeededRandom(8);
        for (const n of m.vars.named.filter((v) => !v.trainable)) {
          const mean = n.name.endsWith('moving_mean');
          n.variable.assign(
            tf.tensor(
              Float32Array.from({ length: n.variable.size }, () =>
                mean ? rs.normal() : 0.5 + rs.uniform(),
              ),
              n.variable.shape,
            ),
          );
        }
        const a = syntheticArrays(c, 3, 9);
        const batch = makeClasterBatch(a, c, [2, 0, 1], masks ? new SeededRandom(4) : undefined);
        const o = ours(m, batch);
        const t = theirs(m, batch, masks);
        expect(relErr(o.out, t.out)).toBeLessThan(1e-5);
        expect(Math.abs(o.loss - t.loss) / Math.abs(t.loss)).toBeLessThan(1e-5);
        const top = (g: ArrayLike<number>) => Math.max(...Array.from(g, Math.abs));
        const gmax = Math.max(...Object.values(t.grads).map(top));
        for (const n of m.vars.named.filter((v) => v.trainable)) {
          const g = t.grads[n.name]!;
          expect(g, n.name).toBeDefined();
          // A bias right before batch norm has gradient 0 in exact arithmetic: only
          // rounding (float32 here, float64 there), small against the model's gradients.
          if (top(g) < 1e-9 * gmax) expect(top(o.grads[n.name]!), n.name).toBeLessThan(1e-5 * gmax);
          else expect(relErr(o.grads[n.name]!, g), n.name).toBeLessThan(1e-5);
        }
        const states = m.stateVariables().length;
        expect(states > 0).toBe(c.norm === 'batch');
        expect(Object.keys(t.state)).toHaveLength(masks ? states : 0);
        for (const [name, v] of Object.entries(t.state))
          expect(relErr(o.state[name]!, v), name).toBeLessThan(1e-5);
        m.dispose();
      },
    );
  }
  it.skipIf(python !== undefined)('skips without torch', () => {
    console.warn('skipping: /usr/bin/python3 with torch not found (apt install python3-torch)');
  });
});

describe('conv2dSame', () => {
  it('dilated and strided forms equal a direct sum over taps', () => {
    const rng = new SeededRandom(1);
    const x = tf.tensor4d(
      Float32Array.from({ length: 2 * 3 * 17 * 2 }, () => rng.normal()),
      [2, 3, 17, 2],
    );
    const f = tf.tensor4d(
      Float32Array.from({ length: 3 * 4 * 2 * 3 }, () => rng.normal()),
      [3, 4, 2, 3],
    );
    const xs = x.arraySync();
    const fs = f.arraySync();
    for (const [stride, dilation] of [
      [
        [1, 2],
        [1, 1],
      ],
      [
        [1, 1],
        [2, 3],
      ],
      [
        [2, 1],
        [1, 1],
      ],
    ] as [[number, number], [number, number]][]) {
      const y = conv2dSame(x, f, undefined, stride, dilation);
      const ys = y.arraySync();
      const [oh, ow] = [Math.ceil(3 / stride[0]), Math.ceil(17 / stride[1])];
      expect(y.shape).toEqual([2, oh, ow, 3]);
      const lh = Math.floor((dilation[0] * 2) / 2);
      const lw = Math.floor((dilation[1] * 3) / 2);
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++)
            for (let o = 0; o < 3; o++) {
              let s = 0;
              for (let p = 0; p < 3; p++)
                for (let q = 0; q < 4; q++) {
                  const ii = i * stride[0] + p * dilation[0] - lh;
                  const jj = j * stride[1] + q * dilation[1] - lw;
                  if (ii < 0 || ii >= 3 || jj < 0 || jj >= 17) continue;
                  for (let cc = 0; cc < 2; cc++) s += xs[b]![ii]![jj]![cc]! * fs[p]![q]![cc]![o]!;
                }
              expect(ys[b]![i]![j]![o]!).toBeCloseTo(s, 4);
            }
      y.dispose();
    }
    tf.dispose([x, f]);
  });
});
