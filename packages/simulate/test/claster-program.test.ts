import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pearson, readTable } from '@chromflow/core';
import { openBigWig, readGenes } from '@chromflow/genome-io';
import {
  clasterInputsStage,
  iceBalance,
  openCooler,
  parseNpy,
  readCoolerPixels,
} from '@chromflow/structure-analysis';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLASTER_PROGRAM_MARKS,
  type ClasterGeneTruth,
  type ClasterProgram,
  DEFAULT_CLASTER_PROGRAM,
  bodyCoverage,
  expectedEuOf,
  geneLevel,
  landscapeOnlyEu,
  observedContactFactor,
  simulateClasterProgram,
  simulateClasterProgramStage,
  targetWindow,
  writeClasterProgram,
} from '../src/index.js';
import { runStage } from '../../structure-analysis/test/stage-context.js';

/** Debian's python3 with the given modules, else undefined (the test saying so). */
function python(modules: string): string | undefined {
  const py = '/usr/bin/python3';
  try {
    if (existsSync(py)) {
      execFileSync(py, ['-c', `import ${modules}`], { stdio: 'ignore' });
      return py;
    }
  } catch {
    /* absent */
  }
  console.warn(`skipping: no /usr/bin/python3 with ${modules}`);
  return undefined;
}

/** A chromosome-wide grid (bin k = [k·bin, (k+1)·bin)) read back from a bigWig. */
async function gridFromBigWig(path: string, bin: number): Promise<Map<string, Float64Array>> {
  const bw = await openBigWig(path);
  const out = new Map<string, Float64Array>();
  for (const [c, len] of bw.chroms) {
    const g = new Float64Array(Math.ceil(len / bin));
    const iv = await bw.fetch(c, 0, len);
    for (let k = 0; k < iv.starts.length; k++) {
      for (let p = iv.starts[k]!; p < iv.ends[k]!; p += bin) g[Math.floor(p / bin)] = iv.values[k]!;
    }
    out.set(c, g);
  }
  return out;
}

let dir: string;
let p: ClasterProgram;
let truth: {
  reference: Record<string, { binPearson: number; genePearson: number; genes: number }>;
  ceiling: Record<string, { binPearson: number; genePearson: number }>;
  landscapeReference: Record<string, { binPearson: number; genePearson: number; genes: number }>;
  locality: { meanShareWithin10kb: number };
  perturbations: {
    gene: string;
    kind: string;
    effect: number;
    landscapeBins: [number, number];
    distanceFromTss: number;
  }[];
};

beforeAll(async () => {
  p = simulateClasterProgram();
  dir = await mkdtemp(join(tmpdir(), 'claster-program-'));
  await writeClasterProgram(dir, p);
  truth = JSON.parse(await readFile(join(dir, 'truth.json'), 'utf8')) as typeof truth;
}, 120_000);

