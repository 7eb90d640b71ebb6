import type { AdamOptions } from '@chromflow/compute';

/** XChrom's optimiser settings (its Keras Adam: lr 0.01·0.9^(step/10⁴), β (0.95, 0.9995), ε 1e-7, per-variable clipnorm 1). */
export const XCHROM_ADAM: AdamOptions = {
  learningRate: 0.01,
  decayRate: 0.9,
  decaySteps: 10000,
  beta1: 0.95,
  beta2: 0.9995,
  epsilon: 1e-7,
  clipNorm: 1,
};
