import type { Stage } from '@chromflow/core';
import { reportHtmlStage } from './report-html.js';

/** Every stage of @chromflow/report, as the orchestrator registers them. */
export const stages: Stage[] = [reportHtmlStage];
