import { ChromflowError, hashFile, readTable } from '@chromflow/core';
import { fitLengthParams } from '../stages/stage-fit-controls.js';
import type { Table } from 'apache-arrow';
import { windowChroms } from './samples.js';
import { getArraysFromTables, type GetArrays } from './tables.js';

/** What the GET training and prediction stages read: the three `models.get-inputs` tables. */
export interface GetStageData {
  arrays: GetArrays;
  labels: Table;
  chroms: string[];
  hashes: Record<string, string>;
}

export const getTableInputs = {
  windows: { kind: 'table', type: 'get-windows', description: 'windows (models.get-inputs)' },
  features: {
    kind: 'table',
    type: 'get-features',
    description: 'region × (motif clusters, accessibility) features (models.get-inputs)',
  },
  labels: {
    kind: 'table',
    type: 'get-labels',
    description: 'expression labels and TSS mask (models.get-inputs)',
  },
} as const;

export async function readGetStageData(
  inputs: Record<string, string | undefined>,
  stage: string,
): Promise<GetStageData> {
  const path = (port: string): string => {
    const v = inputs[port];
    if (!v)
      throw new ChromflowError('STAGE', `input '${port}' is not wired`, { stage, field: port });
    return v;
  };
  const paths = { windows: path('windows'), features: path('features'), labels: path('labels') };
  const windows = await readTable(paths.windows);
  const labels = await readTable(paths.labels);
  const arrays = getArraysFromTables(windows, await readTable(paths.features), labels, paths);
  const hashes: Record<string, string> = {};
  for (const [k, v] of Object.entries(paths)) hashes[k] = await hashFile(v);
  return { arrays, labels, chroms: windowChroms(windows), hashes };
}

/** The training schedule the GET training stages (pretrain, finetune) share. */
export interface GetTrainingParams {
  epochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  workers: number;
}

/**
 * JSON schema of `GetTrainingParams`, in this order; the peak rate's default
 * and what the seed draws differ per stage.
 */
export function getTrainingParams(
  learningRate: { default: number; description: string },
  seedDescription: string,
) {
  return {
    ...fitLengthParams(20, 5),
    batchSize: { type: 'integer', minimum: 1, default: 8, description: 'windows per batch' },
    learningRate: { type: 'number', exclusiveMinimum: 0, ...learningRate },
    seed: { type: 'integer', default: 0, description: seedDescription },
    workers: {
      type: 'integer',
      minimum: 1,
      default: 1,
      description: 'data-parallel worker threads',
    },
  } as const;
}

/** JSON-schema pieces shared by the GET stages. */
export const getSplitParams = {
  testCellTypes: {
    type: 'array',
    items: { type: 'string' },
    default: [],
    description: 'cell types left out of training (tested on)',
  },
  testChroms: {
    type: 'array',
    items: { type: 'string' },
    default: [],
    description: 'chromosomes left out of training (tested on)',
  },
  valChroms: {
    type: 'array',
    items: { type: 'string' },
    default: [],
    description:
      'validation chromosomes (best checkpoint); default: every 5th training (type, window) sample',
  },
} as const;
