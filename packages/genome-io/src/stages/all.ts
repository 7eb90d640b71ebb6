import type { Stage } from '@chromflow/core';
import { motifStages } from '../motifs/stages.js';

/** Every stage of @chromflow/genome-io, as the orchestrator registers them. */
export const stages: Stage[] = [...motifStages];
