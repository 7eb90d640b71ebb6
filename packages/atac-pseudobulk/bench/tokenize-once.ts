// One timed tokenization in its own process (its peak RSS is its own); the
// bench bundles this file with esbuild and runs it with plain node.
// Usage: node tokenize-once.mjs <fragments> <universe.bed>
// Prints one JSON line: seconds, fragments, cells, tokens.
import { readBed } from '@chromflow/genome-io';
import { tokenizeFragments } from '../src/tokens/tokenize.js';

const [fragments, universe] = process.argv.slice(2);
const t0 = performance.now();
const regions = await readBed(universe!);
const out = await tokenizeFragments(fragments!, { regions }, { contextLength: 1 << 30, seed: 0 });
const seconds = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({
    seconds,
    fragments: out.intervalsRead,
    cells: out.barcodes.length,
    tokens: out.tokens.length,
  }),
);