describe('CLASTER program (simulate --program claster)', () => {
  it('truth.json’s reference Pearson is what the rule gives on the written files', async () => {
    const o = DEFAULT_CLASTER_PROGRAM;
    const marks = await Promise.all(
      CLASTER_PROGRAM_MARKS.map((m) => gridFromBigWig(join(dir, 'tracks', `${m}.bw`), o.trackBin)),
    );
    const eu = await gridFromBigWig(join(dir, 'eu-seq.bw'), o.targetBin);
    const ann = await readGenes(join(dir, 'genes.gtf'));
    const genes = ann.geneIds.map(
      (id, i) =>
        ({
          geneId: id,
          chrom: ann.chroms[i]!,
          start: ann.starts[i]!,
          end: ann.ends[i]!,
          strand: ann.strands[i]!,
          tss: ann.tsses[i]!,
        }) as ClasterGeneTruth,
    );
    const cool = await openCooler(join(dir, 'contacts.cool'));
    const px = readCoolerPixels(cool);
    const xs: number[] = [];
    const ys: number[] = [];
    const gx: number[] = [];
    const gy: number[] = [];
    for (const chrom of o.testChroms) {
      const ci = cool.chromNames.indexOf(chrom);
      const len = cool.chromLengths[ci]!;
      const nBins = cool.chromOffsets[ci + 1]! - cool.chromOffsets[ci]!;
      const k = observedContactFactor(
        nBins,
        px.bin1,
        px.bin2,
        px.count,
        cool.weights!,
        cool.chromOffsets[ci],
      );
      const gs = genes.filter((g) => g.chrom === chrom);
      const ref = expectedEuOf(
        { name: chrom, length: len, marks: marks.map((m) => m.get(chrom)!) },
        gs,
        o,
        k,
      ).eu;
      for (const g of gs) {
        const obs = targetWindow(eu.get(chrom)!, g, len, o);
        const pre = targetWindow(ref, g, len, o);
        for (let b = 0; b < obs.values.length; b++) {
          if (!obs.mask[b]) continue;
          xs.push(pre.values[b]!);
          ys.push(obs.values[b]!);
        }
        gx.push(geneLevel(pre.values, g.end - g.start));
        gy.push(geneLevel(obs.values, g.end - g.start));
      }
    }
    cool.close();
    expect(pearson(xs, ys)).toBeCloseTo(truth.reference['test']!.binPearson, 5);
    expect(pearson(gx, gy)).toBeCloseTo(truth.reference['test']!.genePearson, 5);
    // a reference that can be beaten only by denoising, below the noise-free ceiling
    for (const s of ['test', 'validation']) {
      expect(truth.reference[s]!.binPearson).toBeGreaterThan(0.85);
      expect(truth.reference[s]!.binPearson).toBeLessThan(truth.ceiling[s]!.binPearson);
      expect(truth.reference[s]!.genes).toBe(60);
    }
  });

  it('landscapeReference uses nothing a window lacks: other genes’ strands and every body end', () => {
    // the annotation-aware reference would change with these; a model of the marks cannot see them
    const own = p.genes.find((g) => g.chrom === 'chr4' && g.strand === '-')!;
    const ci = p.chroms.findIndex((c) => c.name === 'chr4');
    const moved = p.genes.map((g) => {
      const len = 5000 + ((g.end - g.start) % 7) * 3000;
      const strand = g === own ? g.strand : g.strand === '+' ? '-' : '+';
      return g === own
        ? { ...g, end: g.tss + 1, start: g.tss + 1 - len }
        : {
            ...g,
            strand,
            start: strand === '+' ? g.tss : g.tss + 1 - len,
            end: strand === '+' ? g.tss + len : g.tss + 1,
          };
    }) as ClasterGeneTruth[];
    const a = landscapeOnlyEu(p)(own, ci);
    const b = landscapeOnlyEu({ ...p, genes: moved })(moved[p.genes.indexOf(own)]!, ci);
    a.forEach((v, k) => expect(b[k]).toBeCloseTo(v, 9));
    // what it costs: the bin level without the annotation is well below the reference, the gene level near it
    for (const s of ['test', 'validation']) {
      const l = truth.landscapeReference[s]!;
      expect(l.genes).toBe(60);
      expect(l.binPearson).toBeLessThan(truth.reference[s]!.binPearson - 0.1);
      expect(l.binPearson).toBeGreaterThan(0.5);
      expect(l.genePearson).toBeGreaterThan(truth.reference[s]!.genePearson - 0.1);
    }
  });

  it('bodyCoverage is the generator’s mean body over its length law', () => {
    // rate e^base on unmarked chromosomes; a 100-bp target grid shows the body bin by bin
    const o = {
      ...DEFAULT_CLASTER_PROGRAM,
      geneLength: [5000, 5450] as [number, number],
      targetBin: 100,
    };
    const rate = Math.exp(o.rule.base);
    const length = 20_000;
    const zero = Array.from({ length: 4 }, () => new Float64Array(length / 100));
    for (const strand of ['+', '-'] as const) {
      const tss = 10_050;
      const mean = new Float64Array(80);
      for (let len = o.geneLength[0]; len < o.geneLength[1]; len++) {
        const g = {
          geneId: 'g',
          chrom: 'c',
          strand,
          tss,
          start: strand === '+' ? tss : tss + 1 - len,
          end: strand === '+' ? tss + len : tss + 1,
        } as ClasterGeneTruth;
        const eu = expectedEuOf({ name: 'c', length, marks: zero }, [g], o, () => 0).eu;
        for (let d = 0; d < 80; d++) mean[d]! += eu[100 + (strand === '+' ? d : -d)]!;
      }
      const s = bodyCoverage(o, strand, 80);
      for (let d = 0; d < 80; d++) {
        const want = (rate / 10) * s[d]! * (d < 10 ? o.rule.pause : 1);
        expect(mean[d]! / (o.geneLength[1] - o.geneLength[0]), `${strand} ${d}`).toBeCloseTo(
          want,
          12,
        );
      }
      expect(s[49]).toBe(1);
      expect(s[55]).toBe(0);
    }
  });

  it('planted perturbations: silencing activating marks lowers EU, removing H3K27me3 raises it', () => {
    expect(truth.perturbations.length).toBe(DEFAULT_CLASTER_PROGRAM.perturbations);
    for (const q of truth.perturbations) {
      if (q.kind === 'repressive') expect(q.effect, q.gene).toBeGreaterThan(0);
      else expect(q.effect, q.gene).toBeLessThan(0);
      if (q.kind !== 'enhancer')
        expect(q.landscapeBins).toEqual(q.kind === 'promoter' ? [4990, 5011] : [4950, 5051]);
    }
    // the generator's own locality: most of log λ's grad × input lies within ±10 kbp
    expect(truth.locality.meanShareWithin10kb).toBeGreaterThan(0.6);
    expect(truth.locality.meanShareWithin10kb).toBeLessThan(0.95);
  });

  it('the .cool carries ICE weights equal to balancing the written counts again (cis-only)', async () => {
    const cool = await openCooler(join(dir, 'contacts.cool'));
    const w = iceBalance(cool, { cisOnly: true }).weights;
    cool.close();
    for (let b = 0; b < w.length; b += 37) {
      if (Number.isNaN(w[b]!)) expect(p.contacts.weights[b]).toBeNaN();
      else expect(p.contacts.weights[b]).toBeCloseTo(w[b]!, 12);
    }
  });

  const cooler = python('cooler');
  it.skipIf(!cooler)('python cooler reads the .cool: bins, pixels and balanced matrix', () => {
    const out = execFileSync(cooler!, [
      '-c',
      `import cooler, sys, numpy as np
c = cooler.Cooler(sys.argv[1])
m = c.matrix(balance=True).fetch('chr4:500000-600000')
print(c.info['nnz'], c.info['nbins'], c.binsize, m.shape[0], float(np.nansum(c.bins()['weight'][:])))`,
      join(dir, 'contacts.cool'),
    ])
      .toString()
      .trim()
      .split(' ');
    expect(Number(out[0])).toBe(p.contacts.count.length);
    expect(Number(out[1])).toBe(p.contacts.weights.length);
    expect(Number(out[2])).toBe(1600);
    expect(Number(out[3])).toBe(63);
    const sum = p.contacts.weights.reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0);
    expect(Number(out[4])).toBeCloseTo(sum, 6);
  });

  const pybw = python('pyBigWig');
  it.skipIf(!pybw)('pyBigWig reads every written bigWig with the values written', () => {
    for (const [file, bin, values] of [
      ['tracks/ATAC.bw', 100, p.chroms[3]!.observedMarks[0]!],
      ['tracks/H3K27me3.bw', 100, p.chroms[3]!.observedMarks[3]!],
      ['eu-seq.bw', 1000, p.observedEu[3]!],
    ] as const) {
      const got = JSON.parse(
        execFileSync(pybw!, [
          '-c',
          `import pyBigWig, sys, json
bw = pyBigWig.open(sys.argv[1])
print(json.dumps([bw.chroms('chr4'), [v if v == v else 0 for v in bw.values('chr4', 0, 200 * ${bin})[::${bin}]]]))`,
          join(dir, file),
        ]).toString(),
      ) as [number, number[]];
      expect(got[0]).toBe(1_200_000);
      got[1].forEach((v, k) => expect(v).toBeCloseTo(values[k]!, 5));
    }
  });

  it('structure-analysis.claster-inputs on the program: splits, masks counted, arrays as binned', async () => {
    const { outputs, info } = await runStage(clasterInputsStage, {
      tracks: join(dir, 'tracks'),
      genes: join(dir, 'genes.gtf'),
      targets: join(dir, 'eu-seq.bw'),
    });
    const t = await readTable(outputs['samples']!);
    expect(t.numRows).toBe(300);
    const split = t.getChild('split')!.toArray() as string[];
    expect(split.filter((s) => s === 'test').length).toBe(60);
    expect(split.filter((s) => s === 'validation').length).toBe(60);
    // a window runs off the chromosome when the TSS lies within 500,050 bp of an end
    const off = p.genes.filter((g) => {
      const len = p.chroms.find((c) => c.name === g.chrom)!.length;
      return g.tss - 500_050 < 0 || g.tss + 500_050 > len;
    }).length;
    expect(info && info.metrics?.['windowsOffChromosome']).toBe(off);
    const arrays = outputs['arrays']!;
    const land = parseNpy(await readFile(join(arrays, 'landscape.npy')));
    const targets = parseNpy(await readFile(join(arrays, 'targets.npy')));
    expect(land.shape).toEqual([300, 4, 10001]);
    expect(targets.shape).toEqual([300, 401]);
    const genes = t.getChild('gene')!.toArray() as string[];
    for (const gi of [0, 77, 150, 299]) {
      const g = p.genes.find((x) => x.geneId === genes[gi])!;
      const ci = p.chroms.findIndex((c) => c.name === g.chrom);
      // the TSS bin of ATAC is the observed grid bin holding the TSS (TSSs sit mid-bin)
      expect(land.data[gi * 4 * 10001 + 5000]).toBeCloseTo(
        p.chroms[ci]!.observedMarks[0]![Math.floor(g.tss / 100)]!,
        5,
      );
      const want = targetWindow(p.observedEu[ci]!, g, p.chroms[ci]!.length, p.options).values;
      for (let b = 0; b < 401; b += 20) expect(targets.data[gi * 401 + b]).toBeCloseTo(want[b]!, 4);
    }
  }, 120_000);

  it('the simulate.claster-program stage writes the same files as the CLI writer', async () => {
    const { outputs, info } = await runStage(simulateClasterProgramStage, {});
    expect(await readFile(outputs['truth']!, 'utf8')).toBe(
      await readFile(join(dir, 'truth.json'), 'utf8'),
    );
    for (const f of ['H3K27ac.bw', 'H3K27me3.bw']) {
      expect(
        Buffer.compare(
          await readFile(join(outputs['tracks']!, f)),
          await readFile(join(dir, 'tracks', f)),
        ),
      ).toBe(0);
    }
    expect(info && info.metrics).toMatchObject({ genes: 300, chromosomes: 5 });
  }, 120_000);
});
