import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError } from '@chromflow/core';
import { fileIoHandler, mergeLora, saveLoraAdapters, saveNamedTensors } from '@chromflow/compute';
import type { GetConfig } from './config.js';
import { GetModel } from './model.js';

/**
 * GET checkpoints: TF.js `model.json` + `weights.bin` (every variable under
 * its name) with the configuration and a manifest (data hashes, metrics,
 * what it was trained from) in the topology. A LoRA fine-tune also writes
 * its adapters alone under `adapter/` (rank, alpha, A and B only).
 */
export const GET_CHECKPOINT_FORMAT = 'chromflow-get';
export const GET_ADAPTER_DIR = 'adapter';

export interface GetManifest {
  stage: string;
  clusters: string[];
  cellTypes: string[];
  /** sha256 of each input table. */
  dataHashes: Record<string, string>;
  metrics: Record<string, number>;
  /** The checkpoint this one started from, as `sha256:<hash>` of its `weights.bin`. */
  from?: string;
  bestEpoch?: number;
}

interface Topology {
  config: GetConfig;
  manifest: GetManifest;
}

export async function saveGetModel(
  dir: string,
  model: GetModel,
  manifest: GetManifest,
): Promise<void> {
  const tensors = model.vars.named.map((n) => ({ name: n.name, tensor: n.variable }));
  const topology: Topology = { config: model.config, manifest };
  await saveNamedTensors(
    fileIoHandler(dir),
    tensors,
    topology,
    {},
    {
      format: GET_CHECKPOINT_FORMAT,
      generatedBy: '@chromflow/models',
    },
  );
  if (Object.keys(model.adapters).length > 0)
    await saveLoraAdapters(join(dir, GET_ADAPTER_DIR), model.adapters);
}

export interface GetCheckpoint {
  config: GetConfig;
  manifest: GetManifest;
  tensors: Map<string, tf.Tensor>;
}

/** Reads a GET checkpoint (the caller disposes `tensors`); another model's checkpoint is a PARSE error. */
export async function readGetCheckpoint(dir: string): Promise<GetCheckpoint> {
  const a = await fileIoHandler(dir).load!();
  const topo = a.modelTopology as Partial<Topology> | undefined;
  if (
    a.format !== GET_CHECKPOINT_FORMAT ||
    topo?.config === undefined ||
    topo.manifest === undefined
  ) {
    throw new ChromflowError('PARSE', 'not a GET checkpoint', {
      path: join(dir, 'model.json'),
      field: 'format',
      expected: `'${GET_CHECKPOINT_FORMAT}' with a GET configuration`,
      found: `'${a.format ?? 'none'}'`,
      hint: 'point to the checkpoint output of models.get-pretrain or models.get-finetune',
    });
  }
  const data = a.weightData;
  const buf =
    data === undefined
      ? new ArrayBuffer(0)
      : Array.isArray(data)
        ? tf.io.concatenateArrayBuffers(data)
        : data;
  const named = tf.io.decodeWeights(buf, a.weightSpecs ?? []);
  return { config: topo.config, manifest: topo.manifest, tensors: new Map(Object.entries(named)) };
}

/**
 * Copies checkpoint tensors into `model` by name. `skip` names (prefixes)
 * are left as built (a new head). Every other variable of the model must be
 * in the checkpoint with its shape, unless `allowMissing` (mask token, LoRA).
 */
export function assignGetWeights(
  model: GetModel,
  ck: GetCheckpoint,
  path: string,
  o: { skip?: string[]; allowMissing?: (name: string) => boolean } = {},
): void {
  const embed = ck.tensors.get('embed/kernel');
  if (embed && embed.shape[0] !== model.config.features) {
    throw new ChromflowError('SCHEMA', 'the checkpoint was trained on a different feature count', {
      path,
      field: 'features',
      expected: `${model.config.features} (the inputs' clusters + accessibility)`,
      found: `${embed.shape[0]} (checkpoint)`,
    });
  }
  tf.tidy(() => {
    for (const n of model.vars.named) {
      if (o.skip?.some((p) => n.name.startsWith(p))) continue;
      const t = ck.tensors.get(n.name);
      if (t === undefined) {
        if (o.allowMissing?.(n.name)) continue;
        throw new ChromflowError('SCHEMA', 'variable missing from the checkpoint', {
          path,
          field: n.name,
          expected: n.variable.shape.join('×'),
          found: 'absent',
        });
      }
      if (t.shape.join() !== n.variable.shape.join()) {
        throw new ChromflowError(
          'SCHEMA',
          'checkpoint variable has another shape (another configuration)',
          {
            path,
            field: n.name,
            expected: n.variable.shape.join('×'),
            found: t.shape.join('×'),
          },
        );
      }
      n.variable.assign(t);
    }
  });
}

/** Builds the model a checkpoint describes and loads every weight. */
export async function loadGetModel(
  dir: string,
): Promise<{ model: GetModel; manifest: GetManifest }> {
  const ck = await readGetCheckpoint(dir);
  const model = new GetModel(ck.config, 0);
  try {
    assignGetWeights(model, ck, join(dir, 'model.json'));
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose([...ck.tensors.values()]);
  }
  return { model, manifest: ck.manifest };
}

/** The LoRA model with every adapter folded into its base (W + α/r·A·B): a plain model. */
export function mergeGetLora(model: GetModel): GetModel {
  const { lora: _lora, ...config } = model.config;
  const merged = new GetModel(config, 0);
  const folded = new Map<string, tf.Tensor>();
  for (const [name, p] of Object.entries(model.adapters)) {
    const m = mergeLora(p);
    folded.set(`${name}/kernel`, m.kernel);
    m.bias.dispose();
  }
  const source = new Map(model.vars.named.map((n) => [n.name, n.variable as tf.Tensor]));
  for (const n of merged.vars.named) n.variable.assign(folded.get(n.name) ?? source.get(n.name)!);
  tf.dispose([...folded.values()]);
  return merged;
}
