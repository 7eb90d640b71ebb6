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
