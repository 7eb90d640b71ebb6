import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '@chromflow/core';
import { geluErf, relu } from './activations.js';
import { createAttention, multiHeadSelfAttention, type AttentionParams } from './attention.js';
import { applyDropout, applyDropPath, drawDropoutMask, drawDropPathMask } from './dropout.js';
import { applyLayerNorm, createLayerNorm, type LayerNormParams } from './layer-norm.js';
import { createLinear, linear, type LinearParams } from './linear.js';
import type { VariableList } from './named-variables.js';

/**
 * Pre-norm transformer encoder block, PyTorch
 * `nn.TransformerEncoderLayer(d_model=D, nhead=H, dim_feedforward=F,
 * activation, batch_first=True, norm_first=True)` plus timm-style drop-path
 * (GET's blocks): x += dropPath(dropout(MHA(LN₁(x))));
 * x += dropPath(dropout(W₂·dropout(act(W₁·LN₂(x))))).
 */
export type FfnActivation = 'gelu-erf' | 'relu';

export interface TransformerBlockParams {
  norm1: LayerNormParams;
  attention: AttentionParams;
  norm2: LayerNormParams;
  ffn1: LinearParams;
  ffn2: LinearParams;
  activation: FfnActivation;
}

export interface TransformerBlockShape {
  dim: number;
  heads: number;
  ffnDim: number;
  activation: FfnActivation;
  /** LayerNorm epsilon (torch default 1e-5; GET's timm blocks use 1e-6). */
  epsilon?: number;
}

/**
 * Host-drawn masks of one block for one batch (see `dropout.ts`); each is
 * optional (absent = not applied, as in evaluation). Shapes: `attention` and
 * `output` [B, T, D] (after the attention branch / after the FFN), `hidden`
 * [B, T, F] (after the activation), `dropPath` [B].
 */
export interface TransformerBlockMasks {
  attention?: tf.Tensor;
  hidden?: tf.Tensor;
  output?: tf.Tensor;
  dropPath?: tf.Tensor1D;
  /** [B or 1, H, T, T] added to the attention scores (see `multiHeadSelfAttention`); not random, but per batch like the masks. */
  scoreBias?: tf.Tensor4D;
}

/** Creates norm1, attention (qkv, out), norm2, ffn1, ffn2 under `<prefix>/…` in that order. */
export function createTransformerBlock(
  vars: VariableList,
  rng: SeededRandom,
  prefix: string,
  s: TransformerBlockShape,
  trainable = true,
): TransformerBlockParams {
  const eps = s.epsilon ?? 1e-5;
  return {
    norm1: createLayerNorm(vars, `${prefix}/norm1`, s.dim, eps, trainable),
    attention: createAttention(vars, rng, `${prefix}/attention`, s.dim, s.heads, trainable),
    norm2: createLayerNorm(vars, `${prefix}/norm2`, s.dim, eps, trainable),
    ffn1: createLinear(vars, rng, `${prefix}/ffn1`, s.dim, s.ffnDim, trainable),
    ffn2: createLinear(vars, rng, `${prefix}/ffn2`, s.ffnDim, s.dim, trainable),
    activation: s.activation,
  };
}

function branch(y: tf.Tensor, dropout: tf.Tensor | undefined, dropPath: tf.Tensor1D | undefined) {
  const d = dropout === undefined ? y : applyDropout(y, dropout);
  return dropPath === undefined ? d : applyDropPath(d, dropPath);
}

/** One block on x [B, T, D]; `keyPaddingMask` [B, T] as in `multiHeadSelfAttention`. */
export function transformerBlock(
  x: tf.Tensor3D,
  p: TransformerBlockParams,
  keyPaddingMask?: tf.Tensor2D,
  masks: TransformerBlockMasks = {},
): tf.Tensor3D {
  return tf.tidy(() => {
    const a = multiHeadSelfAttention(
      applyLayerNorm(x, p.norm1) as tf.Tensor3D,
      p.attention,
      keyPaddingMask,
      masks.scoreBias,
    );
    const x1 = tf.add(x, branch(a, masks.attention, masks.dropPath));
    let hidden = linear(applyLayerNorm(x1, p.norm2), p.ffn1);
    hidden = p.activation === 'gelu-erf' ? geluErf(hidden) : relu(hidden);
    if (masks.hidden !== undefined) hidden = applyDropout(hidden, masks.hidden);
    const f = linear(hidden, p.ffn2);
    return tf.add<tf.Tensor3D>(x1, branch(f, masks.output, masks.dropPath));
  });
}

