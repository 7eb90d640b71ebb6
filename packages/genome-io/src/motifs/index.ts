// Motif files, PWMs, scanning and region × motif-cluster matrices.
export * from './motif.js';
export * from './meme-format.js';
export * from './jaspar-format.js';
export * from './read-motifs.js';
export * from './pwm.js';
export * from './scan-kernel.js';
export * from './scan.js';
export * from './scan-workers.js';
export * from './clusters.js';
export * from './region-motif.js';
export { motifScanStage } from './motif-scan-stage.js';
export type { MotifScanParams } from './motif-scan-stage.js';
