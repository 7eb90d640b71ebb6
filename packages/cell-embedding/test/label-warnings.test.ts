import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stages } from '../src/index.js';

// Issue 17: a label column with one value per cell (ArchR's `cell`) silently
// made one group per cell; the stage now says so.
const root = new URL('../../../test-data/', import.meta.url).pathname;
const present = existsSync(`${root}rna/matrix.mtx.gz`) && existsSync(`${root}cells.tsv`);
if (!present) console.warn('skipping: test-data/rna or cells.tsv is not there (run the simulator)');

async function pseudobulkWarnings(labels: string, labelColumn: string): Promise<string[]> {
  const s = stages.find((x) => x.name === 'cell-embedding.pseudobulk-expression')!;
  const dir = mkdtempSync(join(tmpdir(), 'ce-labels-'));
  const warnings: string[] = [];
  await s.run({
    params: { label_column: labelColumn },
    inputs: { 'counts-mtx': `${root}rna`, 'cell-labels': labels },
    outputs: { 'gene-expression': join(dir, 'gene-expression.parquet') },
    tempDir: dir,
    log: { info: () => undefined, warn: (m) => warnings.push(m) },
    onProgress: () => undefined,
    signal: new AbortController().signal,
  });
  return warnings;
}

describe.skipIf(!present)('pseudobulk-expression label column', () => {
  it('warns when every labelled cell is its own group, not when the column holds types', async () => {
    const lines = readFileSync(`${root}cells.tsv`, 'utf8').trim().split('\n').slice(1);
    const path = join(mkdtempSync(join(tmpdir(), 'ce-labels-')), 'cells.tsv');
    writeFileSync(
      path,
      `cell\tbarcode\tcell_type\n${lines.map((l) => `id-${l.split('\t')[0]}\t${l}\n`).join('')}`,
    );
    expect(await pseudobulkWarnings(path, 'cell_type')).toEqual([]);
    const w = await pseudobulkWarnings(path, 'cell');
    expect(w.join('\n')).toContain(
      `every one of the ${lines.length} labelled cells is its own group (label column 'cell')`,
    );
  });
});
