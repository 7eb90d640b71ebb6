import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';

const README = fileURLToPath(new URL('../README.md', import.meta.url));

describe('README example', () => {
  const tmp = fileURLToPath(new URL(`./.readme-example-${process.pid}.ts`, import.meta.url));
  afterEach(() => rmSync(tmp, { force: true }));

  it('runs as written and prints 40 cells', async () => {
    const text = readFileSync(README, 'utf8');
    const block = /## Example[^\n]*\n\n```ts\n([\s\S]*?)```/.exec(text)?.[1];
    expect(block).toBeDefined();
    writeFileSync(tmp, block!);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await import(/* @vite-ignore */ tmp);
      expect(log).toHaveBeenCalledWith(expect.stringMatching(/^40 cells, \d{3} peaks, 12 files$/));
    } finally {
      log.mockRestore();
    }
  });
});
