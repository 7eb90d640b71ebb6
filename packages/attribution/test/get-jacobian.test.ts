import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@chromflow/core';
import { getConfig, GetModel, type GetArrays, type GetConfig } from '@chromflow/models';
import {
  forEachGetJacobianBatch,
  geneFocuses,
  type GeneFocus,
  type GetJacobianBatch,
} from '../src/get-jacobian.js';
import { getGeneMotif } from '../src/gene-motif.js';

const here = dirname(fileURLToPath(import.meta.url));
const twin = join(here, 'twins', 'get_jacobian_twin.py');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function torchPython(): string | undefined {
  if (!existsSync('/usr/bin/python3')) return undefined;
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? '/usr/bin/python3' : undefined;
}
const python = torchPython();

/** max |a − b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / Math.max(den, 1e-30);
}

const T = 12;
const NC = 5;
/** chr1 rows 0–29 (windows at 0, 6, 12, 18), chr2 rows 30–49 (30, 36, 38), chr3 rows 50–54 (too short: no window). */
function toy(): { a: GetArrays; chroms: string[]; genesByPair: string[] } {
  const rng = new SeededRandom(3);
  const n = 55;
  const types = 2;
  const motif = Float32Array.from({ length: n * NC }, () =>
    rng.uniform() < 0.5 ? 0 : rng.uniform(),
  );
  const accessibility = Float32Array.from({ length: types * n }, () => rng.uniform());
  const genesByPair = new Array<string>(n * 2).fill('');
  genesByPair[3 * 2] = 'gEdge'; // near chr1's start: window clamped to rows 0–11
  genesByPair[15 * 2 + 1] = 'gTwo'; // two TSS regions, − strand
  genesByPair[16 * 2 + 1] = 'gTwo';
  genesByPair[40 * 2] = 'gA,gB'; // two genes on one (region, strand)
  genesByPair[47 * 2 + 1] = 'gEnd';
  genesByPair[52 * 2] = 'gShort'; // chr3: no window
  const tssMask = Uint8Array.from(genesByPair, (g) => (g ? 1 : 0));
  // Region centres 0.5–20 kb apart (relative-position models read them).
  let at = 0;
  const centres = Float64Array.from({ length: n }, () => (at += 500 + 19_500 * rng.uniform()));
  return {
    a: {
      centres,
      clusters: Array.from({ length: NC }, (_, i) => `m${i}`),
      cellTypes: ['A', 'B'],
      nRegions: n,
      motif,
      accessibility,
      labels: new Float32Array(types * n * 2),
      tssMask,
      windowFirsts: Int32Array.from([0, 6, 12, 18, 30, 36, 38]),
      windowSize: T,
    },
    chroms: ['chr1', 'chr1', 'chr1', 'chr1', 'chr2', 'chr2', 'chr2'],
    genesByPair,
  };
}

function model(c: GetConfig, seed: number): GetModel {
  const m = new GetModel(c, seed);
  // LoRA's B starts at zero; give it values so the adapter path is exercised.
  for (const n of m.vars.named)
    if (n.name.endsWith('lora_b'))
      n.variable.assign(tf.randomUniform(n.variable.shape, -0.2, 0.2, 'float32', 3));
  // Relative-position slopes start at 1; give each head its own.
  for (const n of m.vars.named)
    if (n.name.endsWith('/relpos'))
      n.variable.assign(tf.randomUniform(n.variable.shape, 0, 3, 'float32', 4));
  return m;
}

