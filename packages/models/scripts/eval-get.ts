/**
 * Planted-truth evaluation of GET on the simulator's GET program: leave out
 * the program's left-out cell type, train ours (compute `fit`) and the
 * PyTorch twin (`test/twins/get_twin.py`, same initial weights, same
 * optimizer, schedule and epochs), and compare Pearson on the left-out
 * type's TSS regions with truth.json's reference.
 *
 *   npm run simulate -w @chromflow/simulate -- --program get --out /tmp/gp
 *   (run models.get-inputs on it: workflow in the models README) then
 *   npx tsx --conditions=@chromflow/source packages/models/scripts/eval-get.ts \
 *     <get-inputs dir> /tmp/gp/truth.json [size] [epochs] [out dir] [learning rate] [loss] [positional] [seed] [split] [val]
 *
 * `loss`: `all` (GET: every region and strand) or `tss` (only the labelled
 * pairs; `expressionLoss` in the configuration), `positional`: `none` (GET),
 * `learned` (absolute, per window position) or `relative` (attention bias by
 * distance in bp); `seed`: initial weights (both) and our shuffling; the same
 * configuration for both models. `split`: `type` (default: truth.json's
 * left-out cell type), `chrom:<chr>[,<chr>]` (every type on those
 * chromosomes: regions, hence genes, the model never saw) or
 * `type+chrom:<chr>` (the left-out type on those chromosomes only). Metrics
 * per test type; `mean` averages them. `val` (the best epoch, both models):
 * `every:5` (default: every 5th training sample, which shares genes with
 * training) or `chrom:<chr>[,<chr>]` (held-out validation chromosomes, not
 * trained on; `valChroms` of the fine-tune stage). `twinDraws`: `own`
 * (default: the twin shuffles and draws drop-path with torch's generator) or
 * `ours` (it replays our sample order and drop-path masks, drawn here from
 * the stream `fit` gives the batch source: SeededRandom(seed ^ 0x5eed), one
 * shuffle per epoch, then each batch's masks), so the two differ only in
 * arithmetic.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTable, SeededRandom } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import {
  getArraysFromTables,
  getConfig,
  getMetrics,
  GetModel,
  labelGenes,
  makeGetBatch,
  makeGetSplit,
  predictGet,
  trainGet,
  windowChroms,
  type GetSamples,
  type GetSize,
} from '../src/index.js';

const [
  dir,
  truthPath,
  size = 'tiny',
  epochsArg = '30',
  outDir = '/tmp/eval-get',
  lrArg = '1e-3',
  loss = 'all',
  positional = 'none',
  seedArg = '0',
  splitArg = 'type',
  valArg = 'every:5',
  twinDraws = 'own',
] = process.argv.slice(2);
if (twinDraws !== 'own' && twinDraws !== 'ours')
  throw new Error(`twinDraws: own or ours, got ${twinDraws}`);
if (!dir || !truthPath)
  throw new Error('usage: eval-get.ts <get-inputs dir> <truth.json> [size] [epochs] [out]');
const epochs = Number(epochsArg);
const backend = await initBackend();
const windows = await readTable(join(dir, 'windows.parquet'));
const labels = await readTable(join(dir, 'labels.parquet'));
const a = getArraysFromTables(windows, await readTable(join(dir, 'features.parquet')), labels);
const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as {
  leftOutCellType: string;
  reference: {
    leftOutPearson: number;
    leftOutPearsonLearnedBaselines?: number;
    leftOutSpecificPearson: number;
  };
};
const left = truth.leftOutCellType;
const testChroms = splitArg.includes('chrom:') ? splitArg.split('chrom:')[1]!.split(',') : [];
if (!['type', 'chrom', 'type+chrom'].includes(splitArg.split(':')[0]!))
  throw new Error(`split: type, chrom:<chr> or type+chrom:<chr>, got ${splitArg}`);
const [valKind, valValue = ''] = valArg.split(':');
if (!(valKind === 'every' && Number(valValue) >= 2) && !(valKind === 'chrom' && valValue))
  throw new Error(`val: every:<k ≥ 2> or chrom:<chr>[,<chr>], got ${valArg}`);
const split = makeGetSplit(a, windowChroms(windows), {
  ...(splitArg.startsWith('chrom:') ? {} : { testCellTypes: [left] }),
  ...(testChroms.length > 0 ? { testChroms } : {}),
  ...(valKind === 'chrom' ? { valChroms: valValue.split(',') } : { valEvery: Number(valValue) }),
});
const config = getConfig(size as GetSize, a.clusters.length + 1, 'expression', {
  expressionLoss: loss as 'all' | 'tss',
  positional: positional as 'none' | 'learned' | 'relative',
  maxRegions: a.windowSize,
});
const seed = Number(seedArg);
const lr = Number(lrArg);
const batchSize = 4;
console.log(
  `${a.cellTypes.length} types × ${a.windowFirsts.length} windows, ${a.clusters.length} clusters; split ${splitArg}, val ${valArg} (${split.train.types.length} train / ${split.val.types.length} val / ${split.test.types.length} test samples); GET ${size}, ${epochs} epochs, lr ${lr}, loss on ${loss}, positions ${positional}`,
);

const t0 = performance.now();
const r = await trainGet(a, split, {
  config,
  seed,
  epochs,
  patience: epochs,
  batchSize,
  learningRate: lr,
  log: console.log,
});
const ourSeconds = (performance.now() - t0) / 1000;
const genes = labelGenes(labels, a.nRegions);
const oursByType = getMetrics(predictGet(r.model, a, split.test), a, genes);
const ours = oursByType.find((m) => m.cellType === left) ?? oursByType[0]!;
r.model.dispose();

// The twin: same initial weights (our model at `seed`), its own shuffling and drop-path draws.
const init = new GetModel(config, seed);
const weights: Record<string, { data: number[]; shape: number[] }> = {};
for (const n of init.vars.named)
  weights[n.name] = { data: Array.from(n.variable.dataSync()), shape: n.variable.shape };
init.dispose();
const flat = (s: GetSamples, key: 'x' | 'y' | 'tss' | 'pos'): number[] =>
  Array.from(
    makeGetBatch(
      a,
      config,
      s,
      Int32Array.from({ length: s.types.length }, (_, i) => i),
    )[key] as Float32Array,
  );
const req = {
  mode: 'train',
  config,
  weights,
  seed,
  t: a.windowSize,
  epochs,
  batchSize,
  lr,
  wd: 0.05,
  x: flat(split.train, 'x'),
  y: flat(split.train, 'y'),
  vx: flat(split.val, 'x'),
  vy: flat(split.val, 'y'),
  tx: flat(split.test, 'x'),
  ...(loss === 'tss' ? { tss: flat(split.train, 'tss'), vtss: flat(split.val, 'tss') } : {}),
  ...(positional === 'relative'
    ? { pos: flat(split.train, 'pos'), vpos: flat(split.val, 'pos'), tpos: flat(split.test, 'pos') }
    : {}),
};
if (twinDraws === 'ours') Object.assign(req, ourDraws());
const t1 = performance.now();
const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, '../test/twins/get_twin.py')], {
  input: JSON.stringify(req),
  encoding: 'utf8',
  maxBuffer: 1 << 30,
  env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
});
if (py.status !== 0) throw new Error(py.stderr);
const twinSeconds = (performance.now() - t1) / 1000;
const twinRes = JSON.parse(py.stdout) as {
  out: number[];
  bestValLoss: number;
  bestEpoch: number;
  history: { train: number; val: number }[];
};
const twinOut = Float32Array.from(twinRes.out);
const twinBestVal = twinRes.bestValLoss;
const twinByType = getMetrics(
  { task: 'expression', samples: split.test, values: twinOut, windowSize: a.windowSize },
  a,
  genes,
);
const twin = twinByType.find((m) => m.cellType === left) ?? twinByType[0]!;
const mean = (v: number[]): number => v.reduce((x, y) => x + y, 0) / v.length;
const perType = (ms: typeof oursByType) =>
  Object.fromEntries(ms.map((m) => [m.cellType, m.regions.pearson]));

const result = {
  command: process.argv.slice(1).join(' '),
  backend: backend.name,
  leftOut: left,
  size,
  epochs,
  learningRate: lr,
  loss,
  positional,
  seed,
  split: splitArg,
  val: valArg,
  twinDraws,
  testChroms,
  byType: {
    ours: perType(oursByType),
    twin: perType(twinByType),
    oursMean: mean(oursByType.map((m) => m.regions.pearson)),
    twinMean: mean(twinByType.map((m) => m.regions.pearson)),
  },
  ours: {
    tssPearson: ours.regions.pearson,
    genePearson: ours.genes?.pearson,
    spearman: ours.regions.spearman,
    r2: ours.regions.r2,
    n: ours.regions.n,
    seconds: ourSeconds,
    bestEpoch: r.bestEpoch,
    bestValLoss: r.bestValLoss,
  },
  twin: {
    tssPearson: twin.regions.pearson,
    genePearson: twin.genes?.pearson,
    spearman: twin.regions.spearman,
    r2: twin.regions.r2,
    seconds: twinSeconds,
    bestValLoss: twinBestVal,
    bestEpoch: twinRes.bestEpoch,
  },
  curves: {
    ours: r.history.map((h) => ({ train: h.trainLoss, val: h.losses['val'] })),
    twin: twinRes.history,
  },
  reference: truth.reference,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'eval-get.json'), JSON.stringify(result, null, 1));
writeFileSync(
  join(outDir, 'eval-get-pearson.svg'),
  barsSvg(
    [
      [`ours (${ours.cellType})`, ours.regions.pearson],
      [`PyTorch twin (${twin.cellType})`, twin.regions.pearson],
      ['reference (truth.json)', truth.reference.leftOutPearson],
      ...(truth.reference.leftOutPearsonLearnedBaselines === undefined
        ? []
        : [
            ['reference, learned baselines', truth.reference.leftOutPearsonLearnedBaselines] as [
              string,
              number,
            ],
          ]),
    ],
    `split ${splitArg}: Pearson on TSS regions`,
  ),
);
writeFileSync(
  join(outDir, 'eval-get-curve.svg'),
  curveSvg(
    r.history.map((h) => h.losses['val'] ?? NaN),
    'ours: validation Poisson NLL per epoch',
  ),
);
console.log(JSON.stringify(result, null, 1));

/**
 * Our sample order per epoch and drop-path mask per step, drawn as `fit` and
 * `getBatchSource` draw them (the stream seeded seed ^ 0x5eed: each epoch one
 * shuffle, then per batch `makeGetBatch`'s masks), for the twin to replay.
 */
