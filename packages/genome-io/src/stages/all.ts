import type { Stage } from '@chromflow/core';
import { motifStages } from '../motifs/stages.js';
import { genesStage } from './genes.js';
import { peakWindowsStage } from './peak-windows.js';
import { regionsStage } from './regions.js';

/** Every stage of @chromflow/genome-io, as the orchestrator registers them. */
export const stages: Stage[] = [peakWindowsStage, regionsStage, genesStage, ...motifStages];
