/**
 * GET Jacobians per second: `forEachGetJacobianBatch` + gene × motif +
 * region importance for G genes on the active backend, against the PyTorch
 * twin's autograd (test/twins/get_jacobian_bench.py: float32, 1 thread, the
 * same weights, windows and selected outputs) in the same run.
 *
 *   npx tsx --conditions=@chromflow/source packages/attribution/bench/get-jacobian.ts [genes = 256] [size = tiny]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRandom } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { getConfig, GetModel, type GetArrays, type GetSize } from '@chromflow/models';
import { forEachGetJacobianBatch, type GeneFocus } from '../src/get-jacobian.js';
import { inputTimesGradient, regionImportance } from '../src/gene-motif.js';

const here = dirname(fileURLToPath(import.meta.url));
const G = Number(process.argv[2] ?? 256);
const size = (process.argv[3] ?? 'tiny') as GetSize;
const backend = await initBackend();
const T = 200;
const NC = 282; // GET's motif clusters
const n = 1000;
const rng = new SeededRandom(1);
const a: GetArrays = {
  clusters: Array.from({ length: NC }, (_, i) => `m${i}`),
  cellTypes: ['A'],
  nRegions: n,
  motif: Float32Array.from({ length: n * NC }, () => (rng.uniform() < 0.8 ? 0 : rng.uniform())),
  accessibility: new Float32Array(n).fill(1),
  labels: new Float32Array(n * 2),
  tssMask: new Uint8Array(n * 2),
  windowFirsts: Int32Array.of(0),
  windowSize: T,
};
const model = new GetModel(getConfig(size, NC + 1, 'expression'), 1);
const F = NC + 1;
const focuses: GeneFocus[] = Array.from({ length: G }, (_, i) => ({
  gene: `g${i}`,
  first: (i * 3) % (n - T),
  outputs: Int32Array.of(100 * 2 + (i % 2)),
}));
const batchSize = 16;
const xs: Float32Array[] = [];
const t0 = performance.now();
forEachGetJacobianBatch(
  model,
  a,
  0,
  focuses,
  (b) => {
    inputTimesGradient(b.x, b.inputGradient, b.focuses.length, T, F);
    regionImportance(b.embeddingGradient, b.focuses.length, T, model.config.dim);
    xs.push(b.x);
  },
  { batchSize },
);
const ours = (performance.now() - t0) / 1000;
console.log(
  `chromflow (${backend.name}, GET ${size}, T ${T}, F ${F}): ${G} genes in ${ours.toFixed(2)} s = ${(G / ours).toFixed(1)} Jacobians/s`,
);

const py = '/usr/bin/python3';
if (spawnSync(py, ['-c', 'import torch']).status !== 0) {
  console.log('PyTorch twin skipped: /usr/bin/python3 with torch not found');
} else {
  const x = new Float32Array(G * T * F);
  xs.forEach((b, i) => x.set(b, i * batchSize * T * F));
  const select = new Float32Array(G * T * 2);
  focuses.forEach((g, i) => (select[i * T * 2 + g.outputs[0]!] = 1));
  const weights: Record<string, { data: number[]; shape: number[] }> = {};
  for (const v of model.vars.named)
    weights[v.name] = { data: Array.from(v.variable.dataSync()), shape: v.variable.shape };
  const r = spawnSync(py, [join(here, '..', 'test', 'twins', 'get_jacobian_bench.py')], {
    input: JSON.stringify({
      config: model.config,
      weights,
      shape: [G, T, F],
      x: Array.from(x),
      select: Array.from(select),
      batchSize,
    }),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    cwd: join(here, '..', 'test', 'twins'),
    env: { ...process.env, PYTHONPATH: join(here, '..', 'test', 'twins') },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  const t = JSON.parse(r.stdout) as { seconds: number; jacobiansPerSecond: number };
  console.log(
    `PyTorch twin autograd (float32, 1 thread): ${G} genes in ${t.seconds.toFixed(2)} s = ${t.jacobiansPerSecond.toFixed(1)} Jacobians/s; ratio chromflow/twin ${(G / ours / t.jacobiansPerSecond).toFixed(2)}`,
  );
}
model.dispose();
