import { xchromMotifActivityStage } from './xchrom-motif-activity.js';

export const stages = [xchromMotifActivityStage];
