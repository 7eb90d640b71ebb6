// CLASTER: chromatin landscape (and contacts) around a TSS → nascent transcription in 401 × 1 kbp bins.
export * from './config.js';
export * from './conv.js';
export * from './model.js';
export * from './batches.js';
export * from './trainable-factory.js';
export * from './train-claster.js';
export * from './checkpoint.js';
export * from './predict.js';
export * from './perturb.js';
export * from './locality.js';
export * from './stage-inputs.js';
