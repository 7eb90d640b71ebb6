import type { TrainableFactory } from '@chromflow/compute';
import type { ClasterConfig } from './config.js';
import { ClasterModel } from './model.js';

/** Builds CLASTER in a training worker: same config and seed, same variables in the same order. */
export const createClasterTrainable: TrainableFactory = (config, seed) =>
  new ClasterModel(config as ClasterConfig, seed);
