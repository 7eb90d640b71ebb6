import type { Stage } from '@chromflow/core';
import { xchromMotifActivityStage } from './xchrom-motif-activity.js';
import { getInterpretStage } from './get-interpret.js';

export const stages: Stage[] = [xchromMotifActivityStage, getInterpretStage];
