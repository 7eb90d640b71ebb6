import { readTable } from '@chromflow/core';
import { QC_THRESHOLDS_KEY } from '@chromflow/atac-pseudobulk';
import type { ReportSection } from '../html-report.js';
import { renderVegaLite } from '../render-svg.js';
import { qcScatterSpec } from '../figures/qc-scatter.js';
import { numberColumn } from '../table-columns.js';

/** Cell QC: TSS enrichment against fragments with thresholds, and how many cells passed. */
export async function qcSection(cellsPath: string): Promise<ReportSection> {
  const t = await readTable(cellsPath);
  const nFragments = numberColumn(t, 'n_fragments', cellsPath);
  const tss = numberColumn(t, 'tss_enrichment', cellsPath);
  const passCol = t.getChild('pass_qc');
  const pass = passCol ? Array.from(passCol, (x) => x === true) : undefined;
  const thresholdsJson = t.schema.metadata.get(QC_THRESHOLDS_KEY);
  const thresholds = thresholdsJson ? (JSON.parse(thresholdsJson) as Record<string, number>) : {};
  const nPass = pass ? pass.filter(Boolean).length : t.numRows;
  const svg = await renderVegaLite(
    qcScatterSpec({
      nFragments,
      tssEnrichment: tss,
      ...(pass ? { passQc: pass } : {}),
      ...(thresholds['minFragments'] === undefined
        ? {}
        : { minFragments: thresholds['minFragments'] }),
      ...(thresholds['minTssEnrichment'] === undefined
        ? {}
        : { minTssEnrichment: thresholds['minTssEnrichment'] }),
    }),
  );
  const median = (xs: Float64Array): number => {
    const s = Float64Array.from(xs.filter(Number.isFinite)).sort();
    return s.length ? s[Math.floor(s.length / 2)]! : NaN;
  };
  return {
    title: 'Cell QC',
    paragraphs: [
      `${nPass} of ${t.numRows} cells pass QC; median ${median(nFragments)} unique fragments and TSS enrichment ${median(tss).toFixed(2)} per cell.`,
    ],
    figures: [
      {
        id: 'qc-tss-vs-fragments',
        title: 'TSS enrichment against unique fragments',
        svg,
        caption:
          'One point per barcode; dashed lines are the QC thresholds where the QC stage recorded them.',
      },
    ],
  };
}
