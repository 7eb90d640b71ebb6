// Shared vitest settings: packages resolve each other from source through the
// `@chromflow/source` export condition, so tests need no build.
import { defineConfig } from 'vitest/config';

export const chromflowVitest = defineConfig({
  resolve: { conditions: ['@chromflow/source'] },
  ssr: { resolve: { conditions: ['@chromflow/source'] } },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
