import { ChromflowError, hashFile, writeTable, type StageContext } from '@chromflow/core';
import { readCellLabels, type TokenSets } from '@chromflow/atac-pseudobulk';
import { saveAtacformerModel, type AtacformerManifest } from '../atacformer/checkpoint.js';
import { finetuneAtacformerBatch } from '../atacformer/finetune-batch.js';
import { cellTypePredictionsToTable } from '../atacformer/classifier.js';
import type { AtacformerModel } from '../atacformer/model.js';
import { stageFitControls } from './stage-fit-controls.js';

/** The parameters of `models.atacformer-finetune` that its batch mode reads. */
export interface BatchModeParams {
  batchColumn: string;
  adversaryWeight: number;
  reversal: number;
  unfrozenLayers: number;
  epochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  valFraction: number;
  seed: number;
}

/**
 * `models.atacformer-finetune` with `mode: batch`: the gradient-reversal
 * batch adversary (`finetuneAtacformerBatch`, GRL α = 1) on the cells whose
 * batch the labels table names (`batchColumn`); cells without one are not
 * trained on. Writes the corrected Atacformer to the checkpoint output (the
 * adversary is dropped) and the predictions output empty (no cell-type head
 * in this mode, as with crossEntropyWeight 0); returns the stage's metrics.
 */
export async function runAtacformerBatchMode(
  ctx: StageContext<BatchModeParams>,
  stage: string,
  sets: TokenSets,
  pretrained: AtacformerModel,
  manifest: AtacformerManifest,
): Promise<Record<string, number>> {
  const p = ctx.params;
  const labelsPath = ctx.inputs['labels']!;
  const table = await readCellLabels(labelsPath, { labelColumn: p.batchColumn });
  const byBarcode = new Map(table.barcodes.map((b, i) => [b, table.labels![i]!]));
  const batches = sets.barcodes.map((b) => byBarcode.get(b) ?? '');
  const known = batches.filter((b) => b !== '').length;
  if (known === 0) {
    throw new ChromflowError('VALUE', 'no tokenized cell has a batch', {
      path: labelsPath,
      field: p.batchColumn,
      expected: 'barcodes of the token table with a batch name',
      found: `${table.barcodes.length} barcodes, none among the ${sets.barcodes.length} cells`,
    });
  }
  ctx.log.info(
    `Atacformer batch correction (gradient-reversal adversary, λ ${p.adversaryWeight}, last ${p.unfrozenLayers} blocks) on ${known} cells of ${sets.barcodes.length}`,
  );
  const dir = ctx.outputs['checkpoint']!;
  const r = await finetuneAtacformerBatch(sets, batches, {
    pretrained,
    seed: p.seed,
    epochs: p.epochs,
    patience: p.patience,
    batchSize: p.batchSize,
    learningRate: p.learningRate,
    valFraction: p.valFraction,
    adversaryWeight: p.adversaryWeight,
    reversal: p.reversal,
    unfrozenLayers: p.unfrozenLayers,
    ...stageFitControls(ctx, dir),
  });
  const metrics = {
    bestValLoss: r.bestValLoss,
    bestEpoch: r.bestEpoch,
    epochsRun: r.history.length,
    trainCells: r.trainCells,
    valCells: r.valCells,
    batches: r.batchNames.length,
    cellsWithoutBatch: sets.barcodes.length - known,
  };
  try {
    await saveAtacformerModel(dir, r.model, {
      stage,
      vocabularyHash: manifest.vocabularyHash,
      dataHashes: {
        ...manifest.dataHashes,
        labels: await hashFile(labelsPath),
        pretrained: await hashFile(`${ctx.inputs['checkpoint']!}/weights.bin`),
      },
      metrics,
      bestEpoch: r.bestEpoch,
    });
  } finally {
    r.model.dispose();
  }
  const none = { classes: [], kernel: new Float32Array(0), bias: new Float32Array(0) };
  const noRows = {
    probabilities: new Float32Array(0),
    predicted: [],
    maxProbability: new Float32Array(0),
  };
  await writeTable(
    ctx.outputs['predictions']!,
    cellTypePredictionsToTable([], none, noRows, { label: [], split: [] }),
  );
  return metrics;
}
