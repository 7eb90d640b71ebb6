import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, SeededRandom } from '@chromflow/core';
import {
  applyLayerNorm,
  createLayerNorm,
  createLinear,
  createLora,
  createTransformerBlock,
  linear,
  poissonNllLoss,
  softplus,
  transformerBlock,
  uniformTensor,
  VariableList,
  type HostBatch,
  type LayerNormParams,
  type LinearParams,
  type LoraParams,
  type Trainable,
  type TransformerBlockParams,
} from '@chromflow/compute';
import type { GetConfig } from './config.js';
import { pairDistances, relativeScoreBias } from './relative-position.js';

/**
 * GET as a `Trainable`. A batch (examples along the first axis of every
 * array, so `splitBatch` cuts them all the same way):
 *  - `x` [B, T, F] region × (motifs, accessibility) inputs;
 *  - `y`: expression [B, T, 2], atac [B, T] (the accessibility column; the
 *    model zeroes it in `x` itself), pretrain: unused (targets are `x`);
 *  - `mask` [B, T] (pretrain): 1 where the region is replaced by [MASK];
 *  - `dropPath` [B, L] host-drawn drop-path masks (absent: none);
 *  - `tss` [B, T, 2] (expression with `expressionLoss: tss`): 1 on the
 *    labelled (region, strand) pairs, the only ones the loss counts;
 *  - `pos` [B, T] (`positional: relative`): region centres in bp from the
 *    window's first;
 *  - `n` = B, `t` = T.
 * Variables are named as in the checkpoint (`embed/…`, `cls`, `mask_token`,
 * `pos`, `encoder/block<i>/…` (`…/relpos` [H]: slopes with relative positions), `encoder/norm/…`, `head/…`) so a fine-tune
 * loads the pretrained encoder by name.
 */
export class GetModel implements Trainable {
  readonly config: GetConfig;
  readonly vars = new VariableList();
  readonly embed: LinearParams;
  readonly cls: tf.Variable;
  readonly maskToken?: tf.Variable;
  readonly pos?: tf.Variable;
  readonly blocks: TransformerBlockParams[] = [];
  /** Per block: relative-position slopes [H] (`positional: relative`). */
  readonly relpos: tf.Variable[] = [];
  readonly norm: LayerNormParams;
  readonly head: LinearParams;
  /** LoRA adapters by layer name (empty without `config.lora`). */
  readonly adapters: Record<string, LoraParams> = {};

  constructor(config: GetConfig, seed: number) {
    validateConfig(config);
    this.config = config;
    const rng = new SeededRandom(seed);
    const { dim, features } = config;
    this.embed = createLinear(this.vars, rng, 'embed', features, dim);
    this.cls = this.vars.add('cls', uniformTensor(rng, [1, 1, dim], 0.02));
    if (config.task === 'pretrain')
      this.maskToken = this.vars.add('mask_token', uniformTensor(rng, [1, 1, dim], 0.02));
    if (config.positional === 'learned')
      this.pos = this.vars.add('pos', uniformTensor(rng, [1, config.maxRegions, dim], 0.02));
    const shape = {
      dim,
      heads: config.heads,
      ffnDim: 4 * dim,
      activation: 'gelu-erf' as const,
      epsilon: config.epsilon,
    };
    for (let i = 0; i < config.layers; i++) {
      this.blocks.push(createTransformerBlock(this.vars, rng, `encoder/block${i}`, shape));
      if (config.positional === 'relative')
        this.relpos.push(this.vars.add(`encoder/block${i}/relpos`, tf.ones([config.heads])));
    }
    this.norm = createLayerNorm(this.vars, 'encoder/norm', dim, config.epsilon);
    const out = config.task === 'expression' ? 2 : config.task === 'atac' ? 1 : features;
    this.head = createLinear(this.vars, rng, 'head', dim, out);
    if (config.lora) this.attachLora(rng, config.lora.rank, config.lora.alpha);
  }

  /** Freezes everything but the head, then adapts the embedding and every encoder linear. */
  private attachLora(rng: SeededRandom, rank: number, alpha: number): void {
    for (const n of this.vars.named) {
      if (n.name.startsWith('head/')) continue;
      n.trainable = false;
      n.variable.trainable = false;
    }
    const targets: [string, LinearParams][] = [['embed', this.embed]];
    this.blocks.forEach((b, i) => {
      const p = `encoder/block${i}`;
      targets.push(
        [`${p}/attention/qkv`, b.attention.qkv],
        [`${p}/attention/out`, b.attention.out],
        [`${p}/ffn1`, b.ffn1],
        [`${p}/ffn2`, b.ffn2],
      );
    });
    for (const [name, base] of targets)
      this.adapters[name] = createLora(this.vars, rng, name, base, rank, alpha);
  }

