/**
 * `npm run bench`: training and inference sequences/s of the TF.js path
 * (wasm + chromflow kernels, training and inference on the data-parallel
 * engine with 2 workers) against the PyTorch twin (`bench/xchrom_twin.py`, 2 threads),
 * measured in the same run, alternating which goes first, for the
 * tfjs-wasm-training note's CNN (`note`), XChrom's small configuration and
 * the published size, at batch 16 and 64. Both sides must build the same
 * number of trainable parameters (asserted). For the note CNN it also compares
 * one in-process wasm thread with PyTorch on 1 thread, training and
 * inference (per-core, less sensitive to a loaded machine). Writes bench-results/models.json.
 *
 * Environment: BENCH_CONFIGS=note,small,published  BENCH_BATCHES=16,64
 * BENCH_SECONDS=6 (per measurement)  BENCH_WORKERS=2  PYTHON=/usr/bin/python3
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs-core';
import { Adam, createTrainingEngine, describeBackend, initBackend } from '@chromflow/compute';
import { XCHROM_ADAM } from '../src/index.js';
import { benchBatch, type BenchCnnConfig } from './cnn-trainable.js';
import { benchGetMotifFeatures } from './get-motif-features.js';

const here = dirname(fileURLToPath(import.meta.url));
const archs = (process.env['BENCH_CONFIGS'] ?? 'note,small,published').split(
  ',',
) as BenchCnnConfig['arch'][];
const batches = (process.env['BENCH_BATCHES'] ?? '16,64').split(',').map(Number);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 6);
const workers = Number(process.env['BENCH_WORKERS'] ?? 2);
const cells = 500;

function python(): string {
  const candidates = [process.env['PYTHON'], '/usr/bin/python3', 'python3'].filter(
    (p): p is string => !!p,
  );
  for (const p of candidates) {
    try {
      execFileSync(p, ['-c', 'import torch'], { stdio: 'ignore' });
      return p;
    } catch {
      // try the next interpreter
    }
  }
  throw new Error(
    'No python3 with torch found (Debian: apt-get install python3-torch; or set PYTHON).',
  );
}

interface TwinRow {
  trainable: number;
  train_seq_per_s: number;
  infer_seq_per_s: number;
}

function runTwin(py: string, arch: string, batch: number, threads = 2): TwinRow {
  const out = execFileSync(
    py,
    [
      join(here, 'xchrom_twin.py'),
      'bench',
      '--configs',
      arch,
      '--batches',
      String(batch),
      '--threads',
      String(threads),
      '--cells',
      String(cells),
      '--seconds',
      String(seconds),
      '--min-steps',
      '3',
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const parsed = JSON.parse(out) as { results: TwinRow[] };
  const row = parsed.results[0];
  if (row === undefined) throw new Error('twin returned no result');
  return row;
}

async function timeSteps(step: () => Promise<void>, minSteps: number): Promise<number> {
  await step(); // warm-up (XNNPACK operator creation, heap growth)
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (times.length < minSteps || performance.now() < end) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
    if (times.length >= 200) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]! / 1000;
}

interface Row {
  config: string;
  batch: number;
  trainable_parameters: number;
  train_seq_per_s: number;
  pytorch_train_seq_per_s: number;
  train_ratio_vs_pytorch: number;
  infer_seq_per_s: number;
  pytorch_infer_seq_per_s: number;
  infer_ratio_vs_pytorch: number;
}

async function main(): Promise<void> {
  const loadStart = loadavg()[0];
  const info = await initBackend({ backend: 'wasm' });
  const py = python();
  const rows: Row[] = [];
  for (const arch of archs) {
    const engine = await createTrainingEngine({
      module: new URL('./cnn-trainable.ts', import.meta.url).href,
      factory: 'makeBenchCnn',
      config: { arch, cells } satisfies BenchCnnConfig,
      seed: 1,
      workers,
    });
    const model = engine.model as typeof engine.model & {
      predict(codes: Uint8Array, n: number): tf.Tensor;
      parameterCount(): number;
    };
    const optimizer = new Adam(engine.model.trainableVariables(), XCHROM_ADAM);
    for (const batch of batches) {
      const hostBatch = benchBatch(batch, cells, 7);
      const codes = hostBatch['codes'] as Uint8Array;
      const ours = { train: 0, infer: 0 };
      const theirs = { train: 0, infer: 0 };
      let twinParams = -1;
      for (let round = 0; round < 2; round++) {
        const measureOurs = async (): Promise<void> => {
          const train = await timeSteps(async () => {
            await engine.trainStep(hostBatch, optimizer);
          }, 2);
          const infer = await timeSteps(async () => {
            const p =
              engine.workers >= 2 ? await engine.predict(hostBatch) : model.predict(codes, batch);
            await p.data();
            p.dispose();
          }, 3);
          ours.train = Math.max(ours.train, batch / train);
          ours.infer = Math.max(ours.infer, batch / infer);
        };
        const measureTheirs = (): void => {
          const r = runTwin(py, arch, batch);
          twinParams = r.trainable;
          theirs.train = Math.max(theirs.train, r.train_seq_per_s);
          theirs.infer = Math.max(theirs.infer, r.infer_seq_per_s);
        };
        if (round % 2 === 0) {
          await measureOurs();
          measureTheirs();
        } else {
          measureTheirs();
          await measureOurs();
        }
      }
      if (twinParams !== model.parameterCount()) {
        throw new Error(
          `${arch}: TF.js model has ${model.parameterCount()} trainable parameters, the twin ${twinParams}`,
        );
      }
      const row: Row = {
        config: arch,
        batch,
        trainable_parameters: twinParams,
        train_seq_per_s: ours.train,
        pytorch_train_seq_per_s: theirs.train,
        train_ratio_vs_pytorch: ours.train / theirs.train,
        infer_seq_per_s: ours.infer,
        pytorch_infer_seq_per_s: theirs.infer,
        infer_ratio_vs_pytorch: ours.infer / theirs.infer,
      };
      rows.push(row);
      console.log(
        `${arch.padEnd(9)} B${String(batch).padEnd(3)} params ${String(twinParams).padStart(8)}  ` +
          `train ${row.train_seq_per_s.toFixed(1)} vs PyTorch ${row.pytorch_train_seq_per_s.toFixed(1)} seq/s ` +
          `(×${row.train_ratio_vs_pytorch.toFixed(2)})  infer ${row.infer_seq_per_s.toFixed(1)} vs ` +
          `${row.pytorch_infer_seq_per_s.toFixed(1)} seq/s (×${row.infer_ratio_vs_pytorch.toFixed(2)})`,
      );
    }
    optimizer.dispose();
    await engine.dispose();
  }
  // Per-core comparison, less sensitive to a loaded machine (PyTorch's OpenMP
  // threads suffer most from contention): one in-process wasm thread against
  // PyTorch with 1 thread.
  const oneThread: Omit<Row, 'trainable_parameters'>[] = [];
  for (const arch of archs.filter((a) => a === 'note')) {
    const engine = await createTrainingEngine({
      module: new URL('./cnn-trainable.ts', import.meta.url).href,
      factory: 'makeBenchCnn',
      config: { arch, cells } satisfies BenchCnnConfig,
      seed: 1,
      workers: 0,
    });
    const optimizer = new Adam(engine.model.trainableVariables(), XCHROM_ADAM);
    for (const batch of batches) {
      const hostBatch = benchBatch(batch, cells, 7);
      let ours = 0;
      let theirs = 0;
      let oursInfer = 0;
      let theirsInfer = 0;
      for (let round = 0; round < 2; round++) {
        const measureOurs = async (): Promise<void> => {
          const t = await timeSteps(async () => {
            await engine.trainStep(hostBatch, optimizer);
          }, 2);
          ours = Math.max(ours, batch / t);
          const ti = await timeSteps(async () => {
            const p = await engine.predict(hostBatch);
            await p.data();
            p.dispose();
          }, 3);
          oursInfer = Math.max(oursInfer, batch / ti);
        };
        const measureTheirs = (): void => {
          const r = runTwin(py, arch, batch, 1);
          theirs = Math.max(theirs, r.train_seq_per_s);
          theirsInfer = Math.max(theirsInfer, r.infer_seq_per_s);
        };
        if (round % 2 === 0) {
          await measureOurs();
          measureTheirs();
        } else {
          measureTheirs();
          await measureOurs();
        }
      }
      oneThread.push({
        config: arch,
        batch,
        train_seq_per_s: ours,
        pytorch_train_seq_per_s: theirs,
        train_ratio_vs_pytorch: ours / theirs,
        infer_seq_per_s: oursInfer,
        pytorch_infer_seq_per_s: theirsInfer,
        infer_ratio_vs_pytorch: oursInfer / theirsInfer,
      });
      console.log(
        `${arch.padEnd(9)} B${String(batch).padEnd(3)} 1 thread each: train ${ours.toFixed(1)} vs PyTorch ${theirs.toFixed(1)} seq/s (×${(ours / theirs).toFixed(2)})  ` +
          `infer ${oursInfer.toFixed(1)} vs ${theirsInfer.toFixed(1)} seq/s (×${(oursInfer / theirsInfer).toFixed(2)})`,
      );
    }
    optimizer.dispose();
    await engine.dispose();
  }
  const headline = rows.find((r) => r.config === 'note' && r.batch === 64) ?? rows[0];
  const headline1 = oneThread.find((r) => r.batch === 64) ?? oneThread[0];
  const result = {
    tool: 'chromflow models bench',
    date: new Date().toISOString(),
    backend: describeBackend(info),
    tfjs_train: `data-parallel engine, ${workers} worker threads × 1 wasm thread`,
    tfjs_infer: `engine.predict: ${workers} worker threads × 1 wasm thread (main thread when workers < 2)`,
    pytorch: '2 threads (torch.set_num_threads(2))',
    cpus: cpus().length,
    load_average_1m_start: loadStart,
    load_average_1m_end: loadavg()[0],
    headline: headline === undefined ? undefined : `${headline.config} B${headline.batch}`,
    train_seq_per_s: headline?.train_seq_per_s,
    pytorch_train_seq_per_s: headline?.pytorch_train_seq_per_s,
    train_ratio_vs_pytorch: headline?.train_ratio_vs_pytorch,
    infer_seq_per_s: headline?.infer_seq_per_s,
    pytorch_infer_seq_per_s: headline?.pytorch_infer_seq_per_s,
    train_ratio_vs_pytorch_1thread: headline1?.train_ratio_vs_pytorch,
    rows,
    one_thread: oneThread,
    // GET's motif-feature step vs genome-io's scan alone (regions × motifs per second).
    get_motif_features: await benchGetMotifFeatures(workers),
  };
  const outDir = join(here, '..', 'bench-results');
  if (!existsSync(outDir)) mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'models.json'), `${JSON.stringify(result, null, 1)}\n`);
  console.log(`wrote ${join(outDir, 'models.json')}`);
}

await main();
