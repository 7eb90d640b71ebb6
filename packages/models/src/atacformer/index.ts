// Atacformer: region-token sets → transformer → cell and region embeddings.
export * from './config.js';
export * from './model.js';
export * from './inputs.js';
export * from './replaced-tokens.js';
export * from './train-atacformer.js';
export * from './checkpoint.js';
export * from './embed.js';
export * from './tables.js';
export * from './finetune-triplet.js';
export * from './craft-model.js';
export * from './train-craft.js';
export * from './craft-inputs.js';
export * from './craft-embed.js';
export * from './craft-checkpoint.js';
export * from './partner-retrieval.js';
export * from './per-gene-pearson.js';
export * from './classifier.js';
