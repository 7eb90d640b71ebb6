import type { TrainableFactory } from '@chromflow/compute';
import type { XChromConfig } from './config.js';
import { XChromModel } from './model.js';

/** Builds XChrom in a training worker (`src/parallel`): same config and seed, same variables in the same order. */
export const createXChromTrainable: TrainableFactory = (config, seed) =>
  new XChromModel(config as XChromConfig, seed);
