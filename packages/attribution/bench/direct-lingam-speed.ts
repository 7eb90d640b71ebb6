/**
 * DirectLiNGAM speed at GET's gene × motif sizes: a random sparse linear SEM
 * with Laplace noise (genes × motifs), timed per number of motifs, the order
 * search and the adjacency separately (onProgress marks the switch).
 *
 *   npx tsx --conditions=@chromflow/source bench/direct-lingam-speed.ts [genes=2000] [motifs=25,50,100]
 */
import { makeRandom } from '@chromflow/core';
import { directLingam } from '../src/direct-lingam.js';

const genes = Number(process.argv[2] ?? 2000);
const sizes = (process.argv[3] ?? '25,50,100').split(',').map(Number);

for (const p of sizes) {
  const rng = makeRandom(p);
  const b = new Float64Array(p * p);
  for (let i = 1; i < p; i++)
    for (let j = 0; j < i; j++) if (rng.uniform() < 3 / p) b[i * p + j] = 0.5 + rng.uniform();
  const x = new Float64Array(genes * p);
  for (let s = 0; s < genes; s++)
    for (let v = 0; v < p; v++) {
      const u = rng.uniform() - 0.5;
      let e = -Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
      for (let j = 0; j < v; j++) e += b[v * p + j]! * x[s * p + j]!;
      x[s * p + v] = e;
    }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let cOrder = c0;
  directLingam(x, genes, p, {
    onProgress: (done, _total, message) => {
      if (message === 'causal order' && done === p) {
        cOrder = process.cpuUsage(c0);
      }
    },
  });
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  const cpu = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
  // CPU seconds are what an idle core would take; wall seconds include other load on the machine.
  console.log(
    `${genes} genes × ${p} motifs: wall ${((t1 - t0) / 1000).toFixed(2)} s, cpu ${cpu(c1).toFixed(2)} s ` +
      `(order cpu ${cpu(cOrder).toFixed(2)} s, adjacency cpu ${(cpu(c1) - cpu(cOrder)).toFixed(2)} s)`,
  );
}
