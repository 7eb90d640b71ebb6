/**
 * What the counting kernels need from a batch of fragments (structurally a
 * subset of `@chromflow/genome-io`'s `FragmentBatch`). Fragment i covers the
 * 0-based half-open interval `[starts[i], ends[i])` on chromosome
 * `chromNames[chromIds[i]]`; its two Tn5 insertions are the 0-based bases
 * `starts[i]` and `ends[i] - 1` (1-based `start+1` and `end`, as ArchR reads
 * them; the cut sites cellranger counts).
 */
export interface FragmentColumns {
  /** Chromosome names by id (may grow from batch to batch). */
  chromNames: readonly string[];
  /** Barcodes by id (may grow from batch to batch). */
  barcodes: readonly string[];
  chromIds: ArrayLike<number>;
  starts: ArrayLike<number>;
  ends: ArrayLike<number>;
  barcodeIds: ArrayLike<number>;
  /** Number of fragments in the batch; `starts.length` when absent. */
  length?: number;
}

/** Fragments in a batch. */
export function batchLength(batch: FragmentColumns): number {
  return batch.length ?? batch.starts.length;
}

/**
 * Maps reader barcode ids to matrix rows. With a fixed cell list, barcodes
 * outside it map to -1; without one, every barcode gets a row in order of
 * first appearance. Counts each row's fragments (all chromosomes).
 */
export class BarcodeRows {
  readonly barcodes: string[];
  private readonly fixed: boolean;
  private readonly rowOf = new Map<string, number>();
  private idToRow = new Int32Array(0);
  private resolved = 0;
  private fragmentCounts: Int32Array;

  /** `cells`: the barcodes that make the rows, in order; omitted = every barcode seen. */
  constructor(cells?: readonly string[]) {
    this.fixed = cells !== undefined;
    this.barcodes = cells ? [...cells] : [];
    this.barcodes.forEach((b, i) => this.rowOf.set(b, i));
    this.fragmentCounts = new Int32Array(Math.max(16, this.barcodes.length));
  }

  get nRows(): number {
    return this.barcodes.length;
  }

  /** Fragments per row so far (a view of length `nRows`). */
  get nFragments(): Int32Array {
    return this.fragmentCounts.subarray(0, this.barcodes.length);
  }

  /** Row of each reader barcode id (-1 = not a cell); extended to cover `dicts.barcodes`. */
  resolve(dicts: Pick<FragmentColumns, 'barcodes'>): Int32Array {
    const n = dicts.barcodes.length;
    if (n > this.idToRow.length) {
      const next = new Int32Array(Math.max(n, this.idToRow.length * 2));
      next.set(this.idToRow);
      this.idToRow = next;
    }
    for (let id = this.resolved; id < n; id++) {
      const b = dicts.barcodes[id]!;
      let row = this.rowOf.get(b);
      if (row === undefined) {
        if (this.fixed) row = -1;
        else {
          row = this.barcodes.length;
          this.barcodes.push(b);
          this.rowOf.set(b, row);
          if (row >= this.fragmentCounts.length) {
            const grown = new Int32Array(this.fragmentCounts.length * 2);
            grown.set(this.fragmentCounts);
            this.fragmentCounts = grown;
          }
        }
      }
      this.idToRow[id] = row;
    }
    this.resolved = n;
    return this.idToRow;
  }

  /** Adds one fragment to `row`'s count. */
  countFragment(row: number): void {
    this.fragmentCounts[row]!++;
  }
}
