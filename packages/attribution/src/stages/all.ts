import type { Stage } from '@chromflow/core';
import { xchromIsmStage } from './xchrom-ism.js';
import { xchromMotifActivityStage } from './xchrom-motif-activity.js';
import { getInterpretStage } from './get-interpret.js';

/** Every stage of @chromflow/attribution, as the orchestrator registers them. */
export const stages: Stage[] = [xchromMotifActivityStage, xchromIsmStage, getInterpretStage];
