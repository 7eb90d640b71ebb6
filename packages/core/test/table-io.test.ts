import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ChromflowError,
  csrFromSparse,
  csrToSparse,
  encodingOf,
  makeTable,
  readTable,
  sparseFromTable,
  sparseToTable,
  writeTable,
} from '../src/index.js';

const tmp = () => mkdtemp(join(tmpdir(), 'chromflow-core-'));

describe('table I/O', () => {
  it.each(['t.parquet', 't.arrow'])(
    'round-trips columns and encoding metadata through %s',
    async (name) => {
      const dir = await tmp();
      const t = makeTable(
        {
          chrom: ['chr1', 'chr2', 'chr1'],
          start: Int32Array.from([0, 10, 99]),
          score: Float32Array.from([0.5, 1, -2]),
        },
        'regions',
        '3',
      );
      await writeTable(join(dir, name), t);
      const back = await readTable(join(dir, name));
      expect(back.numRows).toBe(3);
      expect(back.getChild('chrom')!.toArray()).toEqual(['chr1', 'chr2', 'chr1']);
      expect(Array.from(back.getChild('start')!.toArray() as Int32Array)).toEqual([0, 10, 99]);
      expect(Array.from(back.getChild('score')!.toArray() as Float32Array)).toEqual([0.5, 1, -2]);
      expect(encodingOf(back)).toEqual({ type: 'regions', version: '3' });
      // atomic write leaves no temporary file behind
      expect(await readdir(dir)).toEqual([name]);
    },
  );

  it('names the file when it is not a table', async () => {
    const dir = await tmp();
    const p = join(dir, 'bad.parquet');
    await writeFile(p, 'not parquet');
    const err = await readTable(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChromflowError);
    expect((err as ChromflowError).format()).toContain(p);
    expect((err as ChromflowError).code).toBe('PARSE');
  });
});

describe('sparse matrices', () => {
  const m = {
    nRows: 3,
    nCols: 4,
    rows: Int32Array.from([2, 0, 2, 1]),
    cols: Int32Array.from([3, 1, 0, 2]),
    values: Float32Array.from([1, 2, 3, 4]),
  };
  it('round-trips through a Parquet table with its shape', async () => {
    const dir = await tmp();
    await writeTable(join(dir, 'm.parquet'), sparseToTable(m));
    const back = sparseFromTable(await readTable(join(dir, 'm.parquet')));
    expect(back).toEqual(m);
  });
  it('converts to CSR and back, keeping row order', () => {
    const csr = csrFromSparse(m);
    expect(Array.from(csr.indptr)).toEqual([0, 1, 2, 4]);
    expect(Array.from(csr.indices)).toEqual([1, 2, 3, 0]);
    expect(Array.from(csr.values)).toEqual([2, 4, 1, 3]);
    const coo = csrToSparse(csr);
    expect(Array.from(coo.rows)).toEqual([0, 1, 2, 2]);
  });
});

describe('ChromflowError.format', () => {
  it('renders path:line:col, the source line and a caret', () => {
    const e = new ChromflowError('PARSE', 'start is not an integer', {
      path: 'peaks.bed',
      line: 3,
      column: 6,
      source: 'chr1\tx10\t20',
      expected: 'a non-negative integer',
      found: "'x10'",
    });
    expect(e.format()).toBe(
      "peaks.bed:3:6: start is not an integer: expected a non-negative integer, found 'x10'\n  | chr1\tx10\t20\n  |      ^",
    );
  });
});
