import type { TrainableFactory } from '@chromflow/compute';
import type { GetConfig } from './config.js';
import { GetModel } from './model.js';

/** Builds GET in a training worker: same config and seed, same variables in the same order. */
export const createGetTrainable: TrainableFactory = (config, seed) =>
  new GetModel(config as GetConfig, seed);
