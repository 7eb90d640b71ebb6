import type { Stage } from '@chromflow/core';
import { cellQcStage } from './cell-qc.js';
import { countMatrixStage } from './count-matrix.js';
import { lsiStage } from './lsi.js';
import { pseudobulkStage } from './pseudobulk.js';
import { tileMatrixStage } from './tile-matrix.js';
import { tokenizeStage } from './tokenize.js';
import { universeStage } from './universe.js';

/** Every stage of @chromflow/atac-pseudobulk, as the orchestrator registers them. */
export const stages: Stage[] = [
  countMatrixStage,
  tileMatrixStage,
  cellQcStage,
  pseudobulkStage,
  lsiStage,
  tokenizeStage,
  universeStage,
];
