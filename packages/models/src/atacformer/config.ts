import { ChromflowError } from '@chromflow/core';

/**
 * Atacformer's configuration (`../../../shared/notes/atacformer-claster-reference.md`):
 * a token embedding over the vocabulary (special tokens + universe regions),
 * a transformer encoder with no positional information (a cell is a set of
 * regions), ReLU FFN, and a per-token replaced-token-detection head.
 * Blocks are pre-norm with a final LayerNorm (compute's encoder; the
 * published model is torch's default post-norm, which trains less stably
 * from scratch at these small sizes); no dropout.
 */
export interface AtacformerConfig {
  /** Tokens in the vocabulary (7 special + regions); the embedding table's rows. */
  vocabSize: number;
  dim: number;
  ffnDim: number;
  layers: number;
  heads: number;
  /** Most tokens a cell is read with; larger cells are subsampled (seeded, per barcode). */
  contextLength: number;
  /** LayerNorm epsilon (torch default 1e-5). */
  epsilon: number;
  /** Replaced-token detection: probability that a token is replaced (Atacformer: 0.45). */
  replaceProbability: number;
  /** Standard deviation of the initial token rows (torch `nn.Embedding`: 1). */
  embeddingInitStd: number;
}

export type AtacformerSize = 'published' | 'small' | 'tiny';

const sizes: Record<
  AtacformerSize,
  Omit<AtacformerConfig, 'vocabSize' | 'epsilon' | 'replaceProbability' | 'embeddingInitStd'>
> = {
  /** The paper's model: d 384, FFN 1536, 6 layers, 8 heads, context 8,192. */
  published: { dim: 384, ffnDim: 1536, layers: 6, heads: 8, contextLength: 8192 },
  /** Trains on test-data in about a minute on 2 cores. */
  small: { dim: 64, ffnDim: 256, layers: 2, heads: 4, contextLength: 512 },
  /** Tests and the default pipeline run. */
  tiny: { dim: 32, ffnDim: 64, layers: 1, heads: 2, contextLength: 256 },
};

export const ATACFORMER_SIZES = Object.keys(sizes) as AtacformerSize[];

/** A named size for a vocabulary of `vocabSize` tokens. */
export function atacformerConfig(
  size: AtacformerSize,
  vocabSize: number,
  extra: Partial<AtacformerConfig> = {},
): AtacformerConfig {
  const s = sizes[size];
  if (s === undefined) {
    throw new ChromflowError('PARAM', 'unknown Atacformer size', {
      field: 'size',
      expected: ATACFORMER_SIZES.join(' | '),
      found: String(size),
    });
  }
  return {
    vocabSize,
    ...s,
    epsilon: 1e-5,
    replaceProbability: 0.45,
    embeddingInitStd: 1,
    ...extra,
  };
}

export function validateAtacformerConfig(c: AtacformerConfig): void {
  const bad = (field: string, expected: string, found: unknown): never => {
    throw new ChromflowError('PARAM', 'invalid Atacformer configuration', {
      field,
      expected,
      found: String(found),
    });
  };
  if (!(Number.isInteger(c.vocabSize) && c.vocabSize >= 8))
    bad('vocabSize', 'an integer ≥ 8 (7 special tokens and at least one region)', c.vocabSize);
  if (c.dim % c.heads !== 0) bad('dim', `a multiple of heads (${c.heads})`, c.dim);
  if (!(Number.isInteger(c.contextLength) && c.contextLength >= 1))
    bad('contextLength', 'an integer ≥ 1', c.contextLength);
  if (!(c.replaceProbability > 0 && c.replaceProbability < 1))
    bad('replaceProbability', 'in (0, 1)', c.replaceProbability);
}
