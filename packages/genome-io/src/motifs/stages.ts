import type { Stage } from '@chromflow/core';
import { motifScanStage } from './motif-scan-stage.js';

/** The motif stages of @chromflow/genome-io. */
export const motifStages: Stage[] = [motifScanStage];
