import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@chromflow/core';
import { ops, type HostBatch, type Trainable } from '@chromflow/compute';
import { checkXChromConfig, flattenedLength, type XChromConfig } from './config.js';

/** Base codes: A=0 C=1 G=2 T=3; 4 (N, or shift padding) is encoded as 0.25 in every channel. */
export const PAD_CODE = 4;

interface Bn {
  gamma: tf.Variable;
  beta: tf.Variable;
  movingMean: tf.Variable;
  movingVariance: tf.Variable;
}

interface ConvBlock {
  kernel: tf.Variable;
  bn: Bn;
  pool: number;
}

/** A named variable in the checkpoint's fixed order. */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
  trainable: boolean;
}

function truncatedNormal(rng: SeededRandom, n: number, sd: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    out[i] = z * sd;
  }
  return out;
}

/** Keras he_normal: truncated normal with sd √(2/fanIn)/0.8796. */
function heNormal(rng: SeededRandom, shape: number[], fanIn: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(truncatedNormal(rng, n, Math.sqrt(2 / fanIn) / 0.87962566103423978), shape);
}

function glorotUniform(rng: SeededRandom, shape: [number, number]): tf.Tensor {
  const limit = Math.sqrt(6 / (shape[0] + shape[1]));
  const n = shape[0] * shape[1];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * limit;
  return tf.tensor(out, shape);
}

/** One-hot [B, L, 4] from base codes (code 4 → 0.25 in every channel). */
export function oneHotFromCodes(codes: Uint8Array, nSeqs: number, seqLength: number): tf.Tensor3D {
  const out = new Float32Array(nSeqs * seqLength * 4);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c < 4) out[i * 4 + c] = 1;
    else out.fill(0.25, i * 4, i * 4 + 4);
  }
  return tf.tensor3d(out, [nSeqs, seqLength, 4]);
}

/**
 * XChrom: scBasset's sequence tower (pre-activation GELU → Conv → BN → MaxPool
 * blocks, k1 bottleneck, flatten, Dense → BN → Dropout → GELU) gives a peak
 * embedding; the cell branch (LayerNorm → Dense ReLU → Dense) maps the RNA
 * embedding to a cell embedding; logit = peak·cell + Dense(1)(b_zscore).
 *
 * Training batches (`HostBatch`) hold: `codes` Uint8Array [B·L] (augmented),
 * `targets` Uint8Array [B·C] (row-major peaks × cells, 0/1), `cellInputs`
 * Float32Array [C·D] (noise already added), `depth` Float32Array [C],
 * `dropoutMask` Float32Array [B·E] (0 or 1/(1−p)), `nPeaks`, `nCells`.
 */
export class XChromModel implements Trainable {
  readonly config: XChromConfig;
  private readonly stem: ConvBlock;
  private readonly tower: ConvBlock[];
  private readonly bottleneck: ConvBlock;
  private readonly denseKernel: tf.Variable;
  private readonly denseBn: Bn;
  private readonly lnGamma: tf.Variable;
  private readonly lnBeta: tf.Variable;
  private readonly cell1Kernel: tf.Variable;
  private readonly cell1Bias: tf.Variable;
  private readonly cell2Kernel: tf.Variable;
  private readonly cell2Bias: tf.Variable;
  private readonly depthKernel: tf.Variable;
  private readonly depthBias: tf.Variable;
  private readonly named: NamedVariable[] = [];

