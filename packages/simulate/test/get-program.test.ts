import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auroc } from '@chromflow/core';
import { DEFAULT_GET_PROGRAM, simulateGetProgram } from '../src/get-program.js';
import { formatTruthJson } from '../src/truth.js';
import {
  getProgramReference,
  getProgramReferenceOnChromosomes,
  makeGetProgramTruth,
} from '../src/get-program-truth.js';
import { writeGetProgram } from '../src/write-get-program.js';
import { readGzText } from './fixtures.js';

/** What truth.json of the GET program holds, as a reader sees it. */
interface GetTruth {
  parameters: Record<string, number>;
  motifs: { id: string; effect: number; opensIn: Record<string, number> }[];
  cooperativePairs: { motifs: [string, string]; effect: number }[];
  cellTypes: { name: string; cells: number; activity: Record<string, number> }[];
  leftOutCellType: string;
  reference: {
    leftOutPearson: number;
    leftOutPearsonLearnedBaselines: number;
    leftOutPearsonKnownBaselines: number;
    leftOutSpecificPearson: number;
    pearsonByType: Record<string, number>;
    pearsonByChromosome: Record<string, Record<string, number>>;
  };
  regions: {
    name: string;
    chrom: string;
    start: number;
    end: number;
    bias: number;
    sites: [string, number, string][];
  }[];
  genes: {
    geneId: string;
    chrom: string;
    tss: number;
    promoterRegion: string;
    baseline: number;
    drivers: Record<string, string[]>;
  }[];
}

