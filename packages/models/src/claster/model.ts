import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@chromflow/core';
import {
  applyDropPath,
  applyLayerNorm,
  createLayerNorm,
  createLinear,
  linear,
  ops,
  smoothL1Loss,
  uniformTensor,
  VariableList,
  type HostBatch,
  type LayerNormParams,
  type LinearParams,
  type Trainable,
} from '@chromflow/compute';
import { splitGetBatch } from '../get/model.js';
import {
  blockChannels,
  checkClasterConfig,
  cnnOutputShape,
  type ClasterCnnConfig,
  type ClasterConfig,
} from './config.js';
import { conv2dSame } from './conv.js';

interface Conv {
  /** [kh, kw, cin, cout] */
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** A CNN normalisation: LayerNorm over channels, or batch norm (`config.norm: 'batch'`) with moving statistics. */
type CnnNorm = LayerNormParams & { moving?: { mean: tf.Variable; variance: tf.Variable } };

interface ResidualBlock {
  norm1: CnnNorm;
  conv1: Conv;
  norm2: CnnNorm;
  conv2: Conv;
  /** 1 × 1 projection of the (down-strided) identity where the shape changes. */
  shortcut?: LinearParams;
  stride: [number, number];
}

interface CnnBranch {
  config: ClasterCnnConfig;
  first: Conv;
  blocks: ResidualBlock[];
  norm: CnnNorm;
  out: LinearParams;
}

interface MlpBlock {
  norm: LayerNormParams;
  fc1: LinearParams;
  fc2: LinearParams;
  shortcut?: LinearParams;
}

/** Dropout and stochastic-depth masks of one batch (examples first), drawn on the host. */
export interface ClasterMasks {
  /** [B, Σ channels of every CNN block]: channel dropout, landscape blocks then contact blocks. */
  blockDrop: tf.Tensor2D;
  /** [B, fusion.layers · fusion.width]. */
  fusionDrop: tf.Tensor2D;
  /** [B, CNN blocks + fusion layers]: stochastic depth, same order. */
  dropPath: tf.Tensor2D;
}

/** Inputs of one batch: landscape [B, tracks, bins] (the samples' row-major layout), contacts [B, rows, cols]. */
export interface ClasterInputs {
  landscape: tf.Tensor3D;
  contacts?: tf.Tensor3D;
}

/** GELU in the sigmoid form x·σ(1.702x) (fused on wasm; the CNN's activations are large). */
function gelu(x: tf.Tensor): tf.Tensor {
  return ops.geluSigmoid(x);
}

/** PyTorch's conv default init: U(±1/√fan_in) for weight and bias. */
function createConv(
  vars: VariableList,
  rng: SeededRandom,
  prefix: string,
  shape: [number, number, number, number],
): Conv {
  const bound = 1 / Math.sqrt(shape[0] * shape[1] * shape[2]);
  return {
    kernel: vars.add(
      `${prefix}/kernel`,
      uniformTensor(rng, shape, bound),
    ) as tf.Variable<tf.Rank.R4>,
    bias: vars.add(
      `${prefix}/bias`,
      uniformTensor(rng, [shape[3]], bound),
    ) as tf.Variable<tf.Rank.R1>,
  };
}

/**
 * CLASTER as a `Trainable`. Batches (`HostBatch`, examples first so
 * `splitBatch` cuts every array alike): `x` [B·tracks·bins], `contacts`
 * [B·rows·cols] (contacts variant), `y` [B·outputs], masks `blockDrop`,
 * `fusionDrop`, `dropPath` (see {@link ClasterMasks}; absent: inference), `n`.
 *
 * Each CNN branch: first convolution (the landscape's 4 × 10 kernel spans
 * the tracks), then pre-activation residual blocks — LayerNorm → GELU →
 * conv (down-stride) → LayerNorm → GELU → channel dropout → conv (dilated)
 * → stochastic depth, added to the identity (strided and 1 × 1-projected
 * where the shape changes) — then LayerNorm → GELU → flatten → linear to
 * `features`. The norm is LayerNorm over channels by default (no running
 * statistics, so training, inference and every shard compute alike) or, with
 * `config.norm: 'batch'`, batch norm as EIR has it (moving statistics).
 * Fusion: residual MLP blocks (LayerNorm → linear → GELU → dropout → linear
 * → stochastic depth, + identity) over the concatenated features, then
 * LayerNorm → linear to the 401 bins. GELU is the sigmoid form x·σ(1.702x)
 * (scBasset/XChrom's, a fused kernel on wasm).
 */
export class ClasterModel implements Trainable {
  readonly config: ClasterConfig;
  readonly vars = new VariableList();
  private readonly landscape: CnnBranch;
  private readonly contacts?: CnnBranch;
  private readonly fusion: MlpBlock[] = [];
  private readonly headNorm: LayerNormParams;
  private readonly head: LinearParams;

