export * from './backend/init-backend.js';
export { registerWasmKernels, wasmKernelsRegistered } from './kernels/register-wasm.js';
export * as ops from './ops/index.js';
export * from './ops/reference.js';
