import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { SeededRandom, withEncoding, writeTable } from '@chromflow/core';
import { reportHtmlStage } from '../src/stages/report-html.js';
import { checkReportInBrowser, findChromium } from '../src/browser-check.js';

/** Pearson by its definition (the oracle for the section's table). */
function pearsonByHand(x: number[], y: number[]): number {
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

/**
 * Known structure: motif M2 is active in type B cells only; ISM of peak p1 has
 * its strongest 20-bp window at positions 1040…1059 for type T; GET predictions
 * on TSS rows with a known per-type Pearson (each TSS seen in two windows).
 */
async function makeInputs(dir: string) {
  const rng = new SeededRandom(11);
  const types = ['B', 'M', 'T'];
  const barcodes = Array.from({ length: 30 }, (_, i) => `c${i}`);
  const label = barcodes.map((_, i) => types[i % 3]!);
  const motifs = ['M1', 'M2', 'M3'];
  const act = { barcode: [] as string[], motif: [] as string[], zscore: [] as number[] };
  barcodes.forEach((b, i) =>
    motifs.forEach((m) => {
      act.barcode.push(b);
      act.motif.push(m);
      act.zscore.push((m === 'M2' ? (label[i] === 'B' ? 1.4 : -0.7) : 0) + 0.1 * rng.normal());
    }),
  );
  const ism = {
    cell_type: [] as string[],
    peak: [] as string[],
    chrom: [] as string[],
    position: [] as number[],
    ref: [] as string[],
    delta_A: [] as number[],
    delta_C: [] as number[],
    delta_G: [] as number[],
    delta_T: [] as number[],
    score: [] as number[],
    grad_x_input: [] as number[],
  };
  for (const type of ['B', 'T'])
    for (const [peak, start] of [
      ['p1', 1000],
      ['p2', 5000],
    ] as const)
      for (let k = 0; k < 100; k++) {
        const pos = start + k;
        const strong = type === 'T' && peak === 'p1' && pos >= 1040 && pos < 1060;
        const d = [0, 1, 2, 3].map(() => (strong ? 2 : 0.1) * rng.normal());
        const m = (d[0]! + d[1]! + d[2]! + d[3]!) / 4;
        const c = d.map((v) => v - m);
        ism.cell_type.push(type);
        ism.peak.push(peak);
        ism.chrom.push('chr1');
        ism.position.push(pos);
        ism.ref.push('A');
        ism.delta_A.push(c[0]!);
        ism.delta_C.push(c[1]!);
        ism.delta_G.push(c[2]!);
        ism.delta_T.push(c[3]!);
        ism.score.push(c[0]! * (strong ? 3 : 1));
        ism.grad_x_input.push(0.5 * c[0]!);
      }
  const get = {
    cell_type: [] as string[],
    window: [] as number[],
    row: [] as number[],
    position: [] as number[],
    strand: [] as string[],
    predicted: [] as number[],
    observed: [] as number[],
    tss: [] as boolean[],
  };
  const truth = new Map<string, { p: number[]; o: number[] }>();
  for (const type of ['B', 'T']) {
    const pts = { p: [] as number[], o: [] as number[] };
    for (let r = 0; r < 40; r++) {
      const obs = rng.normal();
      const p = [obs * (type === 'B' ? 0.8 : 0.3) + rng.normal() * 0.5, 0];
      p[1] = p[0]! + 0.2 * rng.normal();
      const isTss = r % 2 === 0;
      if (isTss) {
        pts.p.push((p[0]! + p[1]) / 2);
        pts.o.push(obs);
      }
      for (const w of [0, 1]) {
        get.cell_type.push(type);
        get.window.push(w);
        get.row.push(r);
        get.position.push(r - w);
        get.strand.push('+');
        get.predicted.push(p[w]!);
        get.observed.push(obs);
        get.tss.push(isTss);
      }
    }
    truth.set(type, pts);
  }
  const paths = {
    cells: join(dir, 'cells.parquet'),
    'motif-activity': join(dir, 'act.parquet'),
    'xchrom-ism': join(dir, 'ism.parquet'),
    'get-predictions': join(dir, 'get.parquet'),
  };
  await writeTable(
    paths.cells,
    withEncoding(tableFromArrays({ barcode: barcodes, label }), 'cells', '1'),
  );
  await writeTable(
    paths['motif-activity'],
    withEncoding(
      tableFromArrays({ ...act, zscore: Float32Array.from(act.zscore) }),
      'xchrom-motif-activity',
      '1',
    ),
  );
  await writeTable(
    paths['xchrom-ism'],
    withEncoding(
      tableFromArrays({ ...ism, position: Int32Array.from(ism.position) }),
      'xchrom-ism',
      '1',
    ),
  );
  await writeTable(
    paths['get-predictions'],
    withEncoding(
      tableFromArrays({
        ...get,
        window: Int32Array.from(get.window),
        row: Int32Array.from(get.row),
        position: Int32Array.from(get.position),
        predicted: Float32Array.from(get.predicted),
        observed: Float32Array.from(get.observed),
      }),
      'get-predictions',
      '1',
    ),
  );
  return { paths, truth };
}

describe('report.html: interpretation and GET sections', () => {
  it('draws the motif heatmap, ISM tracks and logo, and GET scatters with their Pearson', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chromflow-report-interp-'));
    try {
      const { paths, truth } = await makeInputs(dir);
      const out = join(dir, 'out');
      const info = await reportHtmlStage.run({
        params: {
          title: 'sections',
          genes: [],
          flank: 1500,
          maxGenes: 3,
          seed: 1,
          rnaOnlyCellTypes: ['T'],
        },
        inputs: paths,
        outputs: { report: out },
        tempDir: dir,
        log: { info: () => undefined, warn: () => undefined },
        onProgress: () => undefined,
        signal: new AbortController().signal,
      });
      expect(info).toMatchObject({ metrics: { sections: 2, figures: 5 } });
      expect((await readdir(join(out, 'figures'))).sort()).toEqual([
        'get-predicted-vs-observed.svg',
        'ism-logo.svg',
        'ism-p1.svg',
        'ism-p2.svg',
        'motif-activity-heatmap.svg',
      ]);
      const html = await readFile(join(out, 'index.html'), 'utf8');
      // The logo is the planted strong window (1-based 1041–1060 of T at p1).
      expect(html).toContain('Centred ISM of T at p1, chr1:1041-1060');
      // Pearson per type equals the hand computation on TSS pairs averaged over windows.
      for (const [type, pts] of truth) {
        const r = pearsonByHand(pts.p, pts.o);
        const label = type === 'T' ? 'T (RNA only)' : type;
        expect(html).toContain(`<td>${label}</td><td>20</td><td>${r.toPrecision(4)}</td>`);
      }
      expect(html).toContain('3 cell types');
      const chromium = findChromium();
      if (!chromium) {
        console.warn('skipping the browser check: no Chromium (Debian package chromium)');
        return;
      }
      const seen = await checkReportInBrowser(
        join(out, 'index.html'),
        join(dir, 'screenshot.png'),
        chromium,
      );
      expect(seen.errors).toEqual([]);
      expect(seen.figures).toHaveLength(5);
      for (const f of seen.figures) {
        expect(f.width, f.id).toBeGreaterThan(100);
        expect(f.marks, f.id).toBeGreaterThan(5);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
