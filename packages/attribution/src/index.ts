export * from './gradient-times-input.js';
export * from './in-silico-mutagenesis.js';
