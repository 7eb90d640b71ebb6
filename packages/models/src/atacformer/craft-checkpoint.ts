import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError } from '@chromflow/core';
import { fileIoHandler, loadNamedTensors, saveNamedTensors } from '@chromflow/compute';
import { loadAtacformerModel, saveAtacformerModel, type AtacformerManifest } from './checkpoint.js';
import { CraftModel, type CraftConfig } from './craft-model.js';

/**
 * A CRAFT checkpoint is a folder of two: `atacformer/`, the fine-tuned ATAC
 * encoder as an ordinary Atacformer checkpoint (so `models.atacformer-embed`
 * reads it as it is), and `craft/`, the RNA encoder, projections, temperature
 * and decoder with the CRAFT configuration, the gene names (the order of the
 * RNA input and of the imputed output) and the manifest.
 */
export const CRAFT_CHECKPOINT_FORMAT = 'chromflow-atacformer-craft';

interface CraftTopology {
  config: Omit<CraftConfig, 'atac'>;
  genes: string[];
  manifest: AtacformerManifest;
}

export async function saveCraftModel(
  dir: string,
  model: CraftModel,
  genes: readonly string[],
  manifest: AtacformerManifest,
): Promise<void> {
  await saveAtacformerModel(join(dir, 'atacformer'), model.atac, manifest);
  const { atac: _atac, ...heads } = model.config;
  const topology: CraftTopology = { config: heads, genes: [...genes], manifest };
  await saveNamedTensors(
    fileIoHandler(join(dir, 'craft')),
    model.vars.named.map((n) => ({ name: n.name, tensor: n.variable })),
    topology,
    {},
    { format: CRAFT_CHECKPOINT_FORMAT, generatedBy: '@chromflow/models' },
  );
}

export async function loadCraftModel(
  dir: string,
): Promise<{ model: CraftModel; genes: string[]; manifest: AtacformerManifest }> {
  const path = join(dir, 'craft', 'model.json');
  const { model: atac } = await loadAtacformerModel(join(dir, 'atacformer'));
  try {
    const { tensors, topology } = await loadNamedTensors(fileIoHandler(join(dir, 'craft')));
    const topo = topology as Partial<CraftTopology> | undefined;
    try {
      if (topo?.config === undefined || topo.genes === undefined || !topo.manifest) {
        throw new ChromflowError('PARSE', 'not a CRAFT checkpoint', {
          path,
          field: 'modelTopology',
          expected: 'the CRAFT configuration, genes and manifest',
          found: 'absent',
          hint: 'point to the checkpoint output of models.atacformer-craft',
        });
      }
      const model = new CraftModel({ ...topo.config, atac: atac.config }, 0);
      model.atac.assignFrom(atac);
      tf.tidy(() => {
        for (const n of model.vars.named) {
          const t = tensors.get(n.name);
          if (t?.shape.join() !== n.variable.shape.join()) {
            model.dispose();
            throw new ChromflowError('SCHEMA', 'checkpoint variable missing or of another shape', {
              path,
              field: n.name,
              expected: n.variable.shape.join('×'),
              found: t ? t.shape.join('×') : 'absent',
            });
          }
          n.variable.assign(t);
        }
      });
      return { model, genes: topo.genes, manifest: topo.manifest };
    } finally {
      tf.dispose([...tensors.values()]);
    }
  } finally {
    atac.dispose();
  }
}