  trainableVariables(): tf.Variable[] {
    return this.vars.trainableVariables();
  }

  stateVariables(): tf.Variable[] {
    return [];
  }

  /**
   * Region-token outputs [B, T, out] (expression after Softplus). `mask`
   * [B, T] replaces regions by the mask token (pretrain); `dropPath` [B, L];
   * `positions` [B, T] region centres in bp (required by `positional: relative`).
   */
  forward(
    x: tf.Tensor3D,
    mask?: tf.Tensor2D,
    dropPath?: tf.Tensor2D,
    positions?: tf.Tensor2D,
  ): tf.Tensor3D {
    return tf.tidy(() => this.forwardEmbedded(this.embedRegions(x), mask, dropPath, positions));
  }

  /** Region embeddings [B, T, D]: Linear(F → D) of the inputs (the accessibility column zeroed for atac). */
  embedRegions(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const input = this.config.task === 'atac' ? zeroLastColumn(x) : x;
      return linear(input, this.embed) as tf.Tensor3D;
    });
  }

  /**
   * `forward` from the region embeddings on (mask token, positions, CLS,
   * encoder, head), so attribution can differentiate with respect to them.
   */
  forwardEmbedded(
    embedded: tf.Tensor3D,
    mask?: tf.Tensor2D,
    dropPath?: tf.Tensor2D,
    positions?: tf.Tensor2D,
  ): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, t] = embedded.shape;
      if (this.relpos.length > 0 && positions === undefined) {
        throw new ChromflowError(
          'PARAM',
          'a GET model with relative positions needs region positions',
          {
            field: 'positions',
            expected: '[batch, regions] region centres in bp (makeGetBatch `pos`)',
          },
        );
      }
      const distances = this.relpos.length > 0 ? pairDistances(positions!) : undefined;
      let h = embedded;
      if (this.maskToken && mask) {
        const m = tf.expandDims(mask, 2);
        h = tf.add(tf.mul(h, tf.sub(1, m)), tf.mul(this.maskToken, m));
      }
      if (this.pos) h = tf.add(h, tf.slice(this.pos, [0, 0, 0], [1, t, this.config.dim]));
      let y = tf.concat([tf.tile(this.cls, [b, 1, 1]), h], 1) as tf.Tensor3D;
      this.blocks.forEach((blk, i) => {
        const dp = dropPath
          ? tf.squeeze<tf.Tensor1D>(tf.slice(dropPath, [0, i], [b, 1]), [1])
          : undefined;
        const scoreBias = distances && relativeScoreBias(distances, this.relpos[i] as tf.Tensor1D);
        y = transformerBlock(y, blk, undefined, {
          ...(dp === undefined ? {} : { dropPath: dp }),
          ...(scoreBias === undefined ? {} : { scoreBias }),
        });
      });
      y = applyLayerNorm(y, this.norm) as tf.Tensor3D;
      const tokens = tf.slice(y, [0, 1, 0], [b, t, this.config.dim]);
      const out = linear(tokens, this.head) as tf.Tensor3D;
      return this.config.task === 'expression' ? (softplus(out) as tf.Tensor3D) : out;
    });
  }

  /** The task's mean loss for a batch's tensors (shared by training, evaluation and the twin test). */
  loss(
    x: tf.Tensor3D,
    y: tf.Tensor | undefined,
    mask?: tf.Tensor2D,
    dropPath?: tf.Tensor2D,
    tss?: tf.Tensor3D,
    positions?: tf.Tensor2D,
  ): tf.Scalar {
    return tf.tidy<tf.Scalar>(() => {
      const out = this.forward(x, mask, dropPath, positions);
      if (this.config.task === 'expression') {
        if (!tss) return poissonNllLoss(out, y!);
        // Mean Poisson NLL (log_input = False) over the TSS pairs only.
        const nll = tf.sub(out, tf.mul(y!, tf.log(tf.add(out, 1e-8))));
        return tf.div(tf.sum(tf.mul(nll, tss)), tf.maximum(tf.sum(tss), 1));
      }
      if (this.config.task === 'atac') {
        const target = tf.squeeze(tf.slice(x, [0, 0, this.config.features - 1], [-1, -1, 1]), [2]);
        return tf.mean(tf.square(tf.sub(tf.squeeze(out, [2]), target)));
      }
      // Pretrain: MSE over the masked positions only.
      const m = tf.expandDims(mask!, 2);
      const se = tf.mul(tf.square(tf.sub(out, x)), m);
      return tf.div(tf.sum(se), tf.mul(tf.sum(m), this.config.features));
    });
  }

  trainingLoss(batch: HostBatch): tf.Scalar {
    return tf.tidy(() => {
      const t = batchTensors(this.config, batch, true);
      return this.loss(t.x, t.y, t.mask, t.dropPath, t.tss, t.pos);
    });
  }

  batchSize(batch: HostBatch): number {
    return batch.n as number;
  }

  splitBatch(batch: HostBatch, n: number): HostBatch[] {
    return splitGetBatch(batch, n);
  }

  predictBatch(batch: HostBatch): tf.Tensor {
    return tf.tidy(() => {
      const t = batchTensors(this.config, batch, false);
      return this.forward(t.x, t.mask, undefined, t.pos);
    });
  }

  dispose(): void {
    this.vars.dispose();
  }
}

