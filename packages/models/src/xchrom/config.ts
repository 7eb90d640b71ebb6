import { ChromflowError } from '@chromflow/core';

/**
 * Every size of the XChrom model (scBasset's sequence tower + XChrom's cell
 * branch). Layouts are channels-last; the sequence is [length, 4].
 */
export interface XChromConfig {
  /** Sequence window length in bp (1344 in XChrom). */
  seqLength: number;
  stemFilters: number;
  stemKernel: number;
  stemPool: number;
  /** Filters of each tower block (kernel `towerKernel`, pool `towerPool`). */
  towerFilters: number[];
  towerKernel: number;
  towerPool: number;
  /** Filters of the k1 bottleneck convolution before the flatten. */
  bottleneckFilters: number;
  /** Size of the peak and cell embeddings (their dot product is the logit). */
  embeddingDim: number;
  /** Dropout rate on the peak embedding in training. */
  dropout: number;
  /** Width of the cell input (the z-scored RNA PCA). */
  cellInputDim: number;
  /** Hidden width of the cell branch. */
  cellHidden: number;
  /** Standard deviation of the Gaussian noise added to the cell input in training. */
  cellNoiseSd: number;
  bnEpsilon: number;
  bnMomentum: number;
  lnEpsilon: number;
}

const base = {
  seqLength: 1344,
  stemKernel: 17,
  stemPool: 3,
  towerKernel: 5,
  towerPool: 2,
  embeddingDim: 32,
  dropout: 0.2,
  cellInputDim: 32,
  cellHidden: 64,
  cellNoiseSd: 0.01,
  bnEpsilon: 1e-3,
  bnMomentum: 0.9,
  lnEpsilon: 1e-3,
};

/** Filters of an exponential tower: round(start · mult^i), i = 0..n−1. */
export function makeTowerFilters(start: number, mult: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round(start * mult ** i));
}

/** The published XChrom model: 4,518,218 trainable parameters. */
export const XCHROM_PUBLISHED: XChromConfig = {
  ...base,
  stemFilters: 288,
  towerFilters: makeTowerFilters(288, 1.122, 6),
  bottleneckFilters: 256,
};

/** The small configuration used for comparisons: 262,101 trainable parameters. */
export const XCHROM_SMALL: XChromConfig = {
  ...base,
  stemFilters: 64,
  towerFilters: makeTowerFilters(64, 2 ** (1 / 5), 6),
  bottleneckFilters: 32,
};

/** Length of the sequence after the stem and tower pools. */
export function flattenedLength(c: XChromConfig): number {
  let l = Math.floor(c.seqLength / c.stemPool);
  for (let i = 0; i < c.towerFilters.length; i++) l = Math.floor(l / c.towerPool);
  return l;
}

/** Trainable parameter count implied by a configuration (must equal the built model's). */
export function countTrainableParams(c: XChromConfig): number {
  let n = c.stemKernel * 4 * c.stemFilters + 2 * c.stemFilters;
  let cin = c.stemFilters;
  for (const f of c.towerFilters) {
    n += c.towerKernel * cin * f + 2 * f;
    cin = f;
  }
  n += cin * c.bottleneckFilters + 2 * c.bottleneckFilters;
  n += flattenedLength(c) * c.bottleneckFilters * c.embeddingDim + 2 * c.embeddingDim;
  n += 2 * c.cellInputDim + c.cellInputDim * c.cellHidden + c.cellHidden;
  n += c.cellHidden * c.embeddingDim + c.embeddingDim;
  return n + 2;
}

/** Throws a PARAM error when a configuration cannot build a model. */
export function checkXChromConfig(c: XChromConfig): void {
  const ints: (keyof XChromConfig)[] = [
    'seqLength',
    'stemFilters',
    'stemKernel',
    'stemPool',
    'towerKernel',
    'towerPool',
    'bottleneckFilters',
    'embeddingDim',
    'cellInputDim',
    'cellHidden',
  ];
  for (const k of ints) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new ChromflowError('PARAM', `XChrom config field '${k}' must be a positive integer`, {
        field: k,
        expected: 'a positive integer',
        found: String(v),
      });
    }
  }
  if (c.towerFilters.some((f) => !Number.isInteger(f) || f < 1)) {
    throw new ChromflowError('PARAM', 'XChrom tower filters must be positive integers', {
      field: 'towerFilters',
      found: JSON.stringify(c.towerFilters),
    });
  }
  if (flattenedLength(c) < 1) {
    throw new ChromflowError(
      'PARAM',
      'the sequence is too short for the pools of this configuration',
      {
        field: 'seqLength',
        found: String(c.seqLength),
        hint: 'use a longer window or fewer tower blocks',
      },
    );
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) {
    throw new ChromflowError('PARAM', 'dropout must be in [0, 1)', {
      field: 'dropout',
      found: String(c.dropout),
    });
  }
}
