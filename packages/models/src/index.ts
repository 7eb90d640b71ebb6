export * from './backend/init-backend.js';
export { registerWasmKernels, wasmKernelsRegistered } from './kernels/register-wasm.js';
export * as ops from './ops/index.js';
export * from './ops/reference.js';
export * from './xchrom/config.js';
export * from './xchrom/config-params.js';
export * from './xchrom/model.js';
export * from './xchrom/predict.js';
export * from './xchrom/evaluate.js';
export * from './xchrom/train-xchrom.js';
export * from './xchrom/predictions-table.js';
export * from './data/xchrom-data.js';
export * from './data/xchrom-split.js';
export * from './data/read-xchrom-tables.js';
export * from './data/read-xchrom-e18.js';
export * from './metrics/auc.js';
export * from './metrics/metrics-table.js';
export * from './checkpoint/file-io-handler.js';
export * from './checkpoint/xchrom-checkpoint.js';
export * from './train/adam.js';
export * from './train/gradient-step.js';
export type * from './train/trainable.js';
export * from './get/index.js';
export { getInputs, type GetInputsParams } from './stages/get-inputs.js';
export { getMotifFeatures, type GetMotifFeaturesParams } from './stages/get-motif-features.js';
export { stages } from './stages/all.js';
export {
  createTrainingEngine,
  inProcessGradientStep,
  clipGradientByNorm,
  type TrainingEngine,
  type TrainingEngineOptions,
  type GradientResult,
  type TrainStepOptions,
} from './parallel/engine.js';
