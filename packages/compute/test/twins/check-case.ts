import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '../../src/backend/init-backend.js';
import { numericGradients } from './reference64.js';

/**
 * One harness for the layer and loss tests. A case is a function of named
 * float inputs (differentiated) and fixed masks; the checked quantity is its
 * output and the gradients of Σ output·w (w fixed pseudo-random weights)
 * with respect to every input, compared
 *  1. on `cpu` against a float64 plain-JS reference and its central-difference
 *     gradients (`reference64.ts`),
 *  2. on `cpu` against PyTorch (float64) through `torch_twin.py`, where
 *     `/usr/bin/python3` has torch,
 *  3. on `wasm` with chromflow's kernels against `cpu`.
 * Error = max |a − b| / max |b| over each array.
 */
export const tolerance = 1e-5;

export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

export interface HostMask {
  /** Uint8Array becomes a bool tensor (1 = true), Float32Array a float tensor. */
  data: Uint8Array | Float32Array;
  shape: number[];
}

export interface LayerCase {
  label: string;
  inputs: Record<string, HostTensor>;
  masks?: Record<string, HostMask>;
  tf(inputs: Record<string, tf.Tensor>, masks: Record<string, tf.Tensor>): tf.Tensor;
  ref(
    inputs: Record<string, Float64Array>,
    masks: Record<string, Uint8Array | Float32Array>,
  ): Float64Array;
  /** The PyTorch twin's op name and attributes (absent: no torch counterpart). */
  torch?: { op: string; attrs?: Record<string, unknown> };
}

/** Deterministic standard normals (mulberry32 + Box–Muller), independent of everything under test. */
export function normals(n: number, seed: number, scale = 1, shift = 0): Float32Array {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(uniform(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform()) * scale + shift;
  }
  return out;
}

export function host(shape: number[], seed: number, scale = 1, shift = 0): HostTensor {
  return {
    data: normals(
      shape.reduce((a, b) => a * b, 1),
      seed,
      scale,
      shift,
    ),
    shape,
  };
}

export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

export interface Evaluated {
  value: ArrayLike<number>;
  grads: Record<string, ArrayLike<number>>;
}

const outputWeights = (n: number): Float32Array => normals(n, 4242);

export async function evaluateTf(backend: 'cpu' | 'wasm', c: LayerCase): Promise<Evaluated> {
  if (backend === 'wasm') await initBackend({ backend: 'wasm', quiet: true });
  else await tf.setBackend('cpu');
  const names = Object.keys(c.inputs);
  return tf.tidy(() => {
    const masks: Record<string, tf.Tensor> = {};
    for (const [k, m] of Object.entries(c.masks ?? {})) {
      masks[k] =
        m.data instanceof Uint8Array
          ? tf.tensor(m.data, m.shape, 'bool')
          : tf.tensor(m.data, m.shape);
    }
    const xs = names.map((k) => tf.tensor(c.inputs[k]!.data, c.inputs[k]!.shape));
    const call = (ts: tf.Tensor[]): tf.Tensor =>
      c.tf(Object.fromEntries(names.map((k, i) => [k, ts[i]!])), masks);
    const value = call(xs);
    const w = tf.tensor(outputWeights(value.size), value.shape);
    const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(call(ts), w)))(xs);
    return {
      value: Float32Array.from(value.dataSync()),
      grads: Object.fromEntries(names.map((k, i) => [k, Float32Array.from(grads[i]!.dataSync())])),
    };
  });
}

export function evaluateReference(c: LayerCase): Evaluated {
  const names = Object.keys(c.inputs);
  const masks = Object.fromEntries(Object.entries(c.masks ?? {}).map(([k, m]) => [k, m.data]));
  const xs = names.map((k) => Float64Array.from(c.inputs[k]!.data));
  const call = (ts: Float64Array[]): Float64Array =>
    c.ref(Object.fromEntries(names.map((k, i) => [k, ts[i]!])), masks);
  const value = call(xs);
  const w = Float64Array.from(outputWeights(value.length));
  const loss = (ts: Float64Array[]): number => call(ts).reduce((s, v, i) => s + v * w[i]!, 0);
  const grads = numericGradients(
    loss,
    xs,
    names.map((_, i) => i),
  );
  return { value, grads: Object.fromEntries(names.map((k, i) => [k, grads[i]!])) };
}

