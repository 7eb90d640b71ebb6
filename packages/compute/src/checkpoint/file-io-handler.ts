import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, writeFileAtomic } from '@chromflow/core';

/**
 * A TF.js IO handler over the file system, like tfjs-node's `file://`
 * handler but with atomic writes: the weight shard is written first, then
 * `model.json` (which names it), each through a temporary file and rename.
 * A reader therefore never sees a `model.json` whose weights are missing.
 */
export function fileIoHandler(
  dir: string,
  modelFile = 'model.json',
  weightsFile = 'weights.bin',
): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      await mkdir(dir, { recursive: true });
      const data = artifacts.weightData;
      const bytes =
        data === undefined
          ? new Uint8Array(0)
          : new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
      await writeFileAtomic(join(dir, weightsFile), bytes);
      const json = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFileAtomic(join(dir, modelFile), JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: bytes.byteLength,
          weightSpecsBytes: JSON.stringify(json.weightsManifest).length,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const path = join(dir, modelFile);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (cause) {
        throw new ChromflowError('IO', 'cannot read the checkpoint', {
          path,
          cause,
          hint: 'point to a directory written by models.xchrom-train',
        });
      }
      const json = JSON.parse(text) as {
        format?: string;
        generatedBy?: string;
        modelTopology?: object;
        userDefinedMetadata?: Record<string, object>;
        weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
      };
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const b = await readFile(join(dir, p));
          buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
        }
      }
      return {
        format: json.format,
        generatedBy: json.generatedBy,
        modelTopology: json.modelTopology,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: specs,
        weightData: tf.io.concatenateArrayBuffers(buffers),
      };
    },
  };
}

/** Saves named tensors with a JSON topology and metadata through any TF.js IO handler. */
export async function saveNamedTensors(
  handler: tf.io.IOHandler,
  tensors: { name: string; tensor: tf.Tensor }[],
  topology: object,
  metadata: Record<string, object>,
  /** `format` and `generatedBy` of the `model.json` (a model's checkpoints name their own). */
  origin: { format: string; generatedBy: string } = {
    format: 'chromflow-tensors',
    generatedBy: '@chromflow/compute',
  },
): Promise<void> {
  if (!handler.save) throw new TypeError('the IO handler cannot save');
  const { data, specs } = await tf.io.encodeWeights(
    tensors.map((t) => ({ name: t.name, tensor: t.tensor })),
  );
  await handler.save({
    format: origin.format,
    generatedBy: origin.generatedBy,
    modelTopology: topology,
    userDefinedMetadata: metadata,
    weightSpecs: specs,
    weightData: data,
  });
}

/** Loads what `saveNamedTensors` wrote: tensors by name (caller disposes), topology and metadata. */
export async function loadNamedTensors(handler: tf.io.IOHandler): Promise<{
  tensors: Map<string, tf.Tensor>;
  topology: unknown;
  metadata: Record<string, unknown>;
}> {
  if (!handler.load) throw new TypeError('the IO handler cannot load');
  const a = await handler.load();
  const data = a.weightData;
  const buf =
    data === undefined
      ? new ArrayBuffer(0)
      : Array.isArray(data)
        ? tf.io.concatenateArrayBuffers(data)
        : data;
  const named = tf.io.decodeWeights(buf, a.weightSpecs ?? []);
  return {
    tensors: new Map(Object.entries(named)),
    topology: a.modelTopology,
    metadata: a.userDefinedMetadata ?? {},
  };
}
