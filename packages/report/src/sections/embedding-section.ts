import { readTable } from '@chromflow/core';
import type { ReportFigure, ReportSection } from '../html-report.js';
import { renderVegaLite } from '../render-svg.js';
import { embeddingScatterSpec } from '../figures/embedding-scatter.js';
import { numberColumn, numberedColumns, stringColumn } from '../table-columns.js';
import { umap2d } from '../umap.js';

export interface EmbeddingInput {
  /** What the embedding is (`LSI`, `PCA` …). */
  name: string;
  path: string;
  /** Column-name prefix of its components (`lsi`, `PC` …). */
  prefix: string;
  /** Column holding the cell id (`barcode`). */
  idColumn?: string;
}

export interface CellColouring {
  title: string;
  /** Cell id → category. */
  byCell: Map<string, string>;
}

/** A UMAP of each embedding, coloured by each available cell annotation (clusters, labels). */
export async function embeddingSection(
  embeddings: readonly EmbeddingInput[],
  colourings: readonly CellColouring[],
  seed: number,
): Promise<ReportSection> {
  const figures: ReportFigure[] = [];
  const paragraphs: string[] = [];
  for (const e of embeddings) {
    const t = await readTable(e.path);
    const cols = numberedColumns(t, e.prefix);
    if (cols.length === 0) {
      paragraphs.push(`${e.name}: no '${e.prefix}1…' columns in ${e.path}; not drawn.`);
      continue;
    }
    const ids = stringColumn(t, e.idColumn ?? 'barcode') ?? [];
    const columns = cols.map((c) => numberColumn(t, c, e.path));
    const values = new Float64Array(t.numRows * cols.length);
    for (let r = 0; r < t.numRows; r++)
      for (let c = 0; c < cols.length; c++) values[r * cols.length + c] = columns[c]![r]!;
    const xy = umap2d(values, t.numRows, cols.length, { seed });
    paragraphs.push(
      `UMAP of ${t.numRows} cells on ${cols.length} ${e.name} components (umap-js, seed ${seed}).`,
    );
    const schemes: readonly CellColouring[] =
      colourings.length > 0 ? colourings : [{ title: 'cells', byCell: new Map<string, string>() }];
    for (const colouring of schemes) {
      const colour = ids.map((id) => colouring.byCell.get(id) ?? 'NA');
      figures.push({
        id: `umap-${e.name.toLowerCase()}-${colouring.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
        title: `UMAP of ${e.name}, coloured by ${colouring.title}`,
        svg: await renderVegaLite(
          embeddingScatterSpec({ xy, colour, colourTitle: colouring.title, axisTitle: 'UMAP' }),
        ),
      });
    }
  }
  return { title: 'Cell embeddings', paragraphs, figures };
}