const here = dirname(fileURLToPath(import.meta.url));

/** Debian's python with torch, or a reason why not. */
export const torchPython: { python?: string; reason?: string } = (() => {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (python.startsWith('/') && !existsSync(python)) continue;
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return { python };
  }
  return { reason: 'no python3 with torch (/usr/bin/python3 first; Debian python3-torch)' };
})();

/** Sends raw requests to `torch_twin.py` (torch must be present) and returns its answers. */
export function runTorchTwin(requests: unknown[]): Evaluated[] {
  if (torchPython.python === undefined) throw new Error(torchPython.reason);
  const r = spawnSync(torchPython.python, [join(here, 'torch_twin.py')], {
    input: JSON.stringify(requests),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`torch_twin.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Evaluated[];
}

/** Runs the cases through PyTorch in one process; undefined where torch is absent. */
export function evaluateTorch(cases: LayerCase[], outputSizes: number[]): Evaluated[] | undefined {
  if (torchPython.python === undefined) return undefined;
  const requests = cases.map((c, i) => {
    return {
      op: c.torch!.op,
      attrs: c.torch!.attrs ?? {},
      inputs: Object.fromEntries(
        Object.entries(c.inputs).map(([k, v]) => [k, { data: Array.from(v.data), shape: v.shape }]),
      ),
      masks: Object.fromEntries(
        Object.entries(c.masks ?? {}).map(([k, v]) => [
          k,
          { data: Array.from(v.data), shape: v.shape },
        ]),
      ),
      weights: Array.from(outputWeights(outputSizes[i]!)),
    };
  });
  return runTorchTwin(requests);
}

function expectClose(actual: Evaluated, expected: Evaluated, what: string): void {
  expect(relativeError(actual.value, expected.value), `${what}: value`).toBeLessThanOrEqual(
    tolerance,
  );
  for (const [k, g] of Object.entries(expected.grads)) {
    expect(relativeError(actual.grads[k]!, g), `${what}: gradient of ${k}`).toBeLessThanOrEqual(
      tolerance,
    );
  }
}

/** Registers the three comparisons for each case (call inside a `describe`). */
export function checkCases(cases: LayerCase[]): void {
  const cpu = new Map<string, Promise<Evaluated>>();
  const onCpu = (c: LayerCase): Promise<Evaluated> => {
    if (!cpu.has(c.label)) cpu.set(c.label, evaluateTf('cpu', c));
    return cpu.get(c.label)!;
  };
  it.each(cases.map((c) => [c.label, c] as const))(
    '%s: cpu equals the float64 reference (values, numeric gradients)',
    async (_, c) => {
      expectClose(await onCpu(c), evaluateReference(c), 'cpu vs float64');
    },
  );
  const twins = cases.filter((c) => c.torch !== undefined);
  if (twins.length > 0) {
    let torch: Evaluated[] | undefined;
    if (torchPython.python === undefined) {
      console.warn(`skipping: ${twins.length} PyTorch comparisons: ${torchPython.reason}`);
    }
    it.skipIf(torchPython.python === undefined).each(twins.map((c, i) => [c.label, c, i] as const))(
      '%s: cpu equals PyTorch',
      async (_, c, i) => {
        if (torch === undefined) {
          const sizes: number[] = [];
          for (const t of twins) sizes.push((await onCpu(t)).value.length);
          torch = evaluateTorch(twins, sizes);
        }
        expectClose(await onCpu(c), torch![i]!, 'cpu vs torch');
      },
    );
  }
  it.each(cases.map((c) => [c.label, c] as const))(
    '%s: wasm (chromflow kernels) equals cpu',
    async (_, c) => {
      const expected = await onCpu(c);
      expectClose(await evaluateTf('wasm', c), expected, 'wasm vs cpu');
    },
  );
}
