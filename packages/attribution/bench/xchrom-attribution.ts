/**
 * Speed of XChrom attribution on the small configuration (1344-bp windows, 8 RNA PCs; random
 * weights: speed does not depend on them): motif activity in cells × motifs per second, and ISM in
 * mutated bases per second for 4 cell types through one mutant pass (`inSilicoMutagenesisMulti` on
 * `xchromGroupLogits`, as the stage runs) against one `attributeSequences` per cell type, in the
 * same run after checking both give the same raw ISM.
 */
import { SeededRandom } from '@chromflow/core';
import { XChromModel, XCHROM_SMALL } from '@chromflow/models';
import {
  attributeSequences,
  gcMatchedBackgrounds,
  inSilicoMutagenesisMulti,
  xchromGroupLogit,
  xchromGroupLogits,
  xchromMotifActivity,
} from '../src/index.js';

export interface XChromAttributionBench {
  motifActivity: {
    cells: number;
    motifs: number;
    backgrounds: number;
    seconds: number;
    cellsMotifsPerSecond: number;
  };
  ism: {
    peaks: number;
    basesPerPeak: number;
    cellTypes: number;
    onePassSeconds: number;
    perTypeSeconds: number;
    basesPerSecondOnePass: number;
    basesPerSecondPerType: number;
    speedup: number;
    maxAbsDifference: number;
  };
}

export async function benchXChromAttribution(): Promise<XChromAttributionBench> {
  const L = 1344;
  const D = 8;
  const model = new XChromModel({ ...XCHROM_SMALL, seqLength: L, cellInputDim: D }, 0);
  const rng = new SeededRandom(1);
  const peaks = Uint8Array.from({ length: 64 * L }, () => rng.int(0, 4));
  const nCells = 300;
  const cellInputs = Float32Array.from({ length: nCells * D }, () => rng.normal());
  const depth = Float32Array.from({ length: nCells }, () => rng.normal());

  const nMotifs = 9;
  const backgrounds = 64;
  const motifs = Array.from({ length: nMotifs }, (_, m) => ({
    name: `m${m}`,
    codes: Uint8Array.from({ length: 10 }, () => rng.int(0, 4)),
  }));
  const bg = gcMatchedBackgrounds(peaks, L, backgrounds, 0);
  let t0 = performance.now();
  await xchromMotifActivity(model, bg, motifs, cellInputs);
  const maSeconds = (performance.now() - t0) / 1000;

  // ISM: 2 peaks, the central 200 bases, 4 cell types of 75 cells.
  const n = 2;
  const w = 200;
  const start = Math.floor((L - w) / 2);
  const codes = peaks.subarray(0, n * L);
  const groups = Array.from({ length: 4 }, (_, g) =>
    Array.from({ length: 75 }, (_, i) => g * 75 + i),
  );
  const positions = { start, end: start + w };
  t0 = performance.now();
  const heads = await xchromGroupLogits(model, cellInputs, depth, groups);
  const raws = await inSilicoMutagenesisMulti(heads.f, groups.length, codes, n, L, { positions });
  heads.dispose();
  const onePass = (performance.now() - t0) / 1000;
  t0 = performance.now();
  let maxAbsDifference = 0;
  for (let g = 0; g < groups.length; g++) {
    const head = await xchromGroupLogit(model, cellInputs, depth, groups[g]!);
    const r = await attributeSequences(head.f, codes, n, L, { positions });
    head.dispose();
    for (let i = 0; i < r.raw.length; i++)
      maxAbsDifference = Math.max(maxAbsDifference, Math.abs(r.raw[i]! - raws[g]![i]!));
  }
  const perType = (performance.now() - t0) / 1000;
  model.dispose();
  const bases = n * w * groups.length;
  return {
    motifActivity: {
      cells: nCells,
      motifs: nMotifs,
      backgrounds,
      seconds: maSeconds,
      cellsMotifsPerSecond: (nCells * nMotifs) / maSeconds,
    },
    ism: {
      peaks: n,
      basesPerPeak: w,
      cellTypes: groups.length,
      onePassSeconds: onePass,
      perTypeSeconds: perType,
      basesPerSecondOnePass: bases / onePass,
      basesPerSecondPerType: bases / perType,
      speedup: perType / onePass,
      maxAbsDifference,
    },
  };
}
