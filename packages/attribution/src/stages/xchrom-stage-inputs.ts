import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChromflowError, type PortSpec } from '@chromflow/core';
import { CELLS_DIR, loadXChromModel } from '@chromflow/models';

/**
 * What the stages explaining a trained XChrom (motif activity, ISM) share:
 * the checkpoint and RNA-embedding ports, and loading the weights for cells.
 */
export const xchromExplainPorts = {
  checkpoint: {
    kind: 'directory',
    type: 'xchrom-checkpoint',
    description: 'models.xchrom-train',
  },
  embedding: { kind: 'table', type: 'cell-embedding', description: 'cells: RNA embedding' },
} satisfies Record<string, PortSpec>;

/** The path wired to `port`; a STAGE error naming it where nothing is. */
export function wiredInput(
  inputs: Readonly<Record<string, string | undefined>>,
  port: string,
  stage: string,
): string {
  const path = inputs[port];
  if (!path)
    throw new ChromflowError('STAGE', `input '${port}' is not wired`, { stage, field: port });
  return path;
}

/**
 * The XChrom of a models.xchrom-train checkpoint, with its `cells/` weights
 * (selected on unseen cells, so cells with RNA only work) when it has them.
 */
export async function loadXChromForCells(
  checkpoint: string,
): Promise<Awaited<ReturnType<typeof loadXChromModel>>> {
  const forCells = join(checkpoint, CELLS_DIR);
  return loadXChromModel(existsSync(join(forCells, 'model.json')) ? forCells : checkpoint);
}
