import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, type SeededRandom } from '@chromflow/core';
import { fileIoHandler } from '../checkpoint/file-io-handler.js';
import { linear, type LinearParams, type LowRankUpdate } from './linear.js';
import { uniformTensor, type VariableList } from './named-variables.js';

/**
 * LoRA (Hu et al. 2021) around a dense layer, as PEFT's `lora.Linear`:
 * y = x·W + b + (α/r)·(x·A)·B with A [in, r] and B [r, out] (PEFT's
 * `lora_A.weight` [r, in] and `lora_B.weight` [out, r], transposed). A starts
 * kaiming-uniform (a = √5, i.e. U(−1/√in, 1/√in)), B at zero, so the adapted
 * layer starts equal to the base; the base is frozen. No LoRA dropout.
 * `createLora` attaches the adapter to the base's `LinearParams` (`lora`),
 * so a layer built on `linear` (attention's QKV and output projections, the
 * FFN) is adapted where it stands.
 */
export interface LoraParams extends LowRankUpdate {
  /** The wrapped layer; its `lora` is this adapter. */
  base: LinearParams;
}

/** α/r, the factor on the low-rank update. */
export function loraScale(p: Pick<LoraParams, 'rank' | 'alpha'>): number {
  return p.alpha / p.rank;
}

/**
 * Wraps `base` (whose variables must be in `vars`): marks them not trainable,
 * creates `<prefix>/lora_a` then `<prefix>/lora_b`, and sets `base.lora`.
 */
export function createLora(
  vars: VariableList,
  rng: SeededRandom,
  prefix: string,
  base: LinearParams,
  rank: number,
  alpha: number,
): LoraParams {
  if (!(Number.isInteger(rank) && rank > 0))
    throw new RangeError(`LoRA rank must be ≥ 1, got ${rank}`);
  for (const n of vars.named) {
    if (n.variable === base.kernel || n.variable === base.bias) {
      n.trainable = false;
      n.variable.trainable = false;
    }
  }
  const [inFeatures, outFeatures] = base.kernel.shape;
  const a = vars.add(
    `${prefix}/lora_a`,
    uniformTensor(rng, [inFeatures, rank], 1 / Math.sqrt(inFeatures)),
  ) as tf.Variable<tf.Rank.R2>;
  const b = vars.add(`${prefix}/lora_b`, tf.zeros([rank, outFeatures])) as tf.Variable<tf.Rank.R2>;
  const adapter: LoraParams = { base, a, b, rank, alpha };
  base.lora = adapter;
  return adapter;
}

/** The adapted layer: x [..., in] → [..., out] (`linear` with this adapter). */
export function loraLinear(x: tf.Tensor, p: LoraParams): tf.Tensor {
  return linear(x, { kernel: p.base.kernel, bias: p.base.bias, lora: p });
}

/** The base with the adapter folded in: W + (α/r)·A·B, same bias, no adapter (new tensors; caller disposes). */
export function mergeLora(p: LoraParams): LinearParams {
  return tf.tidy(() => ({
    kernel: tf.add<tf.Tensor2D>(p.base.kernel, tf.mul(tf.matMul(p.a, p.b), loraScale(p))),
    bias: tf.clone(p.base.bias),
  }));
}

const adapterFormat = 'chromflow-lora';

/**
 * Saves the adapters alone (`model.json` + `weights.bin`, atomically, through
 * the checkpoint file handler): each adapter's A and B under its name, with
 * rank and alpha in the metadata. The base weights are not written.
 */
export async function saveLoraAdapters(
  dir: string,
  adapters: Record<string, LoraParams>,
): Promise<void> {
  const tensors: { name: string; tensor: tf.Tensor }[] = [];
  const meta: Record<string, { rank: number; alpha: number }> = {};
  for (const [name, p] of Object.entries(adapters)) {
    tensors.push({ name: `${name}/lora_a`, tensor: p.a }, { name: `${name}/lora_b`, tensor: p.b });
    meta[name] = { rank: p.rank, alpha: p.alpha };
  }
  const { data, specs } = await tf.io.encodeWeights(tensors);
  await fileIoHandler(dir).save!({
    format: adapterFormat,
    generatedBy: '@chromflow/compute',
    modelTopology: { adapters: meta },
    weightSpecs: specs,
    weightData: data,
  });
}

/**
 * Loads adapters written by `saveLoraAdapters` into existing LoRA layers
 * (same names, ranks and shapes): assigns A and B and sets rank and alpha.
 */
export async function loadLoraAdapters(
  dir: string,
  adapters: Record<string, LoraParams>,
): Promise<void> {
  const artifacts = await fileIoHandler(dir).load!();
  const topology = artifacts.modelTopology as
    { adapters?: Record<string, { rank: number; alpha: number }> } | undefined;
  if (artifacts.format !== adapterFormat || topology?.adapters === undefined) {
    throw new ChromflowError('PARSE', 'not a LoRA adapter file', {
      path: `${dir}/model.json`,
      expected: `format '${adapterFormat}' with adapters metadata`,
      found: `format '${artifacts.format ?? 'none'}'`,
    });
  }
  const data = artifacts.weightData;
  const buffer =
    data === undefined
      ? new ArrayBuffer(0)
      : Array.isArray(data)
        ? tf.io.concatenateArrayBuffers(data)
        : data;
  const named = tf.io.decodeWeights(buffer, artifacts.weightSpecs ?? []);
  try {
    for (const [name, p] of Object.entries(adapters)) {
      const meta = topology.adapters[name];
      const a = named[`${name}/lora_a`];
      const b = named[`${name}/lora_b`];
      if (meta === undefined || a === undefined || b === undefined) {
        throw new ChromflowError('SCHEMA', 'adapter missing from the file', {
          path: `${dir}/model.json`,
          field: name,
          expected: `${name}/lora_a and ${name}/lora_b`,
          found: Object.keys(topology.adapters).join(', ') || 'none',
        });
      }
      const [va, vb] = [p.a, p.b];
      if (!(va instanceof tf.Variable && vb instanceof tf.Variable)) {
        throw new TypeError(`adapter '${name}' does not hold variables to load into`);
      }
      if (a.shape.join() !== p.a.shape.join() || b.shape.join() !== p.b.shape.join()) {
        throw new ChromflowError('SCHEMA', 'adapter shape differs from the layer', {
          path: `${dir}/model.json`,
          field: name,
          expected: `A ${p.a.shape.join('×')}, B ${p.b.shape.join('×')}`,
          found: `A ${a.shape.join('×')}, B ${b.shape.join('×')}`,
        });
      }
      va.assign(a);
      vb.assign(b);
      p.rank = meta.rank;
      p.alpha = meta.alpha;
    }
  } finally {
    for (const t of Object.values(named)) t.dispose();
  }
}
