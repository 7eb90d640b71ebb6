/**
 * `npm run bench`: PCA time of chromflow (sparse randomized SVD, implicit
 * centring) vs scikit-learn's PCA (randomized solver, dense input) on the same
 * normalised matrix and the same number of components, after asserting the
 * explained-variance ratios agree to 1e-3. Cases: scanpy's chr21 PBMC data and
 * a synthetic 20,000 cells × 5,000 genes sparse matrix. Order alternates; the
 * best of the runs of each side is reported. Writes bench-results/cell-embedding.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type CsrMatrix, sharedDataFile } from '@chromflow/core';
import {
  computePca,
  cooToSortedCsr,
  makeRandom,
  normaliseTotalLog1p,
  readTenxMtx,
  writeH5ad,
} from '../src/index.js';

interface CaseResult {
  label: string;
  cells: number;
  genes: number;
  nnz: number;
  components: number;
  oursBestS: number;
  oursCpuBestS: number;
  sklearnFitCpuBestS: number;
  sklearnFitBestS: number;
  sklearnDensifyS: number;
  speedupVsFit: number;
  speedupVsDensifyPlusFit: number;
  maxRatioDiff: number;
}

function findSklearnPython(): string | undefined {
  for (const py of [process.env['CHROMFLOW_PYTHON'], 'python3', '/usr/bin/python3']) {
    if (
      py &&
      spawnSync(py, ['-c', 'import sklearn, h5py, scipy'], { encoding: 'utf8' }).status === 0
    )
      return py;
  }
  return undefined;
}

/** Counts from 8 planted programs: each cell draws Poisson counts, ~8 % non-zero. */
function makeSyntheticCounts(nCells: number, nGenes: number, seed: number): CsrMatrix {
  const rng = makeRandom(seed);
  const programs = Array.from({ length: 8 }, () =>
    Float64Array.from({ length: nGenes }, () => (rng.uniform() < 0.15 ? 1 + 4 * rng.uniform() : 0)),
  );
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let r = 0; r < nCells; r++) {
    const prog = programs[r % 8]!;
    const depth = 0.5 + rng.uniform();
    for (let g = 0; g < nGenes; g++) {
      const lambda = (0.03 + prog[g]! * 0.4) * depth;
      // Poisson by inversion (small λ).
      let k = 0;
      let p = Math.exp(-lambda);
      let s = p;
      const u = rng.uniform();
      while (u > s && k < 50) {
        k++;
        p *= lambda / k;
        s += p;
      }
      if (k > 0) {
        rows.push(r);
        cols.push(g);
        vals.push(k);
      }
    }
  }
  return cooToSortedCsr(
    nCells,
    nGenes,
    Int32Array.from(rows),
    Int32Array.from(cols),
    Float32Array.from(vals),
  );
}

async function runCase(
  label: string,
  X: CsrMatrix,
  k: number,
  python: string,
  dtype: 'f32' | 'f64',
  reps: number,
): Promise<CaseResult> {
  const file = join(mkdtempSync(join(tmpdir(), 'ce-bench-')), 'norm.h5ad');
  await writeH5ad(file, {
    X,
    obs: { index: Array.from({ length: X.nRows }, (_, i) => `c${i}`), columns: {} },
    var: { index: Array.from({ length: X.nCols }, (_, i) => `g${i}`), columns: {} },
    obsm: {},
    uns: {},
  });
  const ours: number[] = [];
  const fits: number[] = [];
  const oursCpu: number[] = [];
  const fitCpus: number[] = [];
  let densify = Infinity;
  let maxRatioDiff = 0;
  for (let rep = 0; rep < reps; rep++) {
    const runOurs = (): void => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const pca = computePca(X, { nComponents: k, seed: 0 });
      ours.push((performance.now() - t0) / 1000);
      const c = process.cpuUsage(c0);
      oursCpu.push((c.user + c.system) / 1e6);
      lastOurs = pca.explainedVarianceRatio;
    };
    const runSk = (): void => {
      const r = spawnSync(
        python,
        [join(import.meta.dirname, 'sklearn_pca_time.py'), file, String(k), '1', dtype],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 26,
        },
      );
      if (r.status !== 0) throw new Error(r.stderr);
      const o = JSON.parse(r.stdout) as {
        densify_s: number;
        fit_s: number[];
        fit_cpu_s: number[];
        explained_variance_ratio: number[];
      };
      fits.push(...o.fit_s);
      fitCpus.push(...o.fit_cpu_s);
      densify = Math.min(densify, o.densify_s);
      lastSk = o.explained_variance_ratio;
    };
    let lastOurs: Float64Array = new Float64Array(0);
    let lastSk: number[] = [];
    if (rep % 2 === 0) {
      runOurs();
      runSk();
    } else {
      runSk();
      runOurs();
    }
    lastSk.forEach((v, j) => (maxRatioDiff = Math.max(maxRatioDiff, Math.abs(v - lastOurs[j]!))));
  }
  if (!(maxRatioDiff < 1e-3))
    throw new Error(`${label}: explained-variance ratios differ by ${maxRatioDiff}`);
  const oursBestS = Math.min(...ours);
  const sklearnFitBestS = Math.min(...fits);
  return {
    label,
    cells: X.nRows,
    genes: X.nCols,
    nnz: X.indices.length,
    components: k,
    oursBestS,
    oursCpuBestS: Math.min(...oursCpu),
    sklearnFitBestS,
    sklearnFitCpuBestS: Math.min(...fitCpus),
    sklearnDensifyS: densify,
    speedupVsFit: sklearnFitBestS / oursBestS,
    speedupVsDensifyPlusFit: (sklearnFitBestS + densify) / oursBestS,
    maxRatioDiff,
  };
}

const python = findSklearnPython();
if (!python) {
  console.log('skipping the PCA benchmark: no python3 with scikit-learn, h5py and scipy');
  process.exit(0);
}
const results: CaseResult[] = [];
const chr21 = sharedDataFile('scrna', 'scanpy_10x_v3_pbmc_chr21', 'matrix.mtx.gz');
if (chr21) {
  const ad = await readTenxMtx(dirname(chr21));
  results.push(
    await runCase(
      'scanpy 10x v3 PBMC chr21 (1107 × 507), 20 PCs',
      normaliseTotalLog1p(ad.X).X,
      20,
      python,
      'f64',
      3,
    ),
  );
}
const synth = normaliseTotalLog1p(makeSyntheticCounts(20000, 5000, 1)).X;
results.push(await runCase('synthetic 20000 × 5000 sparse, 50 PCs', synth, 50, python, 'f32', 2));

for (const r of results) {
  console.log(
    `${r.label}: nnz ${r.nnz}; chromflow ${r.oursBestS.toFixed(3)} s ` +
      `(${((r.cells * r.genes) / r.oursBestS / 1e6).toFixed(1)} M matrix entries/s); ` +
      `(CPU ${r.oursCpuBestS.toFixed(3)} s); scikit-learn fit ${r.sklearnFitBestS.toFixed(3)} s (CPU ${r.sklearnFitCpuBestS.toFixed(3)} s) + densify ${r.sklearnDensifyS.toFixed(3)} s; ` +
      `speed-up ×${r.speedupVsFit.toFixed(2)} vs fit, ×${r.speedupVsDensifyPlusFit.toFixed(2)} vs densify+fit; ` +
      `max |Δ variance ratio| ${r.maxRatioDiff.toExponential(2)}`,
  );
}
const outDir = new URL('../bench-results/', import.meta.url).pathname;
if (!existsSync(outDir)) mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'cell-embedding.json'),
  JSON.stringify({ date: new Date().toISOString(), results }, null, 2),
);