  constructor(config: ClasterConfig, seed: number) {
    checkClasterConfig(config);
    this.config = config;
    const rng = new SeededRandom(seed);
    const c = config;
    const [lh, lw] = cnnOutputShape(c.landscape, c.tracks, c.bins, true);
    this.landscape = this.createBranch(rng, 'landscape', c.landscape, 1, lh * lw);
    let features = c.landscape.features;
    if (c.contacts) {
      const [ch, cw] = cnnOutputShape(c.contacts, c.contacts.rows, c.contacts.cols, false);
      this.contacts = this.createBranch(rng, 'contacts', c.contacts, 1, ch * cw);
      features += c.contacts.features;
    }
    const { width, layers } = c.fusion;
    for (let i = 0; i < layers; i++) {
      const p = `fusion/block${i}`;
      const fin = i === 0 ? features : width;
      this.fusion.push({
        norm: createLayerNorm(this.vars, `${p}/norm`, fin, c.epsilon),
        fc1: createLinear(this.vars, rng, `${p}/fc1`, fin, width),
        fc2: createLinear(this.vars, rng, `${p}/fc2`, width, width),
        ...(fin !== width
          ? { shortcut: createLinear(this.vars, rng, `${p}/shortcut`, fin, width) }
          : {}),
      });
    }
    this.headNorm = createLayerNorm(this.vars, 'head/norm', width, c.epsilon);
    this.head = createLinear(this.vars, rng, 'head/linear', width, c.outputs);
  }

  /** `<prefix>/gamma`, `/beta` and, under batch norm, `/moving_mean` and `/moving_variance` (state). */
  private createNorm(prefix: string, channels: number): CnnNorm {
    const p: CnnNorm = createLayerNorm(this.vars, prefix, channels, this.config.epsilon);
    if (this.config.norm === 'batch') {
      p.moving = {
        mean: this.vars.add(`${prefix}/moving_mean`, tf.zeros([channels]), false),
        variance: this.vars.add(`${prefix}/moving_variance`, tf.ones([channels]), false),
      };
    }
    return p;
  }

  /**
   * Normalises x [B, h, w, c]. Batch norm in training: the batch's statistics
   * over B·h·w, and the moving ones updated as PyTorch does (momentum 0.1,
   * unbiased variance); in inference: the moving statistics.
   */
  private applyNorm(x: tf.Tensor4D, p: CnnNorm, training: boolean): tf.Tensor4D {
    if (!p.moving) return applyLayerNorm(x, p) as tf.Tensor4D;
    const { mean, variance } = p.moving;
    if (!training) {
      return ops.batchNormInfer(
        x,
        mean as tf.Tensor1D,
        variance as tf.Tensor1D,
        p.gamma,
        p.beta,
        p.epsilon,
      ) as tf.Tensor4D;
    }
    const r = ops.batchNormTrain(x, p.gamma, p.beta, p.epsilon);
    const n = x.size / x.shape[3];
    tf.tidy(() => {
      mean.assign(tf.add(tf.mul(mean, 0.9), tf.mul(r.mean, 0.1)));
      const unbiased = tf.mul(r.variance, n / Math.max(1, n - 1));
      variance.assign(tf.add(tf.mul(variance, 0.9), tf.mul(unbiased, 0.1)));
    });
    return r.y as tf.Tensor4D;
  }

  private createBranch(
    rng: SeededRandom,
    name: string,
    b: ClasterCnnConfig,
    cin: number,
    positions: number,
  ): CnnBranch {
    const v = this.vars;
    const [fh, fw] = b.firstKernel;
    const first = createConv(v, rng, `${name}/first`, [fh, fw, cin, b.channelBase]);
    const blocks: ResidualBlock[] = [];
    let c = b.channelBase;
    blockChannels(b).forEach((cout, i) => {
      const p = `${name}/block${i}`;
      const [kh, kw] = b.kernel;
      const strided = b.stride[0] > 1 || b.stride[1] > 1;
      blocks.push({
        norm1: this.createNorm(`${p}/norm1`, c),
        conv1: createConv(v, rng, `${p}/conv1`, [kh, kw, c, cout]),
        norm2: this.createNorm(`${p}/norm2`, cout),
        conv2: createConv(v, rng, `${p}/conv2`, [kh, kw, cout, cout]),
        ...(strided || c !== cout
          ? { shortcut: createLinear(v, rng, `${p}/shortcut`, c, cout) }
          : {}),
        stride: b.stride,
      });
      c = cout;
    });
    return {
      config: b,
      first,
      blocks,
      norm: this.createNorm(`${name}/norm`, c),
      out: createLinear(v, rng, `${name}/out`, positions * c, b.features),
    };
  }

