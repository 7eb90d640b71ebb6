import { readTable } from '@chromflow/core';
import type { ReportFigure, ReportSection } from '../html-report.js';
import { renderVegaLite } from '../render-svg.js';
import { heatmapSpec } from '../figures/heatmap.js';
import { ismLogoSpec, ismTrackSpec } from '../figures/ism-figures.js';
import { numberColumn, stringColumn } from '../table-columns.js';

export interface InterpretationInputs {
  /** `attribution.xchrom-motif-activity`'s activity table (barcode, motif, zscore). */
  motifActivity?: string;
  /** `attribution.xchrom-ism`'s long table. */
  ism?: string;
  /** Cell → cell type, to average motif activity per type. */
  labels?: ReadonlyMap<string, string>;
  /** Motifs shown in the heatmap at most (those whose type means vary most). */
  maxMotifs?: number;
  /** Width of the ISM logo window (bases). */
  logoWidth?: number;
}

const fileStem = (s: string): string => s.replace(/[^A-Za-z0-9_-]+/g, '_');

/** Cell types × motifs mean z of XChrom motif activity. */
async function motifActivityFigure(
  path: string,
  labels: ReadonlyMap<string, string> | undefined,
  maxMotifs: number,
): Promise<{ figure?: ReportFigure; paragraph: string }> {
  const t = await readTable(path);
  const cells = stringColumn(t, 'barcode') ?? [];
  const motifs = stringColumn(t, 'motif') ?? [];
  const z = numberColumn(t, 'zscore', path);
  const motifNames = [...new Set(motifs)];
  const nCells = new Set(cells).size;
  if (!labels || labels.size === 0)
    return {
      paragraph: `Motif activity of ${motifNames.length} motifs in ${nCells} cells; no cell labels were wired, so no per-type heatmap.`,
    };
  const types = [
    ...new Set(cells.map((c) => labels.get(c)).filter((x): x is string => !!x)),
  ].sort();
  const ti = new Map(types.map((x, i) => [x, i]));
  const mi = new Map(motifNames.map((x, i) => [x, i]));
  const M = motifNames.length;
  const sum = new Float64Array(types.length * M);
  const n = new Float64Array(types.length * M);
  for (let i = 0; i < z.length; i++) {
    const type = ti.get(labels.get(cells[i]!) ?? '');
    if (type === undefined) continue;
    const k = type * M + mi.get(motifs[i]!)!;
    sum[k]! += z[i]!;
    n[k]! += 1;
  }
  const mean = sum.map((s, k) => (n[k]! > 0 ? s / n[k]! : NaN));
  // Keep the motifs whose per-type means spread most (all of them when few).
  const spread = motifNames.map((_, m) => {
    const col = types.map((_, r) => mean[r * M + m]!).filter(Number.isFinite);
    return col.length ? Math.max(...col) - Math.min(...col) : 0;
  });
  const shown = motifNames
    .map((name, m) => ({ name, m }))
    .sort((a, b) => spread[b.m]! - spread[a.m]! || a.m - b.m)
    .slice(0, maxMotifs);
  const values = Float64Array.from({ length: types.length * shown.length }, (_, k) => {
    const r = Math.floor(k / shown.length);
    return mean[r * M + shown[k % shown.length]!.m]!;
  });
  const svg = await renderVegaLite(
    heatmapSpec({
      rows: types,
      columns: shown.map((s) => s.name),
      values,
      rowTitle: 'cell type',
      columnTitle: 'motif',
      valueTitle: 'mean z',
    }),
  );
  return {
    paragraph: `XChrom motif activity of ${M} motifs in ${nCells} cells (${types.length} cell types); ${shown.length < M ? `the ${shown.length} motifs whose type means spread most` : 'every motif'} shown.`,
    figure: {
      id: 'motif-activity-heatmap',
      title: 'XChrom motif activity: mean z per cell type',
      svg,
      caption:
        'Each motif’s consensus inserted into GC-matched backgrounds; per cell the mean change of the XChrom logit, z-scored per motif across cells, then averaged over each type’s cells. z hides effect size: a motif whose effect differs little between types still reaches |z| ≈ 1.',
    },
  };
}

