import type { SparseMatrix } from '@chromflow/core';
import { BarcodeRows, batchLength, type FragmentColumns } from './fragment-batch.js';
import type { RegionColumns } from './region-index.js';
import { SparseAccumulator } from './sparse-accumulator.js';

export interface TileOptions {
  /** Tile width in bases. Default 500 (ArchR's TileMatrix). */
  tileSize?: number;
  /** Cap per cell × tile; default none (ArchR's TileMatrix is binarised instead). */
  cap?: number;
  binarise?: boolean;
  /**
   * Chromosome sizes: tiles then cover each chromosome to its end and
   * chromosomes absent from the fragments still get tiles; without them a
   * chromosome's tiles end at the last tile holding an insertion.
   */
  chromSizes?: ReadonlyMap<string, number>;
}

/** A cells × tiles matrix and its tiles (0-based half-open `[k·size, min((k+1)·size, chromSize))`). */
export interface TileCounts {
  matrix: SparseMatrix;
  tiles: RegionColumns;
  barcodes: string[];
  nFragments: Int32Array;
}

/**
 * Streaming cells × fixed-width genome tiles counter: each fragment adds its
 * two Tn5 insertions (0-based `start`, `end-1`) to the tiles holding them.
 */
export class TileCounter {
  readonly rows: BarcodeRows;
  private readonly size: number;
  private readonly options: TileOptions;
  private readonly perChrom = new Map<string, { acc: SparseAccumulator; maxTile: number }>();

  constructor(options: TileOptions = {}, cells?: readonly string[]) {
    this.options = options;
    this.size = options.tileSize ?? 500;
    this.rows = new BarcodeRows(cells);
  }

  addBatch(batch: FragmentColumns): void {
    const idToRow = this.rows.resolve(batch);
    const n = batchLength(batch);
    const size = this.size;
    let lastChrom = -1;
    let cur: { acc: SparseAccumulator; maxTile: number } | undefined;
    for (let i = 0; i < n; i++) {
      const chrom = batch.chromIds[i]!;
      if (chrom !== lastChrom) {
        lastChrom = chrom;
        const name = batch.chromNames[chrom]!;
        cur = this.perChrom.get(name);
        if (!cur) {
          cur = { acc: new SparseAccumulator(1 << 12), maxTile: -1 };
          this.perChrom.set(name, cur);
        }
      }
      const row = idToRow[batch.barcodeIds[i]!]!;
      if (row < 0) continue;
      this.rows.countFragment(row);
      const a = Math.floor(batch.starts[i]! / size);
      const b = Math.floor((batch.ends[i]! - 1) / size);
      cur!.acc.add(row, a, 1);
      cur!.acc.add(row, b, 1);
      if (b > cur!.maxTile) cur!.maxTile = b;
      if (a > cur!.maxTile) cur!.maxTile = a;
    }
  }

  finish(): TileCounts {
    const size = this.size;
    const sizes = this.options.chromSizes;
    const chroms = [...this.perChrom.keys()];
    if (sizes) for (const c of sizes.keys()) if (!this.perChrom.has(c)) chroms.push(c);
    const cap = this.options.cap ?? Number.POSITIVE_INFINITY;
    const binarise = this.options.binarise ?? false;
    const transform = (v: number): number => (binarise ? (v > 0 ? 1 : 0) : Math.min(v, cap));
    const nRows = this.rows.nRows;
    const parts: SparseMatrix[] = [];
    const offsets: number[] = [];
    const tileChromIds: number[] = [];
    const tileStarts: number[] = [];
    const tileEnds: number[] = [];
    let offset = 0;
    chroms.forEach((c, ci) => {
      const entry = this.perChrom.get(c);
      const chromSize = sizes?.get(c);
      const nTiles =
        chromSize !== undefined ? Math.ceil(chromSize / size) : (entry?.maxTile ?? -1) + 1;
      for (let k = 0; k < nTiles; k++) {
        tileChromIds.push(ci);
        tileStarts.push(k * size);
        tileEnds.push(
          chromSize !== undefined ? Math.min((k + 1) * size, chromSize) : (k + 1) * size,
        );
      }
      if (entry) {
        parts.push(entry.acc.toSparse(nRows, nTiles, undefined, transform));
        offsets.push(offset);
      }
      offset += nTiles;
    });
    // Merge the per-chromosome parts (each sorted by row, then tile) into row-major order.
    const nnz = parts.reduce((s, p) => s + p.rows.length, 0);
    const rowStarts = new Int32Array(nRows + 1);
    for (const p of parts) for (const r of p.rows) rowStarts[r + 1]!++;
    for (let r = 0; r < nRows; r++) rowStarts[r + 1]! += rowStarts[r]!;
    const rows = new Int32Array(nnz);
    const cols = new Int32Array(nnz);
    const values = new Float32Array(nnz);
    parts.forEach((p, pi) => {
      for (let k = 0; k < p.rows.length; k++) {
        const dst = rowStarts[p.rows[k]!]!++;
        rows[dst] = p.rows[k]!;
        cols[dst] = p.cols[k]! + offsets[pi]!;
        values[dst] = p.values[k]!;
      }
    });
    return {
      matrix: { nRows, nCols: offset, rows, cols, values },
      tiles: {
        chromNames: chroms,
        chromIds: Int32Array.from(tileChromIds),
        starts: Int32Array.from(tileStarts),
        ends: Int32Array.from(tileEnds),
      },
      barcodes: this.rows.barcodes,
      nFragments: this.rows.nFragments.slice(),
    };
  }
}