  trainableVariables(): tf.Variable[] {
    return this.vars.trainableVariables();
  }

  /** Batch norm's moving statistics (none under LayerNorm). */
  stateVariables(): tf.Variable[] {
    return this.vars.named.filter((n) => !n.trainable).map((n) => n.variable);
  }

  countParams(): number {
    return this.vars.named.reduce((a, n) => a + n.variable.size, 0);
  }

  /** Residual CNN blocks over x [B, h, w, c]; `offsets` index this branch's masks (present: training). */
  private runBlocks(
    x: tf.Tensor4D,
    br: CnnBranch,
    masks: ClasterMasks | undefined,
    channelOffset: number,
    blockOffset: number,
  ): tf.Tensor4D {
    const b = x.shape[0];
    const training = masks !== undefined;
    let ch = channelOffset;
    br.blocks.forEach((blk, i) => {
      const h = gelu(this.applyNorm(x, blk.norm1, training)) as tf.Tensor4D;
      let identity: tf.Tensor4D = x;
      if (blk.shortcut) {
        identity = linear(subsample(h, blk.stride), blk.shortcut) as tf.Tensor4D;
      }
      let out = conv2dSame(h, blk.conv1.kernel, blk.conv1.bias, blk.stride);
      out = gelu(this.applyNorm(out, blk.norm2, training)) as tf.Tensor4D;
      const cout = out.shape[3];
      if (masks) {
        const m = tf.slice(masks.blockDrop, [0, ch], [b, cout]);
        out = tf.mul(out, tf.reshape(m, [b, 1, 1, cout]));
      }
      ch += cout;
      out = conv2dSame(out, blk.conv2.kernel, blk.conv2.bias, [1, 1], br.config.dilation);
      if (masks) {
        const dp = tf.reshape<tf.Rank.R1>(tf.slice(masks.dropPath, [0, blockOffset + i], [b, 1]), [
          b,
        ]);
        out = applyDropPath(out, dp) as tf.Tensor4D;
      }
      x = tf.add(identity, out);
    });
    return x;
  }

  /** Branch head: norm → GELU → flatten (h, w, c order) → linear. */
  private branchOut(x: tf.Tensor4D, br: CnnBranch, training: boolean): tf.Tensor2D {
    const h = gelu(this.applyNorm(x, br.norm, training));
    return linear(tf.reshape(h, [x.shape[0], -1]), br.out) as tf.Tensor2D;
  }

  /**
   * Network outputs [B, outputs] (log1p space under `transform: 'log1p'`); `masks`
   * only in training (under batch norm they also select the batch's statistics
   * and update the moving ones).
   */
  forward(inputs: ClasterInputs, masks?: ClasterMasks): tf.Tensor2D {
    return tf.tidy(() => {
      const c = this.config;
      const b = inputs.landscape.shape[0];
      const land = c.transform === 'log1p' ? tf.log1p(inputs.landscape) : inputs.landscape;
      // [B, tracks, bins] → [B, 1, bins, tracks]: the 4 × 10 kernel over a one-channel
      // image equals a 1 × 10 kernel with the tracks as channels.
      const lx = tf.reshape<tf.Rank.R4>(tf.transpose(land, [0, 2, 1]), [b, 1, c.bins, c.tracks]);
      const lf = this.landscape.first;
      const [fh, fw] = c.landscape.firstKernel;
      const k = tf.reshape<tf.Rank.R4>(tf.transpose(lf.kernel, [1, 0, 2, 3]), [
        1,
        fw,
        fh,
        c.landscape.channelBase,
      ]);
      let x = conv2dSame(lx, k, lf.bias, c.landscape.stride);
      x = this.runBlocks(x, this.landscape, masks, 0, 0);
      const feats = [this.branchOut(x, this.landscape, masks !== undefined)];
      if (this.contacts) {
        const cc = c.contacts!;
        if (!inputs.contacts) throw new Error('the contacts variant needs contact maps');
        const cx = tf.reshape<tf.Rank.R4>(inputs.contacts, [b, cc.rows, cc.cols, 1]);
        let y = conv2dSame(cx, this.contacts.first.kernel, this.contacts.first.bias, cc.stride);
        const ch0 = blockChannels(c.landscape).reduce((a, v) => a + v, 0);
        y = this.runBlocks(y, this.contacts, masks, ch0, this.landscape.blocks.length);
        feats.push(this.branchOut(y, this.contacts, masks !== undefined));
      }
      let z = feats.length === 1 ? feats[0]! : tf.concat(feats, 1);
      const nCnn = this.landscape.blocks.length + (this.contacts?.blocks.length ?? 0);
      const w = c.fusion.width;
      this.fusion.forEach((blk, i) => {
        let h = gelu(linear(applyLayerNorm(z, blk.norm), blk.fc1));
        if (masks) h = tf.mul(h, tf.slice(masks.fusionDrop, [0, i * w], [b, w]));
        h = linear(h, blk.fc2);
        if (masks) {
          const dp = tf.reshape<tf.Rank.R1>(tf.slice(masks.dropPath, [0, nCnn + i], [b, 1]), [b]);
          h = applyDropPath(h, dp);
        }
        z = tf.add<tf.Tensor2D>(blk.shortcut ? linear(z, blk.shortcut) : z, h);
      });
      return linear(applyLayerNorm(z, this.headNorm), this.head) as tf.Tensor2D;
    });
  }

