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
