import { ChromflowError } from '@chromflow/core';

/**
 * GET's model configuration (`../../../shared/notes/get-reference.md`):
 * Linear(F → D) region embedding, learned CLS token, `layers` pre-norm
 * blocks (erf-GELU MLP ratio 4, drop-path), final LayerNorm, one head.
 */
export type GetTask = 'expression' | 'atac' | 'pretrain';

export interface GetConfig {
  /** Input features per region: motif clusters + 1 (accessibility last). */
  features: number;
  dim: number;
  layers: number;
  heads: number;
  /** Drop-path rate of each block's residual branches (GET: 0.1). */
  dropPath: number;
  /**
   * `none` (GET's default), `learned`: an embedding per region position in
   * the window (up to `maxRegions`; in fixed windows it names each region),
   * or `relative`: an attention bias by genomic distance in bp between
   * regions, learned per layer and head (`relative-position.ts`).
   */
  positional: 'none' | 'learned' | 'relative';
  maxRegions: number;
  /** LayerNorm epsilon (timm blocks: 1e-6). */
  epsilon: number;
  /** expression: Linear D→2 + Softplus; atac: Linear D→1 from motifs (accessibility zeroed); pretrain: mask token + Linear D→F. */
  task: GetTask;
  /** Masked fraction of region positions in pretraining (GET: 0.5). */
  maskRatio: number;
  /**
   * Expression loss over `all` region × strand pairs (GET: non-TSS zeros are
   * negative labels; the default) or only the `tss`-masked pairs the metrics
   * use (where promoter status is not in the inputs, the zeros are label noise).
   */
  expressionLoss?: 'all' | 'tss';
  /** LoRA adapters on the region embedding and every encoder linear; the head trains in full. */
  lora?: { rank: number; alpha: number };
}

export type GetSize = 'published' | 'small' | 'tiny';

const sizes: Record<GetSize, Pick<GetConfig, 'dim' | 'layers' | 'heads'>> = {
  /** Fu et al. 2025: ≈ 86 M parameters. */
  published: { dim: 768, layers: 12, heads: 12 },
  /** The default: trains on the embedded test-data in a few minutes on 2 cores. */
  small: { dim: 128, layers: 4, heads: 4 },
  /** For tests and the default pipeline run (seconds per epoch). */
  tiny: { dim: 32, layers: 2, heads: 4 },
};

/** A named size for `features` inputs and a task. */
export function getConfig(
  size: GetSize,
  features: number,
  task: GetTask = 'expression',
  extra: Partial<GetConfig> = {},
): GetConfig {
  const s = sizes[size];
  if (s === undefined) {
    throw new ChromflowError('PARAM', 'unknown GET size', {
      field: 'size',
      expected: Object.keys(sizes).join(' | '),
      found: String(size),
    });
  }
  return {
    features,
    ...s,
    dropPath: 0.1,
    positional: 'none',
    maxRegions: 1024,
    epsilon: 1e-6,
    task,
    maskRatio: 0.5,
    ...extra,
  };
}

export const GET_SIZES = Object.keys(sizes) as GetSize[];
