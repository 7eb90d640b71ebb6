import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError } from '@chromflow/core';
import { fileIoHandler, saveNamedTensors } from '@chromflow/compute';
import type { AtacformerConfig } from './config.js';
import { AtacformerModel } from './model.js';
import type { CellTypeHead } from './classifier.js';

/**
 * Atacformer checkpoints: TF.js `model.json` + `weights.bin` holding every
 * encoder/head variable under its name and the token table as
 * `tokens/table`, with the configuration and a manifest in the topology.
 * The manifest records the vocabulary's sha256: token ids mean nothing under
 * another vocabulary, so loading checks it (`requireCheckpointVocabulary`).
 */
export const ATACFORMER_CHECKPOINT_FORMAT = 'chromflow-atacformer';

export interface AtacformerManifest {
  stage: string;
  /** sha256 of the vocabulary file text (atac-pseudobulk's `vocabularyHash`). */
  vocabularyHash: string;
  /** sha256 of each input table. */
  dataHashes: Record<string, string>;
  metrics: Record<string, number>;
  bestEpoch?: number;
  /** Classes of the cell-type head (`celltype/kernel`, `celltype/bias`), when the checkpoint holds one. */
  cellTypes?: string[];
}

interface Topology {
  config: AtacformerConfig;
  manifest: AtacformerManifest;
}

export async function saveAtacformerModel(
  dir: string,
  model: AtacformerModel,
  manifest: AtacformerManifest,
  head?: CellTypeHead,
): Promise<void> {
  const table = tf.tensor2d(model.table.weights, [model.config.vocabSize, model.config.dim]);
  const k = head?.classes.length ?? 0;
  const headTensors = head
    ? [
        { name: 'celltype/kernel', tensor: tf.tensor2d(head.kernel, [model.config.dim, k]) },
        { name: 'celltype/bias', tensor: tf.tensor1d(head.bias) },
      ]
    : [];
  try {
    const tensors = [
      { name: 'tokens/table', tensor: table as tf.Tensor },
      ...model.vars.named.map((n) => ({ name: n.name, tensor: n.variable })),
      ...headTensors,
    ];
    const topology: Topology = {
      config: model.config,
      manifest: head ? { ...manifest, cellTypes: [...head.classes] } : manifest,
    };
    await saveNamedTensors(
      fileIoHandler(dir),
      tensors,
      topology,
      {},
      {
        format: ATACFORMER_CHECKPOINT_FORMAT,
        generatedBy: '@chromflow/models',
      },
    );
  } finally {
    table.dispose();
    tf.dispose(headTensors.map((h) => h.tensor));
  }
}

/**
 * Builds the model a checkpoint describes and loads every weight (and the
 * cell-type head, when the manifest names its classes); another model's
 * checkpoint is a PARSE error.
 */
export async function loadAtacformerModel(
  dir: string,
): Promise<{ model: AtacformerModel; manifest: AtacformerManifest; head?: CellTypeHead }> {
  const path = join(dir, 'model.json');
  const a = await fileIoHandler(dir).load!();
  const topo = a.modelTopology as Partial<Topology> | undefined;
  if (a.format !== ATACFORMER_CHECKPOINT_FORMAT || topo?.config === undefined || !topo.manifest) {
    throw new ChromflowError('PARSE', 'not an Atacformer checkpoint', {
      path,
      field: 'format',
      expected: `'${ATACFORMER_CHECKPOINT_FORMAT}' with a configuration`,
      found: `'${a.format ?? 'none'}'`,
      hint: 'point to the checkpoint output of models.atacformer-pretrain',
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
  const model = new AtacformerModel(topo.config, 0);
  try {
    const need = (name: string, shape: number[]): tf.Tensor => {
      const t = named[name];
      if (t?.shape.join() !== shape.join()) {
        throw new ChromflowError('SCHEMA', 'checkpoint variable missing or of another shape', {
          path,
          field: name,
          expected: shape.join('×'),
          found: t ? t.shape.join('×') : 'absent',
        });
      }
      return t;
    };
    const c = topo.config;
    model.table.weights.set(need('tokens/table', [c.vocabSize, c.dim]).dataSync());
    tf.tidy(() => {
      for (const n of model.vars.named) n.variable.assign(need(n.name, n.variable.shape));
    });
    const classes = topo.manifest.cellTypes;
    const head = classes
      ? {
          classes,
          kernel: Float32Array.from(need('celltype/kernel', [c.dim, classes.length]).dataSync()),
          bias: Float32Array.from(need('celltype/bias', [classes.length]).dataSync()),
        }
      : undefined;
    return { model, manifest: topo.manifest, head };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(named));
  }
}

/**
 * Throws VALUE unless the tokens were made with the checkpoint's vocabulary
 * (`tokensHash`: the token table's `chromflow.tokens.vocabulary-sha256`).
 */
export function requireCheckpointVocabulary(
  manifest: AtacformerManifest,
  tokensHash: string,
  path?: string,
): void {
  if (tokensHash !== manifest.vocabularyHash) {
    throw new ChromflowError(
      'VALUE',
      'the tokens were made with another vocabulary than the checkpoint',
      {
        path,
        field: 'chromflow.tokens.vocabulary-sha256',
        expected: `${manifest.vocabularyHash} (the checkpoint's vocabulary)`,
        found: tokensHash || 'no vocabulary hash',
        hint: 'tokenize the cells with the vocabulary the model was pretrained on',
      },
    );
  }
}
