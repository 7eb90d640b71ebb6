#!/usr/bin/env node
// Issue 17 point 9: the @chromflow packages install and work outside the
// monorepo. Builds dist/, packs every publishable package, installs the
// tarballs (all together: they depend on each other at exact versions, which
// no registry holds) into a fresh project outside the repo, and runs one
// README example per package there with plain `node`, checking each result
// against a figure derived by hand or from the input files themselves.
// Exits non-zero on the first failure.
//
//   node scripts/check-packages.mjs [--no-build] [--keep] [--only core,report]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const keep = args.includes('--keep');
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? (args[onlyArg + 1] ?? '').split(',') : undefined;

// Every package a user installs (simulate too: the CLI registers its stages, e.g. the CLASTER program).
const PACKAGES = [
  'packages/core',
  'packages/genome-io',
  'packages/atac-pseudobulk',
  'packages/cell-embedding',
  'packages/compute',
  'packages/models',
  'packages/attribution',
  'packages/structure-analysis',
  'packages/report',
  'packages/simulate',
  'apps/pipeline',
];
const testData = join(root, 'test-data');

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const sh = (cmd, argv, opts = {}) => {
  console.log(`$ ${cmd} ${argv.join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}`);
  return execFileSync(cmd, argv, {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    ...opts,
  });
};