function ourDraws(): { orders: number[]; dropPaths: number[] } {
  const rng = new SeededRandom(seed ^ 0x5eed);
  const n = split.train.types.length;
  const orders: number[] = [];
  const dropPaths: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    orders.push(...order);
    for (let lo = 0; lo < n; lo += batchSize) {
      const idx = order.subarray(lo, Math.min(n, lo + batchSize));
      dropPaths.push(...(makeGetBatch(a, config, split.train, idx, rng).dropPath as Float32Array));
    }
  }
  return { orders, dropPaths };
}

function barsSvg(bars: [string, number][], title: string): string {
  const w = 420;
  const rows = bars.map(([label, v], i) => {
    const y = 40 + i * 34;
    const len = Math.max(0, v) * 260;
    return `<text x="10" y="${y + 16}" font-size="12">${label}</text><rect x="150" y="${y}" width="${len.toFixed(1)}" height="22" fill="#4a7ab5"/><text x="${(155 + len).toFixed(1)}" y="${y + 16}" font-size="12">${v.toFixed(3)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${60 + bars.length * 34}"><text x="10" y="20" font-size="13">${title}</text>${rows.join('')}</svg>`;
}

function curveSvg(v: number[], title: string): string {
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const pts = v.map(
    (y, i) =>
      `${(40 + (i / Math.max(1, v.length - 1)) * 340).toFixed(1)},${(200 - ((y - lo) / Math.max(hi - lo, 1e-9)) * 160).toFixed(1)}`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="420" height="230"><text x="10" y="20" font-size="13">${title}</text><polyline fill="none" stroke="#b54a4a" stroke-width="2" points="${pts.join(' ')}"/><text x="5" y="44" font-size="10">${hi.toFixed(3)}</text><text x="5" y="204" font-size="10">${lo.toFixed(3)}</text><text x="360" y="222" font-size="10">epoch ${v.length}</text></svg>`;
}
