import type { Stage } from '@chromflow/core';

export const motifStages: Stage[] = [];
