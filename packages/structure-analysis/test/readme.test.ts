import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

const oct4 = sharedDataFile('structures', 'af2_multimer_pioneer_tfs', 'Q01860_P35244.pdb');
const cool = sharedDataFile(
  'hic',
  'cooler_gm12878_mboi_2000kb_hg19',
  'hg19.GM12878-MboI.matrix.2000kb.cool',
);

describe.skipIf(!oct4 || !cool)('README example', () => {
  it('runs and prints what its comments say', async () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const block = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    const importLine = /^import \{([^}]*)\} from '@chromflow\/structure-analysis';\n/m.exec(block)!;
    const names = importLine[1]!.split(',').map((s) => s.trim());
    const body = block
      .replace(importLine[0], '')
      .replace("'Q01860_P35244.pdb'", JSON.stringify(oct4))
      .replace("'hg19.GM12878-MboI.matrix.2000kb.cool'", JSON.stringify(cool));
    const printed: string[] = [];
    const fakeConsole = { log: (s: unknown) => void printed.push(String(s)) };
    const AsyncFunction = Object.getPrototypeOf(async () => {
      await Promise.resolve();
    }).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
    const run = new AsyncFunction(...names, 'console', body);
    await run(...names.map((n) => (api as Record<string, unknown>)[n]), fakeConsole);
    const expected = [...block.matchAll(/console\.log\(.*\); \/\/ (\S+(?: \S+)?)/g)].map(
      (m) => m[1]!,
    );
    expect(printed).toEqual(expected);
  });
});
