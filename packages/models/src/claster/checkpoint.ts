import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError } from '@chromflow/core';
import { fileIoHandler, saveNamedTensors } from '@chromflow/compute';
import type { ClasterConfig } from './config.js';
import { ClasterModel } from './model.js';

/**
 * CLASTER checkpoints: TF.js `model.json` + `weights.bin` (every variable
 * under its name) with the configuration and a manifest in the topology.
 */
export const CLASTER_CHECKPOINT_FORMAT = 'chromflow-claster';

export interface ClasterManifest {
  stage: string;
  /** Landscape track names in input order. */
  tracks: string[];
  /** sha256 of each input file. */
  dataHashes: Record<string, string>;
  metrics: Record<string, number>;
  bestEpoch?: number;
}

interface Topology {
  config: ClasterConfig;
  manifest: ClasterManifest;
}

export async function saveClasterModel(
  dir: string,
  model: ClasterModel,
  manifest: ClasterManifest,
): Promise<void> {
  const tensors = model.vars.named.map((n) => ({ name: n.name, tensor: n.variable }));
  const topology: Topology = { config: model.config, manifest };
  await saveNamedTensors(
    fileIoHandler(dir),
    tensors,
    topology,
    {},
    {
      format: CLASTER_CHECKPOINT_FORMAT,
      generatedBy: '@chromflow/models',
    },
  );
}

/** Builds the model a checkpoint describes and loads every weight; another model's checkpoint is a PARSE error. */
export async function loadClasterModel(
  dir: string,
): Promise<{ model: ClasterModel; manifest: ClasterManifest }> {
  const path = join(dir, 'model.json');
  const a = await fileIoHandler(dir).load!();
  const topo = a.modelTopology as Partial<Topology> | undefined;
  if (a.format !== CLASTER_CHECKPOINT_FORMAT || !topo?.config || !topo.manifest) {
    throw new ChromflowError('PARSE', 'not a CLASTER checkpoint', {
      path,
      field: 'format',
      expected: `'${CLASTER_CHECKPOINT_FORMAT}' with a CLASTER configuration`,
      found: `'${a.format ?? 'none'}'`,
      hint: 'point to the checkpoint output of models.claster-train',
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
  const model = new ClasterModel(topo.config, 0);
  try {
    for (const n of model.vars.named) {
      const t = named[n.name];
      if (!t || t.shape.join() !== n.variable.shape.join()) {
        throw new ChromflowError('SCHEMA', 'checkpoint variable missing or of another shape', {
          path,
          field: n.name,
          expected: n.variable.shape.join('×'),
          found: t ? t.shape.join('×') : 'absent',
        });
      }
      n.variable.assign(t);
    }
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(named));
  }
  return { model, manifest: topo.manifest };
}
