import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineStage, readTable, writeFileAtomic } from '@chromflow/core';
import { htmlReport, type ReportSection } from '../html-report.js';
import { qcSection } from '../sections/qc-section.js';
import {
  embeddingSection,
  type CellColouring,
  type EmbeddingInput,
} from '../sections/embedding-section.js';
import { tracksSection } from '../sections/tracks-section.js';
import { xchromSection } from '../sections/xchrom-section.js';
import { interpretationSection } from '../sections/interpretation-section.js';
import { getSection } from '../sections/get-section.js';
import { stringColumn } from '../table-columns.js';

export type ReportHtmlParams = {
  title: string;
  genes: string[];
  flank: number;
  maxGenes: number;
  seed: number;
  rnaOnlyCellTypes?: string[];
};

/** Cell id → category for each categorical column of a cells table (`label`, `cluster`). */
async function colouringsFrom(path: string): Promise<CellColouring[]> {
  const t = await readTable(path);
  const ids = stringColumn(t, 'barcode') ?? [];
  const out: CellColouring[] = [];
  for (const column of ['cluster', 'label']) {
    const values = stringColumn(t, column);
    if (values) out.push({ title: column, byCell: new Map(ids.map((id, i) => [id, values[i]!])) });
  }
  return out;
}

/**
 * One self-contained HTML report of a run, with a section for each kind of
 * result wired to it (every input is optional); each figure is also written
 * as an SVG file beside it.
 */
