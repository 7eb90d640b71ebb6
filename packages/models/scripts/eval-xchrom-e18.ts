/**
 * Real-data evaluation of XChrom on XChrom's own E18 mouse-brain toy set with
 * the split of shared/notes/xchrom-e18-splits.json (XChrom's split rule, seed 20).
 *
 *   npx tsx --conditions=@chromflow/source scripts/eval-xchrom-e18.ts \
 *     --task cross-peak|cross-cell --size small|published --seeds 0,1,2 \
 *     [--max-epochs 1000] [--patience 20] [--workers 1] [--out bench-results/xchrom-e18-<task>-<size>.json]
 *
 * Cross-peak: trains on train_peak × all cells, stops on val_peak × all cells,
 * tests on test_peak × all cells. Cross-cell: trains on train_peak ×
 * trainval_cell, stops on val_peak × trainval_cell, tests on test_cell ×
 * trainval_peak. Writes one JSON with every seed's metrics (all blocks).
 * Compare with the PyTorch twin: scripts/compare-xchrom-twin.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sharedDataDir } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { readXChromE18 } from '../src/data/read-xchrom-e18.js';
import { readXChromSplit } from '../src/data/xchrom-split.js';
import { configFromParams } from '../src/xchrom/config-params.js';
import { evaluateXChromBlocks } from '../src/xchrom/evaluate.js';
import { trainXChrom } from '../src/xchrom/train-xchrom.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const task = arg('task', 'cross-peak');
const size = arg('size', 'small') as 'small' | 'published';
const seeds = arg('seeds', '0').split(',').map(Number);
const maxEpochs = Number(arg('max-epochs', '1000'));
const patience = Number(arg('patience', '20'));
const workers = Number(arg('workers', '1'));
const out = arg('out', `bench-results/xchrom-e18-${task}-${size}.json`);
const shared = sharedDataDir();
if (!shared) throw new Error('shared/data not found');
const dataDir = arg('data', `${shared}/multiome/xchrom_e18_mouse_brain`);
const splitPath = arg('split', `${dirname(shared)}/notes/xchrom-e18-splits.json`);

const backend = await initBackend();
const data = await readXChromE18(dataDir);
const split = await readXChromSplit(splitPath, task === 'cross-peak');
const config = configFromParams({ size }, data.seqLength, data.embeddingDim);
const runs: unknown[] = [];
for (const seed of seeds) {
  const t0 = performance.now();
  const r = await trainXChrom(data, split, {
    config,
    seed,
    epochs: maxEpochs,
    patience,
    batchPeaks: 128,
    workers,
    log: (m) => console.log(`[${task} ${size} seed ${seed}] ${m}`),
  });
  const seconds = (performance.now() - t0) / 1000;
  const metrics = await evaluateXChromBlocks(r.model, data, split);
  r.model.dispose();
  const test = task === 'cross-peak' ? metrics.testPeaks : metrics.testCells;
  console.log(
    `[${task} ${size} seed ${seed}] best epoch ${r.bestEpoch + 1}/${r.history.length}, ` +
      `test AUROC ${test?.auroc.toFixed(3)}, per-peak ${test?.perPeakAuroc.toFixed(3)}, per-cell ${test?.perCellAuroc.toFixed(3)}`,
  );
  runs.push({
    seed,
    bestEpoch: r.bestEpoch + 1,
    epochsRun: r.history.length,
    bestValLoss: r.bestValLoss,
    secondsPerEpoch: seconds / r.history.length,
    test,
    blocks: metrics,
    valLossCurve: r.history.map((h) => h.valLoss),
  });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    JSON.stringify(
      { tool: 'chromflow', task, size, backend: backend.name, workers, split: splitPath, runs },
      null,
      1,
    ),
  );
}
