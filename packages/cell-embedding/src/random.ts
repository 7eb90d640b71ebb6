/**
 * The seeded pseudo-random source (xoshiro128** seeded by splitmix32) lives in
 * `@chromflow/core` next to the randomized SVD that draws from it; re-exported
 * here for this package's callers.
 */
export { makeRandom } from '@chromflow/core';
