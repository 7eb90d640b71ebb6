import type { Stage } from '@chromflow/core';
import { simulateClasterProgramStage } from './simulate-claster-program.js';
import { simulateDatasetStage } from './simulate-dataset.js';

/** Every stage of @chromflow/simulate, as the orchestrator registers them. */
export const stages: Stage[] = [simulateDatasetStage, simulateClasterProgramStage];
