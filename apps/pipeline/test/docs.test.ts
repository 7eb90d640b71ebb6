import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { StageRegistry } from '../src/registry.js';
import { stageReferenceMarkdown } from '../src/stage-docs.js';

describe('docs', () => {
  it('docs/stages.md is the current stage reference', async () => {
    const expected = stageReferenceMarkdown(await new StageRegistry().all());
    const actual = await readFile(new URL('../../../docs/stages.md', import.meta.url), 'utf8');
    expect(actual, 'regenerate with: npm run docs:stages').toBe(expected);
  });

  it('the README documents every CLI command and the workflow fields', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const cmd of ['run', 'plan', 'status', 'clean', 'stages', 'stage'])
      expect(readme).toContain(`chromflow ${cmd}`);
    for (const field of [
      'version:',
      'name:',
      'cache:',
      'results:',
      'plugins:',
      'stages:',
      'uses:',
      'with:',
      'inputs:',
      '{ from:',
    ]) {
      expect(readme).toContain(field);
    }
    expect(readme).toContain('npm ci && npx nx run pipeline:full');
  });
});
