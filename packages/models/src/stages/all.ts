import { xchromPredict } from './xchrom-predict.js';
import { xchromTrain } from './xchrom-train.js';

export const stages = [xchromTrain, xchromPredict];
