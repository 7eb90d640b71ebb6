import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IndexedFasta } from '@gmod/indexedfasta';
import { beforeAll, describe, expect, it } from 'vitest';
import { auroc } from '@chromflow/core';
import { TEST_DATA, hasTestData, hasTool, readGzText, readTruth } from './fixtures.js';
import type { TruthJson } from './fixtures.js';

const file = (name: string): string => join(TEST_DATA, name);

function revcomp(s: string): string {
  const c: Record<string, string> = { A: 'T', C: 'G', G: 'C', T: 'A' };
  return [...s]
    .reverse()
    .map((b) => c[b] ?? 'N')
    .join('');
}

describe.skipIf(!hasTestData)('test-data/: planted truth is recoverable from the files', () => {
  let truth: TruthJson;
  let fragLines: string[];
  let cellType: Map<string, string>;
  beforeAll(() => {
    truth = readTruth();
    fragLines = readGzText(file('fragments.tsv.gz'))
      .split('\n')
      .filter((l) => l.length > 0);
    cellType = new Map(
      readFileSync(file('cells.tsv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split('\t') as [string, string]),
    );
  });

  it('has the documented scale and fits the size budget', () => {
    const sizes = [
      'genome.fa',
      'genome.fa.fai',
      'genes.gtf',
      'motifs.meme',
      'peaks.bed',
      'fragments.tsv.gz',
      'fragments.tsv.gz.tbi',
      'cells.tsv',
      'rna/matrix.mtx.gz',
      'rna/barcodes.tsv.gz',
      'rna/features.tsv.gz',
      'truth.json',
    ].map((f) => statSync(file(f)).size);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(statSync(file('fragments.tsv.gz')).size).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(cellType.size).toBeGreaterThanOrEqual(250);
    expect(cellType.size).toBeLessThanOrEqual(400);
    const bed = readFileSync(file('peaks.bed'), 'utf8').trim().split('\n');
    expect(bed.length).toBeGreaterThanOrEqual(1000);
    expect(bed.length).toBeLessThanOrEqual(1500);
    for (const l of bed) {
      const [, s, e] = l.split('\t');
      const w = Number(e) - Number(s);
      expect(w >= 300 && w <= 800, l).toBe(true);
    }
  });

  it('has a genome with ~41 % GC, soft-masked repeats and N runs, and an .fai equal to samtools faidx', () => {
    const seq = readFileSync(file('genome.fa'), 'latin1')
      .split('\n')
      .filter((l) => !l.startsWith('>'))
      .join('');
    let gc = 0;
    let acgt = 0;
    let lower = 0;
    let n = 0;
    for (const ch of seq) {
      if ('GCgc'.includes(ch)) gc++;
      if ('ACGTacgt'.includes(ch)) acgt++;
      if ('acgt'.includes(ch)) lower++;
      if (ch === 'N') n++;
    }
    expect(seq.length).toBeGreaterThanOrEqual(1_500_000);
    expect(gc / acgt).toBeGreaterThan(0.39);
    expect(gc / acgt).toBeLessThan(0.43);
    expect(lower / acgt).toBeGreaterThan(0.04);
    expect(lower / acgt).toBeLessThan(0.15);
    expect(n).toBeGreaterThan(10_000);
  });

  it.skipIf(!hasTool('samtools', ['--version']))(
    'genome.fa.fai equals the index samtools faidx builds',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'chromflow-sim-fai-'));
      try {
        copyFileSync(file('genome.fa'), join(dir, 'genome.fa'));
        execFileSync('samtools', ['faidx', join(dir, 'genome.fa')]);
        expect(readFileSync(join(dir, 'genome.fa.fai'), 'utf8')).toBe(
          readFileSync(file('genome.fa.fai'), 'utf8'),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('holds every planted motif site at its truth position (read with @gmod/indexedfasta), inside its peak', async () => {
    const fasta = new IndexedFasta({ path: file('genome.fa'), faiPath: file('genome.fa.fai') });
    const peaks = new Map(truth.peaks.map((p) => [p.name, p]));
    expect(truth.motifInstances.length).toBeGreaterThan(1000);
    for (const m of truth.motifInstances) {
      const got = (await fasta.getSequence(m.chrom, m.start, m.end))!.toUpperCase();
      expect(m.strand === '+' ? got : revcomp(got), `${m.motif} in ${m.peak}`).toBe(m.sequence);
      const p = peaks.get(m.peak)!;
      expect(m.start >= p.start && m.end <= p.end).toBe(true);
    }
  });

  it("enriches each cell type's fragments in its own TFs' peaks by a large factor", () => {
    // Insertions (start and end-1) of each cell type in the peaks of each driver class, per insertion of that type.
    const peaksByChrom = new Map<string, TruthJson['peaks']>();
    for (const p of truth.peaks)
      peaksByChrom.set(p.chrom, [...(peaksByChrom.get(p.chrom) ?? []), p]);
    const hits = new Map<string, number>();
    const totals = new Map<string, number>();
    const findPeak = (chrom: string, pos: number): TruthJson['peaks'][number] | undefined => {
      const list = peaksByChrom.get(chrom) ?? [];
      let lo = 0;
      let hi = list.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const p = list[mid]!;
        if (pos < p.start) hi = mid - 1;
        else if (pos >= p.end) lo = mid + 1;
        else return p;
      }
      return undefined;
    };
    for (const line of fragLines) {
      const [chrom, s, e, bc] = line.split('\t') as [string, string, string, string];
      const t = cellType.get(bc)!;
      for (const pos of [Number(s), Number(e) - 1]) {
        totals.set(t, (totals.get(t) ?? 0) + 1);
        const p = findPeak(chrom, pos);
        if (p && p.class === 'tf' && p.drivers.length === 1) {
          const key = `${t}\t${p.drivers[0]}`;
          hits.set(key, (hits.get(key) ?? 0) + 1);
        }
      }
    }
    const rate = (t: string, tf: string): number => (hits.get(`${t}\t${tf}`) ?? 0) / totals.get(t)!;
    for (const m of truth.motifs.filter((x) => x.role === 'driver' && x.tf !== 'CTCF')) {
      const active = truth.cellTypes
        .filter((t) => (t.tfActivity[m.tf] ?? 0) >= 1)
        .map((t) => t.name);
      const inactive = truth.cellTypes
        .filter((t) => (t.tfActivity[m.tf] ?? 0) === 0)
        .map((t) => t.name);
      expect(active.length).toBeGreaterThan(0);
      for (const a of active)
        for (const i of inactive)
          expect(rate(a, m.tf) / rate(i, m.tf), `${m.tf}: ${a} vs ${i}`).toBeGreaterThan(4);
    }
  });

  it('has a fragment length profile with nucleosome-free and mono-nucleosome modes', () => {
    const lens = fragLines.map((l) => {
      const f = l.split('\t');
      return Number(f[2]) - Number(f[1]);
    });
    const frac = (lo: number, hi: number): number =>
      lens.filter((x) => x >= lo && x < hi).length / lens.length;
    expect(frac(0, 147)).toBeGreaterThan(0.4);
    expect(frac(147, 294)).toBeGreaterThan(0.25);
    expect(frac(294, 1000)).toBeGreaterThan(0.05);
  });

  it('is sorted by chromosome (fai order), start, end', () => {
    const order = readFileSync(file('genome.fa.fai'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[0]!);
    const rank = new Map(order.map((c, i) => [c, i]));
    let prev: [number, number, number] = [-1, -1, -1];
    let firstUnsorted: string | undefined;
    for (const line of fragLines) {
      const f = line.split('\t');
      const key: [number, number, number] = [rank.get(f[0]!) ?? -2, Number(f[1]), Number(f[2])];
      const cmp = key[0] - prev[0] || key[1] - prev[1] || key[2] - prev[2];
      if (cmp < 0 && firstUnsorted === undefined) firstUnsorted = line;
      prev = key;
    }
    expect(firstUnsorted).toBeUndefined();
  });

  it.skipIf(!hasTool('tabix', ['--version']))(
    'answers tabix CLI region queries with the same lines as a scan of the text',
    () => {
      const regions: [string, number, number][] = [
        ['chr1', 0, 6000],
        ['chr1', 100_000, 130_000],
        ['chr2', 250_000, 251_000],
        ['chr3', 329_000, 330_000],
        ['chr3', 123_456, 123_457],
      ];
      for (const [chrom, start, end] of regions) {
        // tabix takes 1-based inclusive regions and returns records overlapping them (0-based start < end, end > start).
        const got = execFileSync('tabix', [
          file('fragments.tsv.gz'),
          `${chrom}:${start + 1}-${end}`,
        ])
          .toString()
          .split('\n')
          .filter(Boolean);
        const want = fragLines.filter((l) => {
          const f = l.split('\t');
          return f[0] === chrom && Number(f[1]) < end && Number(f[2]) > start;
        });
        expect(got).toEqual(want);
      }
    },
  );

  it.skipIf(!hasTool('bedtools', ['--version']))(
    'reports an observed positive rate equal to a bedtools count of (cell, peak) insertion hits',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'chromflow-sim-bt-'));
      try {
        const ins = fragLines.flatMap((l) => {
          const [c, s, e, bc] = l.split('\t') as [string, string, string, string];
          return [`${c}\t${s}\t${Number(s) + 1}\t${bc}`, `${c}\t${Number(e) - 1}\t${e}\t${bc}`];
        });
        writeFileSync(join(dir, 'ins.bed'), `${ins.join('\n')}\n`);
        const out = execFileSync(
          'bedtools',
          ['intersect', '-a', join(dir, 'ins.bed'), '-b', file('peaks.bed'), '-wa', '-wb'],
          {
            maxBuffer: 1 << 28,
          },
        ).toString();
        const pairs = new Set(
          out
            .split('\n')
            .filter(Boolean)
            .map((l) => {
              const f = l.split('\t');
              return `${f[3]}\t${f[7]}`;
            }),
        );
        const n = truth.cells.length * truth.peaks.length;
        expect(Math.abs(pairs.size - truth.bounds.observedPositiveRate * n)).toBeLessThan(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!hasTool('bedtools', ['--version']))(
    'puts every promoter peak on its gene’s TSS in genes.gtf (bedtools reads the GTF)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'chromflow-sim-gtf-'));
      try {
        const genes = readFileSync(file('genes.gtf'), 'utf8')
          .split('\n')
          .filter((l) => l.split('\t')[2] === 'gene');
        writeFileSync(join(dir, 'genes.gtf'), `${genes.join('\n')}\n`);
        const out = execFileSync('bedtools', [
          'intersect',
          '-a',
          file('peaks.bed'),
          '-b',
          join(dir, 'genes.gtf'),
          '-wa',
          '-wb',
        ]).toString();
        const overlaps = new Set(
          out
            .split('\n')
            .filter(Boolean)
            .map((l) => {
              const f = l.split('\t');
              return `${f[3]}\t${/gene_id "([^"]+)"/.exec(f[12]!)![1]}`;
            }),
        );
        const promoters = truth.peaks.filter((p) => p.class === 'promoter');
        expect(promoters.length).toBeGreaterThan(100);
        for (const p of promoters)
          expect(overlaps.has(`${p.name}\t${p.promoterOf}`), p.name).toBe(true);
        // GTF TSS (1-based) = truth tss + 1
        const byId = new Map(truth.genes.map((g) => [g.geneId, g]));
        for (const l of genes) {
          const f = l.split('\t');
          const g = byId.get(/gene_id "([^"]+)"/.exec(f[8]!)![1]!)!;
          expect(f[6] === '+' ? Number(f[3]) : Number(f[4])).toBe(g.tss + 1);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('has RNA counts in which each TF gene is expressed where its TF is active', () => {
    const features = readGzText(file('rna/features.tsv.gz'))
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    const barcodes = readGzText(file('rna/barcodes.tsv.gz')).trim().split('\n');
    expect(barcodes).toEqual([...cellType.keys()]);
    expect(features.every((f) => f.length === 3 && f[2] === 'Gene Expression')).toBe(true);
    const lines = readGzText(file('rna/matrix.mtx.gz')).split('\n');
    expect(lines[0]).toBe('%%MatrixMarket matrix coordinate integer general');
    const body = lines.filter((l) => l && !l.startsWith('%'));
    const [nr, nc, nnz] = body[0]!.split(' ').map(Number);
    expect([nr, nc, nnz]).toEqual([features.length, barcodes.length, body.length - 1]);
    const lib = new Float64Array(nc!);
    const entries = body.slice(1).map((l) => l.split(' ').map(Number) as [number, number, number]);
    for (const [, c, v] of entries) lib[c - 1]! += v;
    const tfGenes = truth.genes.filter((g) => g.kind === 'tf');
    expect(tfGenes.length).toBeGreaterThanOrEqual(5);
    for (const g of tfGenes) {
      const row = features.findIndex((f) => f[0] === g.geneId) + 1;
      const sum = new Map<string, number>();
      const n = new Map<string, number>();
      for (const [r, c, v] of entries) {
        if (r !== row) continue;
        const t = cellType.get(barcodes[c - 1]!)!;
        sum.set(t, (sum.get(t) ?? 0) + (1e4 * v) / lib[c - 1]!);
      }
      for (const t of cellType.values()) n.set(t, (n.get(t) ?? 0) + 1);
      const mean = (t: string): number => (sum.get(t) ?? 0) / n.get(t)!;
      const on = truth.cellTypes.filter((t) => (t.tfActivity[g.tf!] ?? 0) >= 1).map((t) => t.name);
      const off = truth.cellTypes
        .filter((t) => (t.tfActivity[g.tf!] ?? 0) === 0)
        .map((t) => t.name);
      for (const a of on)
        for (const b of off)
          expect(mean(a), `${g.geneName}: ${a} vs ${b}`).toBeGreaterThan(3 * mean(b));
    }
  });

  it.skipIf(!hasTool('python3', ['-c', 'import scipy.io']))(
    'has an MTX that scipy.io.mmread reads as genes × cells with the same total',
    () => {
      const py =
        'import gzip,sys,scipy.io; m=scipy.io.mmread(gzip.open(sys.argv[1])); print(m.shape[0], m.shape[1], int(m.sum()))';
      const [r, c, total] = execFileSync('python3', ['-c', py, file('rna/matrix.mtx.gz')])
        .toString()
        .trim()
        .split(' ')
        .map(Number);
      const body = readGzText(file('rna/matrix.mtx.gz'))
        .split('\n')
        .filter((l) => l && !l.startsWith('%'))
        .slice(1);
      expect([r, c]).toEqual([truth.genes.length, truth.cells.length]);
      expect(total).toBe(body.reduce((s, l) => s + Number(l.split(' ')[2]), 0));
    },
  );

  it('lets a reader rebuild π from truth.json alone and reproduce the stated cellProbability AUROC', () => {
    // π[c, p] = σ(bias_p + Σ_f w_{p,f} s_{c,f}) from the rounded parameters; y from the fragment text.
    const nP = truth.peaks.length;
    const cellIndex = new Map(truth.cells.map((c, i) => [c.barcode, i]));
    const pi = new Float64Array(truth.cells.length * nP);
    truth.cells.forEach((c, i) =>
      truth.peaks.forEach((p, j) => {
        let z = p.bias;
        for (const [tf, w] of Object.entries(p.weights)) z += w * (c.tfState[tf] ?? 0);
        pi[i * nP + j] = 1 / (1 + Math.exp(-z));
      }),
    );
    const y = new Uint8Array(pi.length);
    const byChrom = new Map<string, number[]>();
    truth.peaks.forEach((p, j) => byChrom.set(p.chrom, [...(byChrom.get(p.chrom) ?? []), j]));
    for (const line of fragLines) {
      const [chrom, s, e, bc] = line.split('\t') as [string, string, string, string];
      const list = byChrom.get(chrom)!;
      for (const pos of [Number(s), Number(e) - 1]) {
        let lo = 0;
        let hi = list.length - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const p = truth.peaks[list[mid]!]!;
          if (pos < p.start) hi = mid - 1;
          else if (pos >= p.end) lo = mid + 1;
          else {
            y[cellIndex.get(bc)! * nP + list[mid]!] = 1;
            break;
          }
        }
      }
    }
    expect(y.reduce((a, b) => a + b, 0) / y.length).toBeCloseTo(
      truth.bounds.observedPositiveRate,
      6,
    );
    expect(Math.abs(auroc(pi, y) - truth.bounds.cellProbability['all']!.overall)).toBeLessThan(
      0.001,
    );
  });

  it('lets a plain PWM scan of peak sequences predict which peaks the TF’s cell type opens (files only)', async () => {
    // Matrices from motifs.meme (regex), sequences via @gmod/indexedfasta, accessibility from the
    // fragments: per peak, the share of cells with an insertion, active types vs the rest.
    const meme = readFileSync(file('motifs.meme'), 'utf8');
    const pwms = new Map<string, number[][]>();
    for (const block of meme.split(/^MOTIF /m).slice(1)) {
      const alt = block.split('\n')[0]!.trim().split(/\s+/)[1]!;
      pwms.set(
        alt,
        block
          .split('\n')
          .filter((l) => /^\s*[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s*$/.test(l))
          .map((l) => l.trim().split(/\s+/).map(Number)),
      );
    }
    const fasta = new IndexedFasta({ path: file('genome.fa'), faiPath: file('genome.fa.fai') });
    const seqs = await Promise.all(
      truth.peaks.map(async (p) =>
        (await fasta.getSequence(p.chrom, p.start, p.end))!.toUpperCase(),
      ),
    );
    const code: Record<string, number> = { A: 0, C: 1, G: 2, T: 3 };
    const bestScore = (pwm: number[][], seq: string): number => {
      let best = -Infinity;
      for (let i = 0; i + pwm.length <= seq.length; i++) {
        let fwd = 0;
        let rev = 0;
        for (let k = 0; k < pwm.length; k++) {
          const b = code[seq[i + k]!];
          const rb = code[seq[i + pwm.length - 1 - k]!];
          fwd += b === undefined ? -5 : Math.log2(pwm[k]![b]! / 0.25);
          rev += rb === undefined ? -5 : Math.log2(pwm[k]![3 - rb]! / 0.25);
        }
        best = Math.max(best, fwd, rev);
      }
      return best;
    };
    const nP = truth.peaks.length;
    const hitCells = truth.peaks.map(() => new Set<string>());
    const byChrom = new Map<string, number[]>();
    truth.peaks.forEach((p, j) => byChrom.set(p.chrom, [...(byChrom.get(p.chrom) ?? []), j]));
    for (const line of fragLines) {
      const [chrom, s, e, bc] = line.split('\t') as [string, string, string, string];
      const list = byChrom.get(chrom)!;
      for (const pos of [Number(s), Number(e) - 1]) {
        let lo = 0;
        let hi = list.length - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const p = truth.peaks[list[mid]!]!;
          if (pos < p.start) hi = mid - 1;
          else if (pos >= p.end) lo = mid + 1;
          else {
            hitCells[list[mid]!]!.add(bc);
            break;
          }
        }
      }
    }
    const typeSize = new Map<string, number>();
    for (const t of cellType.values()) typeSize.set(t, (typeSize.get(t) ?? 0) + 1);
    for (const m of truth.motifs.filter((x) => x.role === 'driver' && x.tf !== 'CTCF')) {
      // Positive: open (> 30 % of cells) in every type where the TF acts, ≥ 3× more than in any type where it does not.
      const on = truth.cellTypes.filter((t) => (t.tfActivity[m.tf] ?? 0) > 0).map((t) => t.name);
      const off = truth.cellTypes.filter((t) => (t.tfActivity[m.tf] ?? 0) === 0).map((t) => t.name);
      const labels = new Uint8Array(nP);
      hitCells.forEach((cells, j) => {
        const n = new Map<string, number>();
        for (const bc of cells) n.set(cellType.get(bc)!, (n.get(cellType.get(bc)!) ?? 0) + 1);
        const frac = (t: string): number => (n.get(t) ?? 0) / typeSize.get(t)!;
        const lo = Math.min(...on.map(frac));
        const hi = Math.max(...off.map(frac));
        labels[j] = lo > 0.3 && lo > 3 * hi ? 1 : 0;
      });
      const scores = seqs.map((seq) => bestScore(pwms.get(m.tf)!, seq));
      expect(
        labels.reduce((x, y) => x + y, 0),
        m.tf,
      ).toBeGreaterThan(40);
      // Measured: SPI1 0.96, GATA1 0.90, CEBPB 0.92, FOS::JUN 0.86 (9-bp site, many chance hits), EBF1 0.98.
      expect(auroc(scores, labels), m.tf).toBeGreaterThan(0.8);
    }
  });

  it('states bounds that order as the model implies and a calibrated positive rate', () => {
    const b = truth.bounds;
    expect(Math.abs(b.observedPositiveRate - b.expectedPositiveRate)).toBeLessThan(0.005);
    for (const k of ['all', 'heldOutPeaks', 'heldOutCells'] as const) {
      expect(b.ceiling[k]!.overall).toBeGreaterThan(b.cellProbability[k]!.overall);
      expect(b.cellProbability[k]!.overall).toBeGreaterThan(b.cellTypeProbability[k]!.overall);
      expect(b.ceiling[k]!.overall).toBeGreaterThan(0.75);
      expect(b.ceiling[k]!.overall).toBeLessThan(0.95);
      // Less information, lower AUROC: the exact state beats the type (both with depth), and
      // averaging the peak's own baseline and yield (the unseen-peak reference) costs more.
      expect(b.ceiling[k]!.overall).toBeGreaterThan(b.typeAndDepth[k]!.overall);
      expect(b.typeAndDepth[k]!.overall).toBeGreaterThan(b.sequenceTypeAndDepth[k]!.overall);
      // Reading the sites from the bases instead of the planted list costs more still.
      expect(b.sequenceTypeAndDepth[k]!.overall).toBeGreaterThan(
        b.sequenceReadTypeAndDepth[k]!.overall,
      );
      // Depth carries signal the type mean lacks.
      expect(b.sequenceReadTypeAndDepth[k]!.overall).toBeGreaterThan(
        b.cellTypeProbability[k]!.overall,
      );
    }
    // Fitting each peak's type means to the training cells loses to knowing them, and beats the type label alone.
    const fitted = b.typeAndDepthFitted['heldOutCells']!.overall;
    expect(fitted).toBeLessThan(b.typeAndDepth['heldOutCells']!.overall);
    expect(fitted).toBeGreaterThan(b.cellTypeProbability['heldOutCells']!.overall);
    expect(truth.splits.heldOutPeaks.length).toBe(Math.round(truth.peaks.length * 0.1));
    expect(truth.splits.heldOutCells.length).toBe(Math.round(truth.cells.length * 0.1));
  });
});
