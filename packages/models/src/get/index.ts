// GET's data side: motif features, accessibility, expression labels, windows, tables.
export * from './accessibility.js';
export * from './cluster-names.js';
export * from './inputs.js';
export * from './labels.js';
export * from './motif-features.js';
export * from './tables.js';
export * from './windows.js';
export * from './config.js';
export * from './model.js';
export * from './trainable-factory.js';
export * from './samples.js';
export * from './train-get.js';
export * from './checkpoint.js';
export * from './metrics.js';
export * from './predict.js';
export * from './relative-position.js';
export * from './stage-inputs.js';