function zeroLastColumn(x: tf.Tensor3D): tf.Tensor3D {
  const f = x.shape[2];
  const keep = tf.concat([tf.ones([f - 1]), tf.zeros([1])]);
  return tf.mul(x, keep);
}

interface BatchTensors {
  x: tf.Tensor3D;
  y?: tf.Tensor;
  mask?: tf.Tensor2D;
  dropPath?: tf.Tensor2D;
  tss?: tf.Tensor3D;
  pos?: tf.Tensor2D;
}

function batchTensors(c: GetConfig, batch: HostBatch, training: boolean): BatchTensors {
  const b = batch.n as number;
  const t = batch.t as number;
  const out: BatchTensors = { x: tf.tensor3d(batch.x as Float32Array, [b, t, c.features]) };
  if (c.task === 'expression' && batch.y !== undefined)
    out.y = tf.tensor3d(batch.y as Float32Array, [b, t, 2]);
  if (c.task === 'expression' && batch.tss !== undefined)
    out.tss = tf.tensor3d(batch.tss as Float32Array, [b, t, 2]);
  if (batch.mask !== undefined) out.mask = tf.tensor2d(batch.mask as Float32Array, [b, t]);
  if (batch.pos !== undefined) out.pos = tf.tensor2d(batch.pos as Float32Array, [b, t]);
  if (training && batch.dropPath !== undefined)
    out.dropPath = tf.tensor2d(batch.dropPath as Float32Array, [b, c.layers]);
  return out;
}

/** Splits every array along the example axis (each holds `n` equal rows). */
export function splitGetBatch(batch: HostBatch, n: number): HostBatch[] {
  const b = batch.n as number;
  const parts: HostBatch[] = [];
  const per = Math.ceil(b / n);
  for (let lo = 0; lo < b; lo += per) {
    const hi = Math.min(b, lo + per);
    const part: HostBatch = { n: hi - lo };
    for (const [k, v] of Object.entries(batch)) {
      if (typeof v === 'number') {
        if (k !== 'n') part[k] = v;
        continue;
      }
      const row = v.length / b;
      part[k] = v.slice(lo * row, hi * row);
    }
    parts.push(part);
  }
  return parts;
}

function validateConfig(c: GetConfig): void {
  const bad = (field: string, expected: string, found: unknown): never => {
    throw new ChromflowError('PARAM', 'invalid GET configuration', {
      field,
      expected,
      found: String(found),
    });
  };
  if (!(Number.isInteger(c.features) && c.features >= 2))
    bad('features', 'an integer ≥ 2', c.features);
  if (c.dim % c.heads !== 0) bad('dim', `a multiple of heads (${c.heads})`, c.dim);
  if (!(c.dropPath >= 0 && c.dropPath < 1)) bad('dropPath', 'in [0, 1)', c.dropPath);
  if (!(c.maskRatio > 0 && c.maskRatio < 1)) bad('maskRatio', 'in (0, 1)', c.maskRatio);
  if (!['none', 'learned', 'relative'].includes(c.positional))
    bad('positional', "'none', 'learned' or 'relative'", c.positional);
  if (c.expressionLoss !== undefined && c.expressionLoss !== 'all' && c.expressionLoss !== 'tss')
    bad('expressionLoss', "'all' or 'tss'", c.expressionLoss);
}
