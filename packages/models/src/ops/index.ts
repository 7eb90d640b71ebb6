/**
 * The ops models are written with. Today these are the reference composites;
 * the wasm backend work routes them to fused kernels with the same semantics.
 */
export {
  geluReference as gelu,
  conv1dReference as conv1d,
  maxPool1dReference as maxPool1d,
  batchNormTrainReference as batchNormTrain,
  batchNormInferReference as batchNormInfer,
  layerNormReference as layerNorm,
  type BatchNormTrainResult,
} from './reference.js';
