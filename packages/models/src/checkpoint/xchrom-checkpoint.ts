import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { ChromflowError } from '@chromflow/core';
import { fileIoHandler, loadNamedTensors, saveNamedTensors } from '@chromflow/compute';
import type { XChromConfig } from '../xchrom/config.js';
import { XChromModel } from '../xchrom/model.js';

/**
 * Layout of an `xchrom-checkpoint` directory:
 * - `model.json` + `weights.bin`: the kept (best-validation) model, TF.js format;
 *   `modelTopology` = `{ format: 'chromflow-xchrom', config }`.
 * - `cells/model.json` + `cells/weights.bin` (when the split has validation
 *   cells): the weights kept for unseen cells, same format.
 * - `state/`: the last finished epoch's whole training state, as `fit`
 *   (`@chromflow/compute`) writes it (weights, BN statistics, Adam moments and
 *   step, RNG, both selections' best weights and waits, history).
 * - `manifest.json`: config, data hashes, metrics, backend (written by the trainer at the end).
 */

/** Sub-directory of the weights selected on validation cells. */
export const CELLS_DIR = 'cells';
/** What XChrom checkpoints' `model.json` say they are (unchanged since before the compute split). */
const XCHROM_ORIGIN = { format: 'chromflow-xchrom', generatedBy: '@chromflow/models' };

function modelTensors(model: XChromModel): { name: string; tensor: tf.Tensor }[] {
  return model.namedVariables().map((n) => ({ name: n.name, tensor: n.variable }));
}

/** Writes the model's weights and config as a TF.js `model.json` + shard into `dir`. */
export async function saveXChromModel(
  dir: string,
  model: XChromModel,
  metadata: Record<string, object> = {},
): Promise<void> {
  await saveNamedTensors(
    fileIoHandler(dir),
    modelTensors(model),
    { format: 'chromflow-xchrom', config: model.config },
    metadata,
    XCHROM_ORIGIN,
  );
}

function assignAll(
  vars: { name: string; variable: tf.Variable }[],
  tensors: Map<string, tf.Tensor>,
  dir: string,
): void {
  for (const v of vars) {
    const t = tensors.get(v.name);
    if (!t || t.shape.join(',') !== v.variable.shape.join(',')) {
      throw new ChromflowError(
        'SCHEMA',
        `checkpoint weight '${v.name}' is missing or has the wrong shape`,
        {
          path: dir,
          field: v.name,
          expected: v.variable.shape.join('×'),
          found: t ? t.shape.join('×') : 'absent',
        },
      );
    }
    v.variable.assign(t);
  }
}

/** Builds a model from a checkpoint directory written by `saveXChromModel`. */
export async function loadXChromModel(
  dir: string,
): Promise<{ model: XChromModel; metadata: Record<string, unknown> }> {
  const { tensors, topology, metadata } = await loadNamedTensors(fileIoHandler(dir));
  const topo = topology as { format?: string; config?: XChromConfig } | undefined;
  if (topo?.format !== 'chromflow-xchrom' || !topo.config) {
    throw new ChromflowError('SCHEMA', 'model.json is not an XChrom checkpoint', {
      path: join(dir, 'model.json'),
      field: 'modelTopology.format',
      expected: 'chromflow-xchrom',
      found: String(topo?.format),
    });
  }
  const model = new XChromModel(topo.config, 0);
  assignAll(model.namedVariables(), tensors, dir);
  for (const t of tensors.values()) t.dispose();
  return { model, metadata };
}
