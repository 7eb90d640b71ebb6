import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { qualityLines, readQualityItems, type StageOutcome } from '../src/reporter.js';

// The end-of-run quality lines (issue 17 point 6): figures taken from the
// manifests' metrics, the report's path through the results link.
describe('end-of-run quality summary', () => {
  it('reads manifests and says XChrom AUROCs, QC, clusters and the report path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quality-'));
    const entry = (id: string, manifest: object): string => {
      const d = join(dir, 'cache', id);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'manifest.json'), JSON.stringify(manifest));
      return d;
    };
    const outcomes: StageOutcome[] = [
      {
        id: 'qc',
        stage: 'atac-pseudobulk.cell-qc',
        status: 'ran',
        entryDir: entry('qc', {
          metrics: { cells: 600, passQc: 587, dropped: 13, dropped_fragments: 13, dropped_tss: 0 },
        }),
      },
      {
        id: 'clusters',
        stage: 'cell-embedding.cluster',
        status: 'cached',
        entryDir: entry('clusters', { metrics: { cells: 300, clusters: 4, modularity: 0.61 } }),
      },
      {
        id: 'train',
        stage: 'models.xchrom-train',
        status: 'ran',
        entryDir: entry('train', {
          metrics: {
            'testPeaks.auroc': 0.6891,
            'testCells.auroc': 0.7844,
            'val.auroc': 0.7,
            bestEpoch: 41,
          },
        }),
      },
      {
        id: 'get',
        stage: 'models.get-train',
        status: 'ran',
        entryDir: entry('get', { metrics: { 'test.pearson': 0.512, epochs: 3 } }),
      },
      {
        id: 'report',
        stage: 'report.html',
        status: 'cached',
        entryDir: entry('report', { outputs: { report: { file: 'report' } } }),
      },
      // Failed and skipped stages, and entries without a manifest, say nothing.
      { id: 'predict', stage: 'models.xchrom-predict', status: 'failed' },
      { id: 'lsi', stage: 'atac-pseudobulk.lsi', status: 'ran', entryDir: join(dir, 'missing') },
    ];
    const items = await readQualityItems(outcomes, join(dir, 'results'));
    expect(qualityLines(items, dir)).toEqual([
      'qc (atac-pseudobulk.cell-qc): 587 of 600 cells pass QC (failed: fragments 13)',
      'clusters (cell-embedding.cluster): 4 clusters of 300 cells',
      'train (models.xchrom-train): held-out peaks AUROC 0.689, held-out cells AUROC 0.784 (best epoch 41)',
      'get (models.get-train): test.pearson 0.512',
      `report (report.html): report ${join('results', 'report', 'report', 'index.html')}`,
    ]);
    // Without a results folder the report is named inside its cache entry.
    const noResults = qualityLines(await readQualityItems(outcomes), dir);
    expect(noResults.at(-1)).toBe(
      `report (report.html): report ${join('cache', 'report', 'report', 'index.html')}`,
    );
  });

  it('says nothing for a run without such stages', () => {
    expect(
      qualityLines([{ id: 'genes', stage: 'genome-io.genes', metrics: { genes: 42 } }]),
    ).toEqual([]);
  });
});
