// Shared vitest settings: packages resolve each other from source through the
// `@chromflow/source` export condition, so tests need no build. Each run also
// writes a JSON report to `<repo>/.test-results/<package folder>.json`, which
// `scripts/test-summary.mjs` totals into CI's closing line.
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

export const chromflowVitest = defineConfig({
  resolve: { conditions: ['@chromflow/source'] },
  ssr: { resolve: { conditions: ['@chromflow/source'] } },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: [
      'default',
      ['json', { outputFile: join(repoRoot, '.test-results', `${basename(process.cwd())}.json`) }],
    ],
  },
});
