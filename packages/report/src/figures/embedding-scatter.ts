import type { TopLevelSpec } from 'vega-lite';

export interface EmbeddingScatterInput {
  /** Interleaved (x, y) per cell. */
  xy: ArrayLike<number>;
  /** One category per cell (cluster, cell type …). */
  colour: readonly string[];
  colourTitle: string;
  axisTitle: string;
}

/** Cells on a 2-D embedding (UMAP), coloured by a category. */
export function embeddingScatterSpec(e: EmbeddingScatterInput): TopLevelSpec {
  const values = e.colour.map((c, i) => ({
    x: e.xy[2 * i] as number,
    y: e.xy[2 * i + 1] as number,
    c,
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 360,
    height: 300,
    data: { values },
    mark: { type: 'point', filled: true, size: 16, opacity: 0.7 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: `${e.axisTitle} 1`, axis: { labels: false } },
      y: { field: 'y', type: 'quantitative', title: `${e.axisTitle} 2`, axis: { labels: false } },
      color: { field: 'c', type: 'nominal', title: e.colourTitle },
    },
  };
}
