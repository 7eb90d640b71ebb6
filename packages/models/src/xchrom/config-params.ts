import { ChromflowError } from '@chromflow/core';
import { XCHROM_PUBLISHED, XCHROM_SMALL, type XChromConfig } from './config.js';

/** Size parameters a stage accepts: a named size, optionally overridden field by field. */
export interface XChromSizeParams {
  size: 'small' | 'published';
  stemFilters?: number;
  towerFilters?: number[];
  bottleneckFilters?: number;
  embeddingDim?: number;
  cellHidden?: number;
  seqLength?: number;
}

/** The configuration named by `size` with explicit overrides applied. */
export function configFromParams(
  p: XChromSizeParams,
  seqLength: number,
  cellInputDim: number,
): XChromConfig {
  const base =
    p.size === 'published' ? XCHROM_PUBLISHED : p.size === 'small' ? XCHROM_SMALL : undefined;
  if (!base) {
    throw new ChromflowError('PARAM', 'unknown XChrom size', {
      field: 'size',
      expected: 'small | published',
      found: String(p.size),
    });
  }
  return {
    ...base,
    seqLength,
    cellInputDim,
    stemFilters: p.stemFilters ?? base.stemFilters,
    towerFilters: p.towerFilters ?? base.towerFilters,
    bottleneckFilters: p.bottleneckFilters ?? base.bottleneckFilters,
    embeddingDim: p.embeddingDim ?? base.embeddingDim,
    cellHidden: p.cellHidden ?? base.cellHidden,
  };
}