  constructor(config: XChromConfig, seed: number) {
    checkXChromConfig(config);
    this.config = config;
    const rng = new SeededRandom(seed);
    const c = config;
    const v = (name: string, t: tf.Tensor, trainable = true): tf.Variable => {
      const variable = tf.variable(t, trainable);
      t.dispose();
      this.named.push({ name, variable, trainable });
      return variable;
    };
    const bn = (prefix: string, n: number): Bn => ({
      gamma: v(`${prefix}/bn/gamma`, tf.ones([n])),
      beta: v(`${prefix}/bn/beta`, tf.zeros([n])),
      movingMean: v(`${prefix}/bn/moving_mean`, tf.zeros([n]), false),
      movingVariance: v(`${prefix}/bn/moving_variance`, tf.ones([n]), false),
    });
    const block = (
      prefix: string,
      k: number,
      cin: number,
      cout: number,
      pool: number,
    ): ConvBlock => ({
      kernel: v(`${prefix}/conv/kernel`, heNormal(rng, [k, cin, cout], k * cin)),
      bn: bn(prefix, cout),
      pool,
    });
    this.stem = block('stem', c.stemKernel, 4, c.stemFilters, c.stemPool);
    let cin = c.stemFilters;
    this.tower = c.towerFilters.map((f, i) => {
      const b = block(`tower${i}`, c.towerKernel, cin, f, c.towerPool);
      cin = f;
      return b;
    });
    this.bottleneck = block('bottleneck', 1, cin, c.bottleneckFilters, 1);
    const flat = flattenedLength(c) * c.bottleneckFilters;
    this.denseKernel = v('dense/kernel', heNormal(rng, [flat, c.embeddingDim], flat));
    this.denseBn = bn('dense', c.embeddingDim);
    this.lnGamma = v('cell/ln/gamma', tf.ones([c.cellInputDim]));
    this.lnBeta = v('cell/ln/beta', tf.zeros([c.cellInputDim]));
    this.cell1Kernel = v('cell/dense1/kernel', glorotUniform(rng, [c.cellInputDim, c.cellHidden]));
    this.cell1Bias = v('cell/dense1/bias', tf.zeros([c.cellHidden]));
    this.cell2Kernel = v('cell/dense2/kernel', glorotUniform(rng, [c.cellHidden, c.embeddingDim]));
    this.cell2Bias = v('cell/dense2/bias', tf.zeros([c.embeddingDim]));
    this.depthKernel = v('depth/kernel', glorotUniform(rng, [1, 1]));
    this.depthBias = v('depth/bias', tf.zeros([1]));
  }

  /** Every variable with its checkpoint name, trainable ones and BN statistics interleaved in build order. */
  namedVariables(): NamedVariable[] {
    return this.named;
  }

  trainableVariables(): tf.Variable[] {
    return this.named.filter((n) => n.trainable).map((n) => n.variable);
  }

  stateVariables(): tf.Variable[] {
    return this.named.filter((n) => !n.trainable).map((n) => n.variable);
  }

  countTrainableParams(): number {
    return this.trainableVariables().reduce((a, x) => a + x.size, 0);
  }

  private applyBn(x: tf.Tensor, bn: Bn, training: boolean): tf.Tensor {
    const eps = this.config.bnEpsilon;
    if (!training) {
      return ops.batchNormInfer(
        x,
        bn.movingMean as tf.Tensor1D,
        bn.movingVariance as tf.Tensor1D,
        bn.gamma as tf.Tensor1D,
        bn.beta as tf.Tensor1D,
        eps,
      );
    }
    const r = ops.batchNormTrain(x, bn.gamma as tf.Tensor1D, bn.beta as tf.Tensor1D, eps);
    const m = this.config.bnMomentum;
    // Moving statistics are assigned outside the loss, so no gradient flows through them.
    bn.movingMean.assign(tf.add(tf.mul(bn.movingMean, m), tf.mul(r.mean, 1 - m)));
    bn.movingVariance.assign(tf.add(tf.mul(bn.movingVariance, m), tf.mul(r.variance, 1 - m)));
    return r.y;
  }

  private applyBlock(x: tf.Tensor3D, b: ConvBlock, training: boolean): tf.Tensor3D {
    let y = ops.conv1d(ops.geluSigmoid(x) as tf.Tensor3D, b.kernel as tf.Tensor3D, 'same');
    y = this.applyBn(y, b.bn, training) as tf.Tensor3D;
    return b.pool > 1 ? ops.maxPool1d(y, b.pool) : y;
  }

