export * from './errors.js';
export * from './progress.js';
export * from './atomic-write.js';
export * from './table-io.js';
export * from './sparse-matrix.js';
export * from './stage.js';
export * from './hash.js';
export * from './shared-data.js';
