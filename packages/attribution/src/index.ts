export * from './gradient-times-input.js';
export * from './in-silico-mutagenesis.js';
export * from './motif-backgrounds.js';
export * from './xchrom-motif-activity.js';
export * from './xchrom-cell-type-head.js';
export * from './xchrom-ism.js';
export { stages } from './stages/all.js';
export * from './motif-interactions.js';
