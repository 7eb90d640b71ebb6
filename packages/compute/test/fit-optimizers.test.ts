import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, type AdamWOptions } from '../src/train/adamw.js';
import { clipGradientsByGlobalNorm } from '../src/train/clip.js';
import {
  constantSchedule,
  exponentialDecaySchedule,
  warmupCosineSchedule,
} from '../src/train/schedules.js';
import { normals, relativeError } from './kernels-harness.js';

/**
 * AdamW and global-norm clipping against PyTorch (`torch.optim.AdamW`,
 * `torch.nn.utils.clip_grad_norm_`) run by Debian's python3-torch on the
 * same numbers; the schedules against their formulas worked by hand.
 */
function findTorchPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) return py;
  }
  console.warn('skipping: no python3 with torch (Debian: apt-get install python3-torch)');
  return undefined;
}
const python = findTorchPython();

function torch(script: string, input: unknown): unknown {
  const r = spawnSync(python!, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

const shapes = [[7, 5], [13], [1], [3, 4, 9]];
const steps = 6;
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const init = shapes.map((s, i) => Array.from(normals(size(s), 40 + i)));
const grads = Array.from({ length: steps }, (_, t) =>
  shapes.map((s, i) => Array.from(normals(size(s), 100 * t + i).map((g) => g * (1 + 2 * i)))),
);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.skipIf(!python)('AdamW and clip_grad_norm_ against PyTorch', () => {
  it('AdamW weights and moments after 6 steps with a warm-up + cosine rate equal torch.optim.AdamW', () => {
    const options: AdamWOptions = {
      learningRate: 0,
      beta1: 0.9,
      beta2: 0.98,
      // Large enough that ε's placement (on √v̂, not √v) shows in the weights.
      epsilon: 0.05,
      weightDecay: 0.1,
    };
    const schedule = warmupCosineSchedule({ learningRate: 0.02, warmupSteps: 2, totalSteps: 6 });
    const lrs = Array.from({ length: steps }, (_, t) => schedule(t));
    const vars = shapes.map((s, i) => tf.variable(tf.tensor(init[i]!, s)));
    const opt = new AdamW(vars, options);
    for (let t = 0; t < steps; t++) {
      const g = shapes.map((s, i) => tf.tensor(grads[t]![i]!, s));
      opt.apply(g, schedule(opt.step));
      tf.dispose(g);
    }
    const expected = torch(
      `
import json, sys, torch
d = json.load(sys.stdin)
ps = [torch.tensor(x, dtype=torch.float32, requires_grad=True) for x in d['init']]
o = d['options']
opt = torch.optim.AdamW(ps, lr=0.0, betas=(o['beta1'], o['beta2']), eps=o['epsilon'], weight_decay=o['weightDecay'])
for t, gs in enumerate(d['grads']):
    for g in opt.param_groups: g['lr'] = d['lrs'][t]
    for p, g in zip(ps, gs): p.grad = torch.tensor(g, dtype=torch.float32)
    opt.step()
st = [opt.state[p] for p in ps]
print(json.dumps({'w': [p.detach().tolist() for p in ps], 'm': [s['exp_avg'].tolist() for s in st], 'v': [s['exp_avg_sq'].tolist() for s in st]}))
`,
      { init, grads, lrs, options },
    ) as { w: number[][]; m: number[][]; v: number[][] };
    vars.forEach((v, i) => {
      const w = v.dataSync<'float32'>();
      expect(relativeError(w, Float32Array.from(expected.w[i]!)), `weights ${i}`).toBeLessThan(
        1e-6,
      );
      // The update moved the weights well beyond that tolerance.
      expect(relativeError(w, Float32Array.from(init[i]!))).toBeGreaterThan(1e-3);
    });
    const slots = opt.slotVariables();
    shapes.forEach((_, i) => {
      expect(
        relativeError(slots[i]!.dataSync<'float32'>(), Float32Array.from(expected.m[i]!)),
      ).toBeLessThan(1e-6);
      expect(
        relativeError(
          slots[shapes.length + i]!.dataSync<'float32'>(),
          Float32Array.from(expected.v[i]!),
        ),
      ).toBeLessThan(1e-6);
    });
    opt.dispose();
    tf.dispose(vars);
  });

  it.each([0.5, 1e3])('global-norm clipping to %s equals clip_grad_norm_', (maxNorm) => {
    const g = shapes.map((s, i) => tf.tensor(grads[0]![i]!, s));
    const r = clipGradientsByGlobalNorm(g, maxNorm);
    const expected = torch(
      `
import json, sys, torch
d = json.load(sys.stdin)
ps = [torch.zeros(len(x), requires_grad=True) for x in d['g']]
for p, x in zip(ps, d['g']): p.grad = torch.tensor(x, dtype=torch.float32)
n = torch.nn.utils.clip_grad_norm_(ps, d['max'])
print(json.dumps({'norm': float(n), 'g': [p.grad.tolist() for p in ps]}))
`,
      { g: grads[0], max: maxNorm },
    ) as { norm: number; g: number[][] };
    expect(r.totalNorm).toBeCloseTo(expected.norm, 4);
    r.grads.forEach((x, i) =>
      expect(
        relativeError(x.dataSync<'float32'>(), Float32Array.from(expected.g[i]!)),
      ).toBeLessThan(1e-6),
    );
    tf.dispose([...g, ...r.grads]);
  });
});

describe('learning-rate schedules (formulas worked by hand)', () => {
  it('constant', () => {
    expect(constantSchedule(0.3)(12345)).toBe(0.3);
  });
  it('exponential as XChrom: 0.01 · 0.9^(step/10⁴)', () => {
    const s = exponentialDecaySchedule({ learningRate: 0.01, decayRate: 0.9, decaySteps: 1e4 });
    expect(s(0)).toBe(0.01);
    expect(s(1e4)).toBeCloseTo(0.009, 15);
    expect(s(5e3)).toBeCloseTo(0.01 * Math.sqrt(0.9), 15);
  });
  it('linear warm-up then cosine, as transformers.get_cosine_schedule_with_warmup', () => {
    const s = warmupCosineSchedule({ learningRate: 1, warmupSteps: 10, totalSteps: 110 });
    expect([s(0), s(5), s(10)]).toEqual([0, 0.5, 1]);
    expect(s(60)).toBeCloseTo(0.5, 12); // half-way through the cosine
    expect(s(35)).toBeCloseTo((1 + Math.SQRT1_2) / 2, 12); // a quarter: ½(1 + cos π/4)
    expect(s(110)).toBeCloseTo(0, 12);
    expect(s(500)).toBeCloseTo(0, 12);
    const m = warmupCosineSchedule({
      learningRate: 1,
      warmupSteps: 0,
      totalSteps: 100,
      minLearningRate: 0.1,
    });
    expect(m(0)).toBe(1);
    expect(m(100)).toBeCloseTo(0.1, 12);
  });
});
