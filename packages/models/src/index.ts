export * from './backend/init-backend.js';
export { registerWasmKernels, wasmKernelsRegistered } from './kernels/register-wasm.js';
export * as ops from './ops/index.js';
export * from './ops/reference.js';
export {
  createTrainingEngine,
  inProcessGradientStep,
  clipGradientByNorm,
  type TrainingEngine,
  type TrainingEngineOptions,
  type GradientResult,
  type TrainStepOptions,
} from './parallel/engine.js';
