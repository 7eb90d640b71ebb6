export * from './motifs/index.js';
export { stages } from './stages/all.js';
