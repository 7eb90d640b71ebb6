import type { Stage } from '@chromflow/core';
import { simulateClasterProgramStage } from './simulate-claster-program.js';
import { simulateDatasetStage } from './simulate-dataset.js';
import { simulateBatchCellsStage } from './simulate-batch-cells.js';

/** Every stage of @chromflow/simulate, as the orchestrator registers them. */
export const stages: Stage[] = [
  simulateDatasetStage,
  simulateClasterProgramStage,
  simulateBatchCellsStage,
];
