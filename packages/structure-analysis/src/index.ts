export * from './protein-chain.js';
export * from './pdb.js';
export * from './mmcif.js';
export * from './plddt-segments.js';
export * from './plddt-domains.js';
export * from './cooler.js';
export * from './contact-decay.js';
export * from './abc-scores.js';
export { stages } from './stages/all.js';