export const reportHtmlStage = defineStage<ReportHtmlParams>({
  name: 'report.html',
  version: '2',
  description:
    'A self-contained HTML report (inline SVG, no script, opens offline): cell QC, UMAPs of the cell embeddings, pseudobulk tracks around genes, XChrom training curves, metrics and ROC curves, XChrom motif activity and ISM, GET predicted vs observed; every figure also as SVG.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      title: { type: 'string', description: 'Title of the report.', default: 'chromflow report' },
      genes: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description:
          'Genes (names or ids) whose pseudobulk tracks to show; empty: those with the most coverage near their TSS.',
      },
      flank: {
        type: 'integer',
        description: 'Bases shown on each side of a TSS in the track panels.',
        default: 5000,
        minimum: 100,
        maximum: 1000000,
      },
      maxGenes: {
        type: 'integer',
        description: 'Track panels when `genes` is empty.',
        default: 3,
        minimum: 0,
        maximum: 50,
      },
      seed: { type: 'integer', description: 'Seed of the UMAPs.', default: 42, minimum: 0 },
      rnaOnlyCellTypes: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description:
          "Cell types without ATAC (GET's accessibility from XChrom), marked in the GET section.",
      },
    },
  },
  inputs: {
    qc: { kind: 'table', type: 'cells', description: 'cell-qc output.', optional: true },
    lsi: { kind: 'table', type: 'lsi', description: 'LSI cell embedding.', optional: true },
    pca: { kind: 'table', type: 'pca-scores', description: 'RNA PCA scores.', optional: true },
    'cell-labels': {
      kind: 'table',
      type: 'cells',
      description: 'Cells with `label` and/or `cluster` columns, to colour the UMAPs.',
      optional: true,
    },
    tracks: {
      kind: 'directory',
      type: 'bedgraph-tracks',
      description: 'Pseudobulk coverage per group.',
      optional: true,
    },
    genes: {
      kind: 'table',
      type: 'genes',
      description: 'Gene annotation (for tracks).',
      optional: true,
    },
    'xchrom-checkpoint': {
      kind: 'directory',
      type: 'xchrom-checkpoint',
      description: 'Trained XChrom (history, metrics, split).',
      optional: true,
    },
    'predictions-cells': {
      kind: 'table',
      type: 'xchrom-predictions',
      description: 'XChrom predictions with the weights for unseen cells.',
      optional: true,
    },
    'predictions-peaks': {
      kind: 'table',
      type: 'xchrom-predictions',
      description: 'XChrom predictions with the weights for unseen peaks.',
      optional: true,
    },
    counts: {
      kind: 'table',
      type: 'sparse-coo',
      description: 'Observed cells × regions counts (ROC labels).',
      optional: true,
    },
    cells: { kind: 'table', type: 'cells', description: 'Rows of `counts`.', optional: true },
    'motif-activity': {
      kind: 'table',
      type: 'xchrom-motif-activity',
      description:
        'attribution.xchrom-motif-activity (heatmap of mean z per cell type; types from cell-labels, cells or qc).',
      optional: true,
    },
    'xchrom-ism': {
      kind: 'table',
      type: 'xchrom-ism',
      description: 'attribution.xchrom-ism (per-peak ISM tracks per cell type, a logo).',
      optional: true,
    },
    'get-predictions': {
      kind: 'table',
      type: 'get-predictions',
      description: 'models.get-predict (predicted vs observed at TSSs per cell type).',
      optional: true,
    },
  },
  outputs: {
    report: {
      kind: 'directory',
      type: 'html-report',
      description: 'index.html (self-contained) and figures/<id>.svg.',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const input = (port: string): string | undefined => ctx.inputs[port];
    const sections: ReportSection[] = [];
    const qc = input('qc');
    if (qc) sections.push(await qcSection(qc));
    const embeddings: EmbeddingInput[] = [];
    const lsi = input('lsi');
    if (lsi) embeddings.push({ name: 'LSI', path: lsi, prefix: 'lsi' });
    const pca = input('pca');
    if (pca) embeddings.push({ name: 'PCA', path: pca, prefix: 'pc' });
    if (embeddings.length > 0) {
      const labels = input('cell-labels') ?? qc;
      const colourings = labels ? await colouringsFrom(labels) : [];
      sections.push(await embeddingSection(embeddings, colourings, ctx.params.seed));
    }
    const tracks = input('tracks');
    const genes = input('genes');
    if (tracks && genes)
      sections.push(
        await tracksSection(tracks, genes, {
          genes: ctx.params.genes,
          flank: ctx.params.flank,
          maxGenes: ctx.params.maxGenes,
        }),
      );
    const checkpoint = input('xchrom-checkpoint');
    if (checkpoint)
      sections.push(
        await xchromSection({
          checkpoint,
          predictionsCells: input('predictions-cells'),
          predictionsPeaks: input('predictions-peaks'),
          counts: input('counts'),
          cells: input('cells'),
        }),
      );
    const motifActivity = input('motif-activity');
    const ism = input('xchrom-ism');
    if (motifActivity || ism) {
      const labelsPath = input('cell-labels') ?? input('cells') ?? qc;
      const labels = labelsPath
        ? (await colouringsFrom(labelsPath)).find((c) => c.title === 'label')?.byCell
        : undefined;
      sections.push(await interpretationSection({ motifActivity, ism, labels }));
    }
    const getPredictions = input('get-predictions');
    if (getPredictions)
      sections.push(await getSection(getPredictions, ctx.params.rnaOnlyCellTypes ?? []));
    const dir = ctx.outputs['report']!;
    await mkdir(join(dir, 'figures'), { recursive: true });
    let nFigures = 0;
    for (const s of sections)
      for (const f of s.figures ?? []) {
        await writeFile(join(dir, 'figures', `${f.id}.svg`), f.svg);
        nFigures += 1;
      }
    await writeFileAtomic(
      join(dir, 'index.html'),
      htmlReport({
        title: ctx.params.title,
        subtitle: `Made by chromflow on ${new Date().toISOString().slice(0, 10)} from ${sections.length} kinds of result.`,
        sections,
      }),
    );
    ctx.log.info(
      `report: ${sections.length} sections, ${nFigures} figures → ${join(dir, 'index.html')}`,
    );
    return { metrics: { sections: sections.length, figures: nFigures } };
  },
});