/** An encoder: `layers` blocks, then an optional final LayerNorm (`nn.TransformerEncoder(norm=…)`). */
export interface TransformerEncoderParams {
  blocks: TransformerBlockParams[];
  finalNorm?: LayerNormParams;
}

export interface TransformerEncoderShape extends TransformerBlockShape {
  layers: number;
  finalNorm: boolean;
}

/** Creates `<prefix>/block<i>/…` for each layer, then `<prefix>/norm`. */
export function createTransformerEncoder(
  vars: VariableList,
  rng: SeededRandom,
  prefix: string,
  s: TransformerEncoderShape,
  trainable = true,
): TransformerEncoderParams {
  const blocks: TransformerBlockParams[] = [];
  for (let i = 0; i < s.layers; i++) {
    blocks.push(createTransformerBlock(vars, rng, `${prefix}/block${i}`, s, trainable));
  }
  const finalNorm = s.finalNorm
    ? createLayerNorm(vars, `${prefix}/norm`, s.dim, s.epsilon ?? 1e-5, trainable)
    : undefined;
  return finalNorm === undefined ? { blocks } : { blocks, finalNorm };
}

/** Runs the stack; `masks[i]` are block i's masks. */
export function transformerEncoder(
  x: tf.Tensor3D,
  p: TransformerEncoderParams,
  keyPaddingMask?: tf.Tensor2D,
  masks: readonly TransformerBlockMasks[] = [],
): tf.Tensor3D {
  return tf.tidy(() => {
    let y = x;
    p.blocks.forEach((b, i) => {
      y = transformerBlock(y, b, keyPaddingMask, masks[i]);
    });
    return p.finalNorm === undefined ? y : (applyLayerNorm(y, p.finalNorm) as tf.Tensor3D);
  });
}

/** Rates of the random masks of a block (0 = that mask is not drawn). */
export interface TransformerDropoutRates {
  dropout: number;
  dropPath: number;
}

/** Host masks of one block for a [batch, tokens] batch, in a fixed draw order (attention, hidden, output, dropPath). */
export interface HostBlockMasks {
  attention?: Float32Array;
  hidden?: Float32Array;
  output?: Float32Array;
  dropPath?: Float32Array;
}

/** Draws one block's masks from `rng` (for `transformerBlockMasksToTensors`). */
export function drawTransformerBlockMasks(
  rng: SeededRandom,
  batch: number,
  tokens: number,
  s: Pick<TransformerBlockShape, 'dim' | 'ffnDim'>,
  rates: TransformerDropoutRates,
): HostBlockMasks {
  const out: HostBlockMasks = {};
  if (rates.dropout > 0) {
    out.attention = drawDropoutMask(rng, batch * tokens * s.dim, rates.dropout);
    out.hidden = drawDropoutMask(rng, batch * tokens * s.ffnDim, rates.dropout);
    out.output = drawDropoutMask(rng, batch * tokens * s.dim, rates.dropout);
  }
  if (rates.dropPath > 0) out.dropPath = drawDropPathMask(rng, batch, rates.dropPath);
  return out;
}

/** Tensors of host masks drawn for [batch, tokens] (caller disposes). */
export function transformerBlockMasksToTensors(
  m: HostBlockMasks,
  batch: number,
  tokens: number,
  s: Pick<TransformerBlockShape, 'dim' | 'ffnDim'>,
): TransformerBlockMasks {
  const out: TransformerBlockMasks = {};
  if (m.attention) out.attention = tf.tensor3d(m.attention, [batch, tokens, s.dim]);
  if (m.hidden) out.hidden = tf.tensor3d(m.hidden, [batch, tokens, s.ffnDim]);
  if (m.output) out.output = tf.tensor3d(m.output, [batch, tokens, s.dim]);
  if (m.dropPath) out.dropPath = tf.tensor1d(m.dropPath);
  return out;
}
