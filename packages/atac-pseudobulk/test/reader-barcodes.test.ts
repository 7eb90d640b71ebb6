import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readFragments, writeBgzf } from '@chromflow/genome-io';

// genome-io's parser keeps barcodes of up to 20 bytes inside its hash slots and
// guesses each barcode is as long as the previous one; these properties drive
// both edges (lengths around 20, shared prefixes, lengths changing line to
// line, the last line without its newline) against a plain string split.
const dir = mkdtempSync(join(tmpdir(), 'atac-barcodes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const barcode = fc
  .tuple(
    fc.constantFrom('', 'AAAAAAAAAAAAAAAAAA', 'sample_1#', 'ACGTACGTACGTACGTACGT'),
    fc.string({
      unit: fc.constantFrom('A', 'C', 'G', 'T', '-', '1', 'é'),
      minLength: 1,
      maxLength: 26,
    }),
  )
  .map(([prefix, rest]) => prefix + rest);

describe('fragment barcodes read back exactly (property, against a string split)', () => {
  it('plain and bgzip, any barcode lengths', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(barcode, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 600, size: 'max' }),
        fc.boolean(),
        async (codes, picks, finalNewline) => {
          const lines = picks.map((k, i) => `chr1\t${i}\t${i + 10}\t${codes[k % codes.length]}\t1`);
          const text = lines.join('\n') + (finalNewline ? '\n' : '');
          const plain = join(dir, 'f.tsv');
          const bgz = join(dir, 'f.tsv.gz');
          writeFileSync(plain, Buffer.from(text, 'latin1'));
          await writeBgzf(bgz, Buffer.from(text, 'latin1'));
          const want = lines.map((l) => l.split('\t')[3]);
          for (const path of [plain, bgz]) {
            const got: string[] = [];
            let names: readonly string[] = [];
            for await (const b of readFragments(path, { batchSize: 97 })) {
              for (let i = 0; i < b.length; i++) got.push(b.barcodes[b.barcodeIds[i]!]!);
              names = b.barcodes;
            }
            expect(got).toEqual(want);
            // One id per distinct barcode: a lookup that misses a known key would add it twice.
            expect([...names].sort()).toEqual([...new Set(want)].sort());
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
