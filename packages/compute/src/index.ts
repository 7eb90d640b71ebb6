// @chromflow/compute: the training layer under every chromflow model.
export * from './backend/init-backend.js';
export { registerWasmKernels, wasmKernelsRegistered } from './kernels/register-wasm.js';
export * as ops from './ops/index.js';
export {
  attentionFromQkv,
  attentionFromQkvReference,
  geluErfNative,
} from './kernels/native-attention.js';
export { nativeBlasStatus, type NativeBlasStatus } from './kernels/native-blas.js';
export * from './ops/reference.js';
export * from './metrics/block-metrics.js';
export * from './checkpoint/file-io-handler.js';
export * from './train/adam.js';
export * from './train/adamw.js';
export * from './train/clip.js';
export * from './train/schedules.js';
export * from './train/adamw-recipe.js';
export type * from './train/optimizer.js';
export * from './train/fit.js';
export * from './train/fit-checkpoint.js';
export * from './train/fit-run-controls.js';
export * from './train/weights.js';
export * from './train/gradient-step.js';
export * from './train/host-update.js';
export type * from './train/trainable.js';
export {
  createTrainingEngine,
  inProcessGradientStep,
  type TrainingEngine,
  type TrainingEngineOptions,
  type GradientResult,
  type TrainStepOptions,
} from './parallel/engine.js';
export * from './layers/named-variables.js';
export * from './layers/linear.js';
export * from './layers/activations.js';
export * from './layers/layer-norm.js';
export * from './layers/dropout.js';
export * from './layers/attention.js';
export * from './layers/transformer-encoder.js';
export * from './layers/gradient-reversal.js';
export * from './layers/sparse-embedding.js';
export * from './layers/lora.js';
export * from './losses/poisson-nll.js';
export * from './losses/smooth-l1.js';
export * from './losses/triplet-margin.js';
export * from './losses/contrastive.js';