  /** Peak embeddings [B, E] of one-hot sequences [B, L, 4]. `dropoutMask` [B, E] applies in training only. */
  peakEmbedding(onehot: tf.Tensor3D, training: boolean, dropoutMask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let x = this.applyBlock(onehot, this.stem, training);
      for (const b of this.tower) x = this.applyBlock(x, b, training);
      x = ops.geluSigmoid(this.applyBlock(x, this.bottleneck, training)) as tf.Tensor3D;
      const flat = tf.reshape<tf.Rank.R2>(x, [x.shape[0], -1]);
      let e = this.applyBn(
        tf.matMul(flat, this.denseKernel),
        this.denseBn,
        training,
      ) as tf.Tensor2D;
      if (training && dropoutMask) e = tf.mul(e, dropoutMask);
      return ops.geluSigmoid(e) as tf.Tensor2D;
    });
  }

  /** Cell embeddings [C, E] of RNA embeddings [C, D] (noise, if any, already added). */
  cellEmbedding(inputs: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const x = ops.layerNorm(
        inputs,
        this.lnGamma as tf.Tensor1D,
        this.lnBeta as tf.Tensor1D,
        this.config.lnEpsilon,
      );
      const h = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, this.cell1Kernel), this.cell1Bias));
      return tf.add<tf.Tensor2D>(tf.matMul(h, this.cell2Kernel), this.cell2Bias);
    });
  }

  /** Logits [B, C] = peak·cellᵀ + depth term, NaN → 0, clipped to ±15. */
  logits(peakEmb: tf.Tensor2D, cellEmb: tf.Tensor2D, depth: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => {
      const d = tf.add(tf.mul(depth, tf.reshape(this.depthKernel, [])), this.depthBias);
      const z = tf.add(tf.matMul(peakEmb, cellEmb, false, true), tf.reshape(d, [1, -1]));
      const finite = tf.where(tf.isNaN(z), tf.zerosLike(z), z);
      return tf.clipByValue(finite, -15, 15) as tf.Tensor2D;
    });
  }

  trainingLoss(batch: HostBatch): tf.Scalar {
    const { nPeaks, nCells } = batchShape(batch);
    const c = this.config;
    const onehot = oneHotFromCodes(batchArray(batch, 'codes', Uint8Array), nPeaks, c.seqLength);
    const mask = tf.tensor2d(batchArray(batch, 'dropoutMask', Float32Array), [
      nPeaks,
      c.embeddingDim,
    ]);
    const peak = this.peakEmbedding(onehot, true, mask);
    const cells = this.cellEmbedding(
      tf.tensor2d(batchArray(batch, 'cellInputs', Float32Array), [nCells, c.cellInputDim]),
    );
    const z = this.logits(peak, cells, tf.tensor1d(batchArray(batch, 'depth', Float32Array)));
    const y = tf.tensor2d(Float32Array.from(batchArray(batch, 'targets', Uint8Array)), [
      nPeaks,
      nCells,
    ]);
    return binaryCrossEntropyFromLogits(z, y);
  }

  batchSize(batch: HostBatch): number {
    return batchShape(batch).nPeaks;
  }

  splitBatch(batch: HostBatch, n: number): HostBatch[] {
    const { nPeaks, nCells } = batchShape(batch);
    const L = this.config.seqLength;
    const E = this.config.embeddingDim;
    const codes = batchArray(batch, 'codes', Uint8Array);
    const targets = batchArray(batch, 'targets', Uint8Array);
    const mask = batchArray(batch, 'dropoutMask', Float32Array);
    const parts: HostBatch[] = [];
    for (let k = 0; k < n; k++) {
      const lo = Math.floor((k * nPeaks) / n);
      const hi = Math.floor(((k + 1) * nPeaks) / n);
      if (hi <= lo) continue;
      parts.push({
        ...batch,
        nPeaks: hi - lo,
        codes: codes.slice(lo * L, hi * L),
        targets: targets.slice(lo * nCells, hi * nCells),
        dropoutMask: mask.slice(lo * E, hi * E),
      });
    }
    return parts;
  }

  dispose(): void {
    for (const n of this.named) n.variable.dispose();
  }
}

/** Mean sigmoid binary cross-entropy of logits `z` against 0/1 targets `y` (numerically stable form). */
export function binaryCrossEntropyFromLogits(z: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() =>
    tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))),
  );
}

function batchShape(batch: HostBatch): { nPeaks: number; nCells: number } {
  const nPeaks = batch.nPeaks;
  const nCells = batch.nCells;
  if (typeof nPeaks !== 'number' || typeof nCells !== 'number') {
    throw new TypeError('an XChrom batch needs numeric nPeaks and nCells');
  }
  return { nPeaks, nCells };
}

function batchArray<T extends Float32Array | Uint8Array | Int32Array>(
  batch: HostBatch,
  key: string,
  kind: { new (n: number): T },
): T {
  const a = batch[key];
  if (!(a instanceof kind))
    throw new TypeError(`XChrom batch field '${key}' must be a ${kind.name}`);
  return a;
}