function theirs(m: GetModel, b: GetJacobianBatch, a: GetArrays) {
  const B = b.focuses.length;
  const pos =
    m.config.positional === 'relative'
      ? b.focuses.flatMap((g) =>
          Array.from({ length: T }, (_, k) => a.centres![g.first + k]! - a.centres![g.first]!),
        )
      : null;
  const select = new Float32Array(B * T * 2);
  b.focuses.forEach((g, i) => {
    for (const c of g.outputs) select[i * T * 2 + c]! += 1 / g.outputs.length;
  });
  const weights: Record<string, { data: number[]; shape: number[] }> = {};
  for (const n of m.vars.named)
    weights[n.name] = { data: Array.from(n.variable.dataSync()), shape: n.variable.shape };
  const r = spawnSync(python!, [twin], {
    input: JSON.stringify({
      config: m.config,
      weights,
      shape: [B, T, m.config.features],
      x: Array.from(b.x),
      select: Array.from(select),
      pos,
    }),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as {
    f: number[];
    jx: number[];
    jh: number[];
    geneMotif: number[];
    importance: number[];
  };
}

describe('gene windows (geneFocuses)', () => {
  it('centres the TSS region at ⌊T/2⌋ inside the chromosome, reads the gene strand', () => {
    const { a, chroms, genesByPair } = toy();
    const f = geneFocuses(a, chroms, genesByPair, { genes: ['gEdge', 'gTwo', 'gA', 'gEnd'] });
    const by = Object.fromEntries(f.map((g) => [g.gene, g]));
    expect(by.gEdge!.first).toBe(0);
    expect([...by.gEdge!.outputs]).toEqual([3 * 2]);
    expect(by.gTwo!.first).toBe(15 - 6);
    expect([...by.gTwo!.outputs]).toEqual([6 * 2 + 1, 7 * 2 + 1]);
    expect(by.gA!.first).toBe(34);
    expect(by.gEnd!.first).toBe(38); // clamped to chr2's last row (49)
    expect([...by.gEnd!.outputs]).toEqual([(47 - 38) * 2 + 1]);
    const both = geneFocuses(a, chroms, genesByPair, { genes: ['gTwo'], strand: 'both' });
    expect([...both[0]!.outputs]).toEqual([12, 13, 14, 15]);
  });

  it('every gene by default; absent genes and genes in no window are clear errors', () => {
    const { a, chroms, genesByPair } = toy();
    expect(() => geneFocuses(a, chroms, genesByPair)).toThrow(/'gShort' is in no window/);
    expect(() => geneFocuses(a, chroms, genesByPair, { genes: ['NOPE'] })).toThrow(
      /gene 'NOPE' has no TSS region/,
    );
    const ok = genesByPair.map((g) => (g === 'gShort' ? '' : g));
    expect(geneFocuses(a, chroms, ok).map((g) => g.gene)).toEqual([
      'gEdge',
      'gTwo',
      'gA',
      'gB',
      'gEnd',
    ]);
  });

  it('refuses a non-expression model and inputs of another width', () => {
    const { a, chroms, genesByPair } = toy();
    const f = geneFocuses(a, chroms, genesByPair, { genes: ['gA'] });
    const atac = new GetModel(getConfig('tiny', NC + 1, 'atac', { dim: 8, heads: 2 }), 1);
    expect(() => getGeneMotif(atac, a, 0, f)).toThrow(/needs an expression model/);
    atac.dispose();
    const wide = new GetModel(getConfig('tiny', NC + 3, 'expression', { dim: 8, heads: 2 }), 1);
    expect(() => getGeneMotif(wide, a, 0, f)).toThrow(/different feature count/);
    wide.dispose();
  });
});

const configs: [string, GetConfig][] = [
  ['expression', getConfig('tiny', NC + 1, 'expression', { dim: 16, heads: 4 })],
  [
    'expression, relative positions',
    getConfig('tiny', NC + 1, 'expression', { dim: 16, heads: 4, positional: 'relative' }),
  ],
  [
    'expression with LoRA (unmerged)',
    getConfig('tiny', NC + 1, 'expression', { dim: 16, heads: 2, lora: { rank: 2, alpha: 4 } }),
  ],
];

describe('GET Jacobian vs PyTorch autograd on the GET twin (float64, same weights)', () => {
  for (const [label, c] of configs) {
    it.skipIf(python === undefined)(
      `${label}: ∂f/∂x, ∂f/∂embedding, gene × motif, region importance ≤ 1e-5 relative`,
      () => {
        const { a, chroms, genesByPair } = toy();
        const m = model(c, 9);
        const focuses: GeneFocus[] = geneFocuses(a, chroms, genesByPair, {
          genes: ['gEdge', 'gTwo', 'gA', 'gEnd'],
        });
        const batches: GetJacobianBatch[] = [];
        forEachGetJacobianBatch(m, a, 1, focuses, (b) => batches.push(b), { batchSize: 3 });
        expect(batches.map((b) => b.focuses.length)).toEqual([3, 1]);
        const gm = getGeneMotif(m, a, 1, focuses, { batchSize: 3 });
        let g = 0;
        for (const b of batches) {
          const r = theirs(m, b, a);
          expect(relErr(b.prediction, r.f)).toBeLessThan(1e-5);
          expect(relErr(b.inputGradient, r.jx)).toBeLessThan(1e-5);
          expect(relErr(b.embeddingGradient, r.jh)).toBeLessThan(1e-5);
          const n = b.focuses.length;
          const F = c.features;
          expect(relErr(gm.scores.subarray(g * F, (g + n) * F), r.geneMotif)).toBeLessThan(1e-5);
          expect(
            relErr(gm.regionImportance.subarray(g * T, (g + n) * T), r.importance),
          ).toBeLessThan(1e-5);
          g += n;
        }
        // Not vacuous: the gradient reaches other regions than the TSS (attention mixes them).
        const b0 = batches[0]!;
        const off = b0.inputGradient.subarray(0, T * c.features).filter((v, i) => {
          const pos = Math.floor(i / c.features);
          return pos !== 3 && v !== 0;
        });
        expect(off.length).toBeGreaterThan(0);
        m.dispose();
      },
    );
  }
  it.skipIf(python !== undefined)('skips without torch', () => {
    console.warn('skipping the autograd twin: /usr/bin/python3 with torch not found');
  });
});
