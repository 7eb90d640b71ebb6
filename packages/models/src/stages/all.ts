import { xchromPredict } from './xchrom-predict.js';
import { xchromTrain } from './xchrom-train.js';
import { getInputs } from './get-inputs.js';
import { getMotifFeatures } from './get-motif-features.js';

export const stages = [xchromTrain, xchromPredict, getMotifFeatures, getInputs];
