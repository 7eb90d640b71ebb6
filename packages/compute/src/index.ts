// @chromflow/compute: the training layer under every chromflow model.
export * from './backend/init-backend.js';
export { registerWasmKernels, wasmKernelsRegistered } from './kernels/register-wasm.js';
export * as ops from './ops/index.js';
export * from './ops/reference.js';
export * from './metrics/auc.js';
export * from './checkpoint/file-io-handler.js';
export * from './train/adam.js';
export * from './train/adamw.js';
export * from './train/clip.js';
export * from './train/schedules.js';
export type * from './train/optimizer.js';
export * from './train/fit.js';
export * from './train/weights.js';
export * from './train/gradient-step.js';
export type * from './train/trainable.js';
export {
  createTrainingEngine,
  inProcessGradientStep,
  type TrainingEngine,
  type TrainingEngineOptions,
  type GradientResult,
  type TrainStepOptions,
} from './parallel/engine.js';