if (build) {
  const names = PACKAGES.map(
    (p) => JSON.parse(readFileSync(join(root, p, 'package.json'), 'utf8')).nx.name,
  );
  sh('npx', ['nx', 'run-many', '-t', 'build', '-p', names.join(','), '--outputStyle=stream'], {
    cwd: root,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  console.log(`built (${elapsed()})`);
}

const work = mkdtempSync(join(tmpdir(), 'chromflow-packages-'));
const packs = join(work, 'tarballs');
const project = join(work, 'project');
mkdirSync(packs);
mkdirSync(project);
const tarballs = [];
for (const p of PACKAGES) {
  const out = sh('npm', ['pack', '--json', '--pack-destination', packs], { cwd: join(root, p) });
  const [info] = JSON.parse(out);
  if (!info.files.some((f) => f.path === 'dist/index.js'))
    throw new Error(`${p}: the tarball has no dist/index.js (build first, or drop --no-build)`);
  tarballs.push(join(packs, info.filename));
}
console.log(`packed ${tarballs.length} packages (${elapsed()})`);

writeFileSync(
  join(project, 'package.json'),
  JSON.stringify({ name: 'chromflow-user', private: true, type: 'module' }, null, 2),
);
sh('npm', ['install', '--no-fund', '--no-audit', ...tarballs], {
  cwd: project,
  stdio: ['ignore', 'inherit', 'inherit'],
});
console.log(`installed into ${project} (${elapsed()})`);

// One README example per package, each an ES module run by node in the project.
const td = JSON.stringify(testData);
const EXAMPLES = {
  core: `
import { csrFromSparse, randomizedSvd, readTable, sparseFromTable, sparseToTable, writeTable } from '@chromflow/core';
// diag(3, 2, 1) as COO: singular values 3, 2 by hand.
const m = { nRows: 3, nCols: 3, rows: Int32Array.of(0, 1, 2), cols: Int32Array.of(0, 1, 2), values: Float32Array.of(3, 2, 1) };
await writeTable('counts.parquet', sparseToTable(m));
const counts = csrFromSparse(sparseFromTable(await readTable('counts.parquet'), 'counts.parquet'));
const { s } = await randomizedSvd(counts, 2, { seed: 0 });
if (Math.abs(s[0] - 3) > 1e-5 || Math.abs(s[1] - 2) > 1e-5) throw new Error('singular values ' + Array.from(s));
console.log('core: singular values', Array.from(s));
`,
  'genome-io': `
import { makeWindows, oneHotFromCodes, openFasta, readBed, readFragments, readWindowCodes, sequenceCodesToTable } from '@chromflow/genome-io';
import { writeTable } from '@chromflow/core';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
const td = ${td};
const fasta = await openFasta(td + '/genome.fa', { writeIndex: false });
const peaks = await readBed(td + '/peaks.bed', { chromSizes: fasta.chromSizes });
const windows = makeWindows(peaks, fasta.chromSizes, { width: 1344, edge: 'pad' });
const codes = await readWindowCodes(fasta, windows);
const x = oneHotFromCodes(codes.codes, 1344);
await writeTable('sequences.parquet', sequenceCodesToTable({ ...windows, ...codes }));
const bedLines = readFileSync(td + '/peaks.bed', 'utf8').split('\\n').filter((l) => l && !l.startsWith('#')).length;
if (x.length !== bedLines * 1344 * 4) throw new Error('one-hot length ' + x.length + ' for ' + bedLines + ' peaks');
let n = 0;
for await (const b of readFragments(td + '/fragments.tsv.gz', { batchSize: 1 << 16 })) n += b.length;
const lines = gunzipSync(readFileSync(td + '/fragments.tsv.gz')).toString().split('\\n').filter((l) => l && !l.startsWith('#')).length;
if (n !== lines) throw new Error('fragments ' + n + ', lines ' + lines);
await fasta.close();
console.log('genome-io:', bedLines, 'peaks one-hot,', n, 'fragments');
`,
  'atac-pseudobulk': `
import { readBed, readGenes } from '@chromflow/genome-io';
import { CellQcCounter, RegionCounter, makeTssRegions, scanFragments } from '@chromflow/atac-pseudobulk';
const td = ${td};
const peaks = await readBed(td + '/peaks.bed');
const genes = await readGenes(td + '/genes.gtf');
const tss = makeTssRegions(genes.chroms, genes.tsses);
const counts = new RegionCounter(peaks, { method: 'archr-insertions' });
const qc = new CellQcCounter({ tss, peaks });
await scanFragments(td + '/fragments.tsv.gz', [counts, qc]);
const { matrix, barcodes } = counts.finish();
const { tssEnrichment } = qc.finish();
if (matrix.nCols !== peaks.length || matrix.nRows !== barcodes.length || matrix.nRows === 0)
  throw new Error('matrix ' + matrix.nRows + ' x ' + matrix.nCols + ' for ' + peaks.length + ' peaks');
if (!(tssEnrichment.length > 0)) throw new Error('no TSS enrichment');
console.log('atac-pseudobulk:', matrix.nRows, 'cells x', matrix.nCols, 'peaks');
`,
  'cell-embedding': `
import { readTenxMtx, normaliseTotalLog1p, selectHvgSeuratV3, selectColumns, computePca, zscoreColumns, bZscoresFromNGenes, makeCellEmbeddingTable } from '@chromflow/cell-embedding';
import { readTable, writeTable } from '@chromflow/core';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
const td = ${td};
const ad = await readTenxMtx(td + '/rna');
const hvg = selectHvgSeuratV3(ad.X, 2000);
const norm = normaliseTotalLog1p(selectColumns(ad.X, hvg.selected), { targetSum: 1e4 });
const pca = computePca(norm.X, { nComponents: 32, seed: 0 });
const z = zscoreColumns(pca.scores, ad.X.nRows, pca.nComponents);
await writeTable('cell-embedding.parquet', makeCellEmbeddingTable(ad.obs.index, z, pca.nComponents, norm.nGenes, bZscoresFromNGenes(norm.nGenes)));
const t = await readTable('cell-embedding.parquet');
const cells = gunzipSync(readFileSync(td + '/rna/barcodes.tsv.gz')).toString().trim().split('\\n').length;
if (t.numRows !== cells || t.numCols !== 1 + 32 + 2) throw new Error('table ' + t.numRows + ' x ' + t.numCols + ', ' + cells + ' barcodes');
console.log('cell-embedding:', t.numRows, 'cells x', t.numCols, 'columns');
`,
  compute: `
import { initBackend } from '@chromflow/compute';
import * as tf from '@tensorflow/tfjs-core';
await initBackend({ backend: 'cpu', quiet: true });
// [[1,2],[3,4]] @ [[5],[6]] = [[17],[39]] by hand.
const y = await tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).data();
if (y[0] !== 17 || y[1] !== 39) throw new Error('matMul ' + Array.from(y));
console.log('compute: cpu backend, matMul', Array.from(y));
`,
  models: `
import { stages } from '@chromflow/models';
if (!Array.isArray(stages) || !stages.some((s) => s.name === 'models.xchrom-train')) throw new Error('models stages: ' + stages.map((s) => s.name));
console.log('models:', stages.length, 'stages');
`,
  report: `
import { rocCurve } from '@chromflow/core';
import { renderVegaLite, thinCurve } from '@chromflow/report';
// scikit-learn's roc_auc_score documentation example: 0.75.
const curve = rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
const { auc } = curve;
if (auc !== 0.75) throw new Error('AUROC ' + auc);
if (thinCurve(curve, 3).fpr.length !== 3) throw new Error('thinCurve');
const svg = await renderVegaLite({ data: { values: [{ a: 1, b: 2 }, { a: 2, b: 3 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } } });
if (!svg.startsWith('<svg') || !svg.includes('</svg>')) throw new Error('not an SVG: ' + svg.slice(0, 80));
console.log('report: AUROC', auc, 'and an SVG of', svg.length, 'bytes');
`,
};

const failures = [];
for (const [name, code] of Object.entries(EXAMPLES)) {
  if (only && !only.includes(name)) continue;
  const file = join(project, `example-${name}.mjs`);
  writeFileSync(file, code);
  try {
    sh('node', [file], { cwd: project, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    failures.push(name);
  }
}
// The CLI as the README runs it, from the installed bin.
if (!only || only.includes('pipeline')) {
  try {
    const out = sh('npx', ['--no-install', 'chromflow', 'stages'], { cwd: project });
    if (!out.includes('atac-pseudobulk.count-matrix')) throw new Error(`chromflow stages:\n${out}`);
    console.log('pipeline: npx chromflow stages lists', out.trim().split('\n').length, 'lines');
  } catch (e) {
    console.error(String(e));
    failures.push('pipeline');
  }
}

if (!keep && failures.length === 0) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
if (failures.length > 0) {
  console.error(`check-packages: FAILED ${failures.join(', ')} (${elapsed()})`);
  process.exit(1);
}
console.log(
  `check-packages: ${PACKAGES.length} packages installed from tarballs, every example passed (${elapsed()})`,
);