/** Per-peak ISM tracks (every cell type) and a logo of the strongest window. */
async function ismFigures(path: string, logoWidth: number): Promise<ReportFigure[]> {
  const t = await readTable(path);
  const type = stringColumn(t, 'cell_type') ?? [];
  const peak = stringColumn(t, 'peak') ?? [];
  const chrom = stringColumn(t, 'chrom') ?? [];
  const ref = stringColumn(t, 'ref') ?? [];
  const position = numberColumn(t, 'position', path);
  const score = numberColumn(t, 'score', path);
  const gxi = numberColumn(t, 'grad_x_input', path);
  const delta = ['A', 'C', 'G', 'T'].map((b) => numberColumn(t, `delta_${b}`, path));
  const peaks = [...new Set(peak)];
  const figures: ReportFigure[] = [];
  for (const p of peaks) {
    const rows: { cellType: string; position: number; score: number; gxi: number }[] = [];
    let c = '';
    for (let i = 0; i < t.numRows; i++)
      if (peak[i] === p) {
        rows.push({ cellType: type[i]!, position: position[i]!, score: score[i]!, gxi: gxi[i]! });
        c = chrom[i]!;
      }
    figures.push({
      id: `ism-${fileStem(p)}`,
      title: `ISM of ${p} (${c}) per cell type`,
      svg: await renderVegaLite(ismTrackSpec({ title: p, chrom: c, rows })),
      caption:
        'Bars: centred ISM at the reference base (Δlogit of the type’s mean logit; positive where the reference base supports accessibility). Red line: gradient × input of the same scalar.',
    });
  }
  // The logo: the (cell type, peak) window of logoWidth bases with the largest Σ|score|.
  let best = { sum: -1, from: 0 };
  for (let i = 0; i + logoWidth <= t.numRows; i++) {
    const j = i + logoWidth - 1;
    if (peak[i] !== peak[j] || type[i] !== type[j] || position[j]! - position[i]! !== logoWidth - 1)
      continue;
    let s = 0;
    for (let k = i; k <= j; k++) s += Math.abs(score[k]!);
    if (s > best.sum) best = { sum: s, from: i };
  }
  if (best.sum >= 0) {
    const i0 = best.from;
    const rows = Array.from({ length: logoWidth }, (_, k) => i0 + k).flatMap((i) =>
      ['A', 'C', 'G', 'T'].map((base, b) => ({
        position: position[i]!,
        ref: ref[i]!,
        base,
        delta: delta[b]![i]!,
      })),
    );
    figures.push({
      id: 'ism-logo',
      title: `Centred ISM of ${type[i0]} at ${peak[i0]}, ${chrom[i0]}:${position[i0]! + 1}-${position[i0]! + logoWidth}`,
      svg: await renderVegaLite(ismLogoSpec({ title: `${type[i0]} · ${peak[i0]}`, rows })),
      caption: `The ${logoWidth}-base window with the largest summed |ISM score| over all cell types and peaks: each base’s centred Δlogit (the 4 sum to 0 at every position), stacked.`,
    });
  }
  return figures;
}

/** The interpretation section: motif activity heatmap and ISM tracks; skipped inputs say so. */
export async function interpretationSection(i: InterpretationInputs): Promise<ReportSection> {
  const paragraphs: string[] = [];
  const figures: ReportFigure[] = [];
  if (i.motifActivity) {
    const m = await motifActivityFigure(i.motifActivity, i.labels, i.maxMotifs ?? 30);
    paragraphs.push(m.paragraph);
    if (m.figure) figures.push(m.figure);
  }
  if (i.ism) {
    const f = await ismFigures(i.ism, i.logoWidth ?? 20);
    paragraphs.push(
      `In-silico mutagenesis of ${f.length - (f.some((x) => x.id === 'ism-logo') ? 1 : 0)} peaks (attribution.xchrom-ism); tracks as bedGraph and bigWig in that stage's output.`,
    );
    figures.push(...f);
  }
  return { title: 'Interpretation', paragraphs, figures };
}
