import {
  ChromflowError,
  isChromflowError,
  type LongRunOptions,
  type SparseMatrix,
} from '@chromflow/core';
import { RegionCounter } from '../count-matrix.js';
import type { FragmentColumns } from '../fragment-batch.js';
import type { RegionColumns } from '../region-index.js';
import { scanFragments } from '../scan-fragments.js';
import { subsampleTokenSets, tokenSetsFromSparse, type TokenSets } from './token-sets.js';
import type { Vocabulary } from './vocabulary.js';

/**
 * A token is a universe region overlapped by at least one base by any of the
 * cell's intervals, both 0-based half-open: region `[a, b)` and fragment
 * `[s, e)` overlap iff `a < e && s < b` (touching is no overlap), which is
 * what `bedtools intersect -u -a universe -b fragments` keeps.
 */
export interface TokenizeOptions extends LongRunOptions {
  /** Tokens kept per cell (default 8,192); larger cells are subsampled. */
  contextLength: number;
  /** Seed of the subsampling. */
  seed: number;
  /** The universe's file, named in the wrong-genome-build error. */
  universePath?: string;
}

/** Token sets plus the number of intervals read. */
export interface Tokenized extends TokenSets {
  /** Fragments (or BED records, or matrix non-zeros) read. */
  intervalsRead: number;
}

/** The counter that finds tokens: fragment overlap, binarised (memory follows the token sets). */
function tokenCounter(v: Vocabulary, cells?: readonly string[]): RegionCounter {
  return new RegionCounter(v.regions, { method: 'fragment-overlap', binarise: true }, cells);
}

/** `finish`, with the chromosome-mismatch error naming the input and the universe files. */
function finishCounting(
  counter: RegionCounter,
  inputPath: string,
  options: TokenizeOptions,
): { matrix: SparseMatrix; barcodes: string[]; fragmentsRead: number } {
  try {
    return counter.finish();
  } catch (e) {
    if (isChromflowError(e) && e.field === 'chrom') {
      throw new ChromflowError(
        'VALUE',
        `no interval of ${inputPath} lies on a chromosome of the universe ${options.universePath ?? '(given in memory)'}: another genome build or naming?`,
        {
          path: inputPath,
          field: 'chrom',
          expected: e.expected,
          found: e.found,
          hint: e.hint,
          cause: e,
        },
      );
    }
    throw e;
  }
}

function finishTokens(
  counter: RegionCounter,
  inputPath: string,
  options: TokenizeOptions,
): Tokenized {
  const counts = finishCounting(counter, inputPath, options);
  const sets = tokenSetsFromSparse(counts.matrix, counts.barcodes);
  return {
    ...subsampleTokenSets(sets, options.contextLength, options.seed),
    intervalsRead: counts.fragmentsRead,
  };
}

/**
 * Cells of a 10x fragments file (sorted; plain, gzip or bgzip) as token sets,
 * in one streaming pass: memory follows the token sets, not the fragments.
 * Rows: `cells` in order when given, else every barcode in order of first
 * appearance. Cells with zero tokens are kept (n_tokens 0).
 */
export async function tokenizeFragments(
  fragmentsPath: string,
  vocabulary: Vocabulary,
  options: TokenizeOptions,
  cells?: readonly string[],
): Promise<Tokenized> {
  const counter = tokenCounter(vocabulary, cells);
  await scanFragments(fragmentsPath, [counter], {
    signal: options.signal,
    onProgress: options.onProgress,
  });
  return finishTokens(counter, fragmentsPath, options);
}

/**
 * One sample's regions (a bulk BED file's records, 0-based half-open, any
 * order) as one cell named `name`.
 */
export function tokenizeRegions(
  regions: RegionColumns,
  name: string,
  vocabulary: Vocabulary,
  options: TokenizeOptions & { path: string },
): Tokenized {
  const counter = tokenCounter(vocabulary);
  const batch: FragmentColumns = {
    chromNames: regions.chromNames,
    barcodes: [name],
    chromIds: regions.chromIds,
    starts: regions.starts,
    ends: regions.ends,
    barcodeIds: new Int32Array(regions.starts.length),
  };
  counter.addBatch(batch);
  return finishTokens(counter, options.path, options);
}

/**
 * Cells of a cells × peaks matrix (e.g. an h5ad's X) as token sets: each
 * non-zero (cell, peak) entry stands for the peak's interval in that cell, so
 * a cell's tokens are the universe regions overlapping any of its non-zero
 * peaks. `peaks` are the matrix columns (0-based half-open).
 */
export function tokenizePeakMatrix(
  matrix: SparseMatrix,
  barcodes: readonly string[],
  peaks: RegionColumns,
  vocabulary: Vocabulary,
  options: TokenizeOptions & { path: string },
): Tokenized {
  if (barcodes.length !== matrix.nRows || peaks.starts.length !== matrix.nCols) {
    throw new ChromflowError('SCHEMA', 'the matrix shape does not match its cells and peaks', {
      path: options.path,
      expected: `${barcodes.length} cells × ${peaks.starts.length} peaks`,
      found: `${matrix.nRows} × ${matrix.nCols}`,
    });
  }
  const counter = tokenCounter(vocabulary, barcodes);
  const nnz = matrix.rows.length;
  const chunk = 1 << 16;
  const chromIds = new Int32Array(chunk);
  const starts = new Int32Array(chunk);
  const ends = new Int32Array(chunk);
  const barcodeIds = new Int32Array(chunk);
  for (let k0 = 0; k0 < nnz; k0 += chunk) {
    let n = 0;
    for (let k = k0; k < Math.min(nnz, k0 + chunk); k++) {
      if (matrix.values[k] === 0) continue;
      const p = matrix.cols[k]!;
      chromIds[n] = peaks.chromIds[p]!;
      starts[n] = peaks.starts[p]!;
      ends[n] = peaks.ends[p]!;
      barcodeIds[n++] = matrix.rows[k]!;
    }
    counter.addBatch({
      chromNames: peaks.chromNames,
      barcodes,
      chromIds,
      starts,
      ends,
      barcodeIds,
      length: n,
    });
  }
  return finishTokens(counter, options.path, options);
}
