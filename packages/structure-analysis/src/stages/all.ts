import type { Stage } from '@chromflow/core';
import { abcScores } from './abc-scores.js';
import { clasterInputsStage } from './claster-inputs.js';
import { clasterPublishedInputsStage } from './claster-published-inputs.js';
import { contactDecayStage } from './contact-decay.js';
import { iceBalanceStage } from './ice-balance.js';
import { plddtDomains } from './plddt-domains.js';

/** Every stage of @chromflow/structure-analysis, as the orchestrator registers them. */
export const stages: Stage[] = [
  plddtDomains,
  contactDecayStage,
  abcScores,
  iceBalanceStage,
  clasterInputsStage,
  clasterPublishedInputsStage,
];