function pearson(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  x.forEach((v, i) => {
    sxy += (v - mx) * (y[i]! - my);
    sxx += (v - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}

const revcomp = (s: string): string =>
  [...s]
    .reverse()
    .map((b) => ({ A: 'T', C: 'G', G: 'C', T: 'A' })[b] ?? 'N')
    .join('');

describe('the GET expression program, read back from its files', () => {
  let dir: string;
  let truth: GetTruth;
  let genome: Map<string, string>;
  /** Fragments per cell type and region. */
  let atac: Map<string, number[]>;
  /** log10(1 + CPM) per cell type and gene, from the MTX. */
  let logCpm: Map<string, number[]>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'get-program-'));
    await writeGetProgram(dir, simulateGetProgram());
    truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as GetTruth;
    genome = new Map();
    let name = '';
    for (const line of readFileSync(join(dir, 'genome.fa'), 'utf8').split('\n')) {
      if (line.startsWith('>')) {
        name = line.slice(1).trim();
        genome.set(name, '');
      } else genome.set(name, genome.get(name)! + line.trim());
    }
    const typeOf = new Map(
      readFileSync(join(dir, 'cells.tsv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split('\t') as [string, string]),
    );
    atac = new Map(
      truth.cellTypes.map((t) => [t.name, new Array<number>(truth.regions.length).fill(0)]),
    );
    const regionAt = new Map<string, { start: number; i: number }[]>();
    truth.regions.forEach((r, i) =>
      regionAt.set(r.chrom, [...(regionAt.get(r.chrom) ?? []), { start: r.start, i }]),
    );
    for (const line of readGzText(join(dir, 'fragments.tsv.gz')).split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const [chrom, s, e, barcode] = line.split('\t') as [string, string, string, string];
      const hit = regionAt
        .get(chrom)!
        .find((r) => r.start <= Number(s) && Number(e) <= truth.regions[r.i]!.end);
      expect(hit, line).toBeDefined();
      atac.get(typeOf.get(barcode)!)![hit!.i]! += 1;
    }
    const barcodes = readGzText(join(dir, 'rna/barcodes.tsv.gz')).trim().split('\n');
    const features = readGzText(join(dir, 'rna/features.tsv.gz'))
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[0]!);
    expect(features).toEqual(truth.genes.map((g) => g.geneId));
    const sums = new Map(
      truth.cellTypes.map((t) => [t.name, new Array<number>(features.length).fill(0)]),
    );
    const mtx = readGzText(join(dir, 'rna/matrix.mtx.gz'))
      .split('\n')
      .filter((l) => l && !l.startsWith('%'));
    for (const l of mtx.slice(1)) {
      const [g, c, v] = l.split(' ').map(Number) as [number, number, number];
      sums.get(typeOf.get(barcodes[c - 1]!)!)![g - 1]! += v;
    }
    logCpm = new Map(
      [...sums].map(([t, s]) => {
        const total = s.reduce((a, b) => a + b, 0);
        return [t, s.map((v) => Math.log10(1 + (1e6 * v) / total))];
      }),
    );
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has at least 8 cell types, cooperative pairs whose motifs act only together, and drivers per gene and type', () => {
    expect(truth.cellTypes.length).toBeGreaterThanOrEqual(8);
    expect(truth.cooperativePairs.length).toBeGreaterThanOrEqual(2);
    for (const pair of truth.cooperativePairs)
      for (const m of pair.motifs) expect(truth.motifs.find((x) => x.id === m)!.effect).toBe(0);
    expect(truth.genes.length).toBeGreaterThan(250);
    const withDrivers = truth.genes.filter(
      (g) => (g.drivers[truth.leftOutCellType] ?? []).length > 0,
    );
    expect(withDrivers.length / truth.genes.length).toBeGreaterThan(0.5);
  });

  it('planted sites read as their motif in genome.fa (log-odds > 0 for ≥ 95 %, against ≤ 25 % of shifted positions)', () => {
    const meme = readFileSync(join(dir, 'motifs.meme'), 'utf8');
    const pwms = new Map<string, number[][]>();
    for (const block of meme.split('MOTIF ').slice(1)) {
      const lines = block.split('\n');
      const rows = lines.filter((l) => /^\s*[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s*$/.test(l));
      pwms.set(
        lines[0]!.split(' ')[0]!,
        rows.map((l) => l.trim().split(/\s+/).map(Number)),
      );
    }
    const score = (pwm: number[][], s: string): number =>
      pwm.reduce((a, col, i) => a + Math.log2((col['ACGT'.indexOf(s[i]!)] ?? 0.01) / 0.25), 0);
    let planted = 0;
    let plantedPositive = 0;
    let shiftedPositive = 0;
    for (const r of truth.regions) {
      for (const [id, start, strand] of r.sites) {
        const pwm = pwms.get(id)!;
        const read = (at: number): string => {
          const s = genome
            .get(r.chrom)!
            .slice(at, at + pwm.length)
            .toUpperCase();
          return strand === '+' ? s : revcomp(s);
        };
        planted++;
        if (score(pwm, read(start)) > 0) plantedPositive++;
        if (score(pwm, read(start + 7)) > 0) shiftedPositive++;
      }
    }
    expect(planted).toBeGreaterThan(1000);
    expect(plantedPositive / planted).toBeGreaterThan(0.95);
    expect(shiftedPositive / planted).toBeLessThan(0.25);
  });

  it("each type's opening motifs mark the regions with more fragments in that type (AUROC ≥ 0.7)", () => {
    for (const m of truth.motifs) {
      for (const [type, activity] of Object.entries(m.opensIn)) {
        if (activity < 0.8) continue;
        const has = truth.regions.map((r) => r.sites.some((s) => s[0] === m.id));
        const labels = has.map((h) => (h ? 1 : 0));
        expect(auroc(atac.get(type)!, labels), `${m.id} in ${type}`).toBeGreaterThanOrEqual(0.7);
      }
    }
  });

  it('the stated reference Pearson is what a reader computes from the files and the stated program', () => {
    const p = truth.parameters;
    const ids = truth.motifs.map((m) => m.id);
    const effect = new Map(truth.motifs.map((m) => [m.id, m.effect]));
    const n = truth.regions.length;
    const sites = truth.regions.map((r) => {
      const c = new Map<string, number>();
      for (const [id] of r.sites) c.set(id, (c.get(id) ?? 0) + 1);
      return c;
    });
    const regionIndex = new Map(truth.regions.map((r, i) => [r.name, i]));
    // The regulatory term of every gene in a type (log scale, no baseline).
    const terms = (type: string): number[] => {
      const counts = atac.get(type)!;
      const access = counts.map((c) =>
        Math.min(
          1,
          Math.max(
            0,
            (c / (p['cellsPerType']! * p['fragmentsPerOpenRegion']!) - p['background']!) /
              (1 - p['background']!),
          ),
        ),
      );
      return truth.genes.map((g) => {
        let lr = 0;
        const promoter = regionIndex.get(g.promoterRegion)!;
        for (let i = 0; i < n; i++) {
          const r = truth.regions[i]!;
          if (r.chrom !== g.chrom) continue;
          const d = i === promoter ? 0 : Math.abs((r.start + r.end) / 2 - g.tss);
          if (d > p['maxDistance']!) continue;
          const w = Math.exp(-d / p['decayLength']!) * access[i]!;
          for (const id of ids) lr += w * effect.get(id)! * (sites[i]!.get(id) ?? 0);
          for (const pair of truth.cooperativePairs)
            if (sites[i]!.has(pair.motifs[0]) && sites[i]!.has(pair.motifs[1]))
              lr += w * pair.effect;
        }
        return lr;
      });
    };
    const logCpmOf = (rates: number[]): number[] => {
      const z = rates.reduce((a, b) => a + Math.exp(b), 0);
      return rates.map((lr) => Math.log10(1 + (1e6 * Math.exp(lr)) / z));
    };
    const left = truth.leftOutCellType;
    const term = terms(left);
    const y = logCpm.get(left)!;
    // No input carries a gene's baseline: the reference leaves it at its mean, 0.
    expect(pearson(logCpmOf(term), y)).toBeCloseTo(truth.reference.leftOutPearson, 4);
    const yHat = logCpmOf(term.map((v, g) => v + truth.genes[g]!.baseline));
    expect(pearson(yHat, y)).toBeCloseTo(truth.reference.leftOutPearsonKnownBaselines, 4);
    // Baselines learned from the other types: mean of ln(max(CPM, 1)) − term, each type centred.
    const trainTypes = truth.cellTypes.map((t) => t.name).filter((t) => t !== left);
    const resid = trainTypes.map((t) => {
      const tt = terms(t);
      const r = logCpm.get(t)!.map((v, g) => Math.log(Math.max(10 ** v - 1, 1)) - tt[g]!);
      const mean = r.reduce((a, b) => a + b, 0) / r.length;
      return r.map((v) => v - mean);
    });
    const learned = term.map(
      (v, g) => v + resid.reduce((s, r) => s + r[g]!, 0) / trainTypes.length,
    );
    expect(pearson(logCpmOf(learned), y)).toBeCloseTo(
      truth.reference.leftOutPearsonLearnedBaselines,
      4,
    );
    const others = truth.genes.map((_, g) => {
      const o = truth.cellTypes.filter((t) => t.name !== left).map((t) => logCpm.get(t.name)![g]!);
      return o.reduce((a, b) => a + b, 0) / o.length;
    });
    const specific = pearson(
      yHat.map((v, g) => v - others[g]!),
      y.map((v, g) => v - others[g]!),
    );
    expect(specific).toBeCloseTo(truth.reference.leftOutSpecificPearson, 4);
    // Per chromosome: the same prediction and observation over that chromosome's genes only.
    const chroms = [...new Set(truth.regions.map((r) => r.chrom))];
    expect(Object.keys(truth.reference.pearsonByChromosome)).toEqual(chroms);
    const predicted = logCpmOf(term);
    for (const c of chroms) {
      const on = truth.genes.flatMap((g, i) => (g.chrom === c ? [i] : []));
      expect(on.length, c).toBeGreaterThan(50);
      expect(
        pearson(
          on.map((g) => predicted[g]!),
          on.map((g) => y[g]!),
        ),
        c,
      ).toBeCloseTo(truth.reference.pearsonByChromosome[c]![left]!, 4);
    }
    // The reference is informative and not perfect: noise and Poisson sampling stay unexplained.
    expect(truth.reference.leftOutSpecificPearson).toBeGreaterThan(0.5);
    expect(truth.reference.leftOutPearsonKnownBaselines).toBeLessThan(0.99);
    // Without the baselines (sd 0.7, independent of the motifs) much less is predictable.
    expect(truth.reference.leftOutPearson).toBeLessThan(
      truth.reference.leftOutPearsonLearnedBaselines - 0.1,
    );
  });

  it('the stated drivers per gene and type follow from the stated program (true accessibility from bias, sites, activity)', () => {
    const p = truth.parameters;
    const ids = truth.motifs.map((m) => m.id);
    const effect = new Map(truth.motifs.map((m) => [m.id, m.effect]));
    const regionIndex = new Map(truth.regions.map((r, i) => [r.name, i]));
    let agree = 0;
    let total = 0;
    for (const type of truth.cellTypes) {
      const open = truth.regions.map((r) => {
        let drive = 0;
        for (const [id] of r.sites) drive += type.activity[id] ?? 0;
        return 1 / (1 + Math.exp(-(r.bias + p['openingWeight']! * drive)));
      });
      for (const g of truth.genes) {
        const share = new Map<string, number>();
        const add = (id: string, v: number): void => void share.set(id, (share.get(id) ?? 0) + v);
        truth.regions.forEach((r, i) => {
          if (r.chrom !== g.chrom) return;
          const d =
            i === regionIndex.get(g.promoterRegion) ? 0 : Math.abs((r.start + r.end) / 2 - g.tss);
          if (d > p['maxDistance']!) return;
          const w = Math.exp(-d / p['decayLength']!) * open[i]!;
          for (const [id] of r.sites) add(id, w * effect.get(id)!);
          for (const pair of truth.cooperativePairs) {
            const has = (m: string): boolean => r.sites.some((s) => s[0] === m);
            if (has(pair.motifs[0]) && has(pair.motifs[1])) {
              add(pair.motifs[0], (w * pair.effect) / 2);
              add(pair.motifs[1], (w * pair.effect) / 2);
            }
          }
        });
        const sum = [...share.values()].reduce((a, b) => a + Math.abs(b), 0);
        const mine = ids
          .filter(
            (id) =>
              Math.abs(share.get(id) ?? 0) >= 0.05 && Math.abs(share.get(id) ?? 0) >= 0.2 * sum,
          )
          .sort();
        total++;
        if (JSON.stringify(mine) === JSON.stringify([...g.drivers[type.name]!].sort())) agree++;
      }
    }
    // Equal up to the 4-decimal rounding of the stated biases.
    expect(agree / total).toBeGreaterThan(0.99);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = formatTruthJson(
      makeGetProgramTruth(simulateGetProgram({ seed: 5, regionsPerChromosome: 60 })),
    );
    const b = formatTruthJson(
      makeGetProgramTruth(simulateGetProgram({ seed: 5, regionsPerChromosome: 60 })),
    );
    const c = formatTruthJson(
      makeGetProgramTruth(simulateGetProgram({ seed: 6, regionsPerChromosome: 60 })),
    );
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});

describe('the GET program with more chromosomes (`chromosomes`, `simulate --chromosomes`)', () => {
  it('lays out chr1…chrN of the same length, with genes on each, and states them in truth.json', () => {
    const p = simulateGetProgram({ seed: 2, chromosomes: 5, regionsPerChromosome: 120 });
    expect(p.chroms.map((c) => c.name)).toEqual(['chr1', 'chr2', 'chr3', 'chr4', 'chr5']);
    for (const c of p.chroms) {
      expect(p.regions.filter((r) => r.chrom === c.name)).toHaveLength(120);
      expect(p.genes.filter((g) => g.chrom === c.name).length, c.name).toBeGreaterThan(20);
    }
    const truth = makeGetProgramTruth(p) as unknown as GetTruth;
    expect(truth.parameters['chromosomes']).toBe(5);
    expect(truth.parameters['regionsPerChromosome']).toBe(120);
    expect(Object.keys(truth.reference.pearsonByChromosome)).toEqual(p.chroms.map((c) => c.name));
  });

  it('keeps the default program at 3 chromosomes, and the first chromosomes do not depend on how many follow', () => {
    expect(DEFAULT_GET_PROGRAM.chromosomes).toBe(3);
    const three = simulateGetProgram({ seed: 3, regionsPerChromosome: 60 });
    const four = simulateGetProgram({ seed: 3, regionsPerChromosome: 60, chromosomes: 4 });
    expect(three.chroms).toHaveLength(3);
    // The layout stream draws chromosome by chromosome: chr1–chr3 are the same regions and sites.
    const layout = (r: (typeof three.regions)[number]) => [r.chrom, r.start, r.end, r.sites];
    expect(four.regions.slice(0, three.regions.length).map(layout)).toEqual(
      three.regions.map(layout),
    );
  });

  it('states over all chromosomes the reference it states over all genes, and per chromosome the same figure', () => {
    const p = simulateGetProgram({ seed: 4, chromosomes: 4, regionsPerChromosome: 90 });
    const ref = getProgramReference(p);
    const all = getProgramReferenceOnChromosomes(
      p,
      p.chroms.map((c) => c.name),
    );
    expect(all.genes).toBe(p.genes.length);
    expect(all.pearsonByType).toEqual(ref.pearsonByType);
    const chr4 = getProgramReferenceOnChromosomes(p, ['chr4']);
    expect(chr4.genes).toBe(p.genes.filter((g) => g.chrom === 'chr4').length);
    expect(chr4.pearsonByType).toEqual(ref.pearsonByChromosome['chr4']);
    // A subset of genes is a different figure from the whole (not a copy of pearsonByType).
    expect(chr4.pearsonByType['pDC']).not.toBe(ref.pearsonByType['pDC']);
  });

  it('rejects a chromosome count that is not a positive integer and a chromosome it does not have, naming the field', () => {
    for (const chromosomes of [0, 2.5, Number.NaN]) {
      expect(() => simulateGetProgram({ chromosomes, regionsPerChromosome: 30 })).toThrow(
        /chromosomes must be a positive integer/,
      );
    }
    const p = simulateGetProgram({ seed: 1, regionsPerChromosome: 30 });
    expect(() => getProgramReferenceOnChromosomes(p, ['chr3', 'chr9'])).toThrow(
      /chr9 are not in the GET program/,
    );
  });
});
