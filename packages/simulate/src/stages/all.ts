import type { Stage } from '@chromflow/core';
import { simulateDatasetStage } from './simulate-dataset.js';

/** Every stage of @chromflow/simulate, as the orchestrator registers them. */
export const stages: Stage[] = [simulateDatasetStage];