  /** Mean SmoothL1 of the outputs against targets [B, outputs] (log1p-transformed under `transform: 'log1p'`). */
  loss(inputs: ClasterInputs, y: tf.Tensor2D, masks?: ClasterMasks): tf.Scalar {
    return tf.tidy(() => {
      const t = this.config.transform === 'log1p' ? tf.log1p(y) : y;
      return smoothL1Loss(this.forward(inputs, masks), t, this.config.smoothL1Beta);
    });
  }

  /** Widths of the host-drawn masks per example: [blockDrop, fusionDrop, dropPath]. */
  maskWidths(): [number, number, number] {
    const c = this.config;
    const chans = [...blockChannels(c.landscape), ...(c.contacts ? blockChannels(c.contacts) : [])];
    return [
      chans.reduce((a, v) => a + v, 0),
      c.fusion.layers * c.fusion.width,
      chans.length + c.fusion.layers,
    ];
  }

  trainingLoss(batch: HostBatch): tf.Scalar {
    return tf.tidy(() => {
      const t = clasterBatchTensors(this, batch, true);
      return this.loss(t.inputs, t.y!, t.masks);
    });
  }

  batchSize(batch: HostBatch): number {
    return batch.n as number;
  }

  splitBatch(batch: HostBatch, n: number): HostBatch[] {
    return splitGetBatch(batch, n);
  }

  predictBatch(batch: HostBatch): tf.Tensor {
    return tf.tidy(() => this.forward(clasterBatchTensors(this, batch, false).inputs));
  }

  dispose(): void {
    this.vars.dispose();
  }
}

/**
 * Every s-th position from 0 along height and width (a 1 × 1 convolution's
 * stride), by padding to a multiple of s, reshaping and slicing: TF.js has
 * no gradient for `stridedSlice`.
 */
function subsample(x: tf.Tensor4D, [sh, sw]: [number, number]): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const oh = Math.ceil(h / sh);
  const ow = Math.ceil(w / sw);
  const xp = tf.pad(x, [
    [0, 0],
    [0, oh * sh - h],
    [0, ow * sw - w],
    [0, 0],
  ]);
  // Rank-4 views only (wasm slices rank > 4 slowly): [b·oh, sh, ow, sw·c].
  const r = tf.reshape<tf.Rank.R4>(xp, [b * oh, sh, ow, sw * c]);
  return tf.reshape<tf.Rank.R4>(tf.slice(r, [0, 0, 0, 0], [b * oh, 1, ow, c]), [b, oh, ow, c]);
}

/** Tensors of a host batch (masks only when `training` and present). */
export function clasterBatchTensors(
  m: ClasterModel,
  batch: HostBatch,
  training: boolean,
): { inputs: ClasterInputs; y?: tf.Tensor2D; masks?: ClasterMasks } {
  const c = m.config;
  const b = batch.n as number;
  const inputs: ClasterInputs = {
    landscape: tf.tensor3d(batch.x as Float32Array, [b, c.tracks, c.bins]),
  };
  if (c.contacts)
    inputs.contacts = tf.tensor3d(batch.contacts as Float32Array, [
      b,
      c.contacts.rows,
      c.contacts.cols,
    ]);
  const out: { inputs: ClasterInputs; y?: tf.Tensor2D; masks?: ClasterMasks } = { inputs };
  if (batch.y !== undefined) out.y = tf.tensor2d(batch.y as Float32Array, [b, c.outputs]);
  if (training && batch.dropPath !== undefined) {
    const [wb, wf, wd] = m.maskWidths();
    out.masks = {
      blockDrop: tf.tensor2d(batch.blockDrop as Float32Array, [b, wb]),
      fusionDrop: tf.tensor2d(batch.fusionDrop as Float32Array, [b, wf]),
      dropPath: tf.tensor2d(batch.dropPath as Float32Array, [b, wd]),
    };
  }
  return out;
}
