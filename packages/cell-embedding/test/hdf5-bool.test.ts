import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { finishBooleans, lookup3 } from '../src/hdf5-bool.js';
import { openHdf5 } from '../src/hdf5.js';
import { readH5ad, writeH5ad } from '../src/index.js';

it('lookup3 gives the test vectors of Jenkins’ lookup3.c (driver5)', () => {
  const enc = new TextEncoder();
  expect(lookup3(new Uint8Array(0))).toBe(0xdeadbeef);
  expect(lookup3(enc.encode('Four score and seven years ago'))).toBe(0x17770551);
  expect(lookup3(enc.encode('Four score and seven years ago'), 1)).toBe(0xcd628161);
});

it('booleans behind more than one 16 MiB scan window are still rewritten (HDF5 reads an enum)', async () => {
  // X of 3 M non-zeros (≈ 24 MiB of data + indices) puts obs/var headers past the first window.
  const nRows = 3000;
  const nCols = 2000;
  const perRow = 1000;
  const indptr = Int32Array.from({ length: nRows + 1 }, (_, r) => r * perRow);
  const indices = new Int32Array(nRows * perRow);
  for (let r = 0; r < nRows; r++) for (let k = 0; k < perRow; k++) indices[r * perRow + k] = 2 * k;
  const flags = Array.from({ length: nCols }, (_, j) => j % 7 === 0);
  const out = join(mkdtempSync(join(tmpdir(), 'ce-bool-')), 'big.h5ad');
  await writeH5ad(out, {
    X: { nRows, nCols, indptr, indices, values: new Float32Array(indices.length).fill(1) },
    obs: { index: Array.from({ length: nRows }, (_, i) => `c${i}`), columns: {} },
    var: {
      index: Array.from({ length: nCols }, (_, j) => `g${j}`),
      columns: {
        highly_variable: flags,
        chrom: { categories: ['chr1'], codes: new Int32Array(nCols), ordered: true },
      },
    },
    obsm: {},
    uns: {},
  });
  expect(statSync(out).size).toBeGreaterThan(1 << 24);
  // HDF5 itself (through h5wasm) checks the rewritten header checksums and decodes the enum.
  const f = await openHdf5(out);
  try {
    const hv = f.get('var/highly_variable');
    const meta = (hv as { metadata: { type: number; enum_type?: { members: object } } }).metadata;
    expect(meta.type).toBe(8);
    expect(meta.enum_type?.members).toEqual({ FALSE: 0, TRUE: 1 });
  } finally {
    f.close();
  }
  const back = await readH5ad(out);
  expect(back.var.columns['highly_variable']).toEqual(flags);
  expect(back.var.columns['chrom']).toMatchObject({ ordered: true });
});

it('a boolean that cannot be found (e.g. another compound encoding) is an IO error, not a silent compound', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ce-bool-')), 'plain.h5');
  const f = await openHdf5(path, 'w');
  // An int8 column is no placeholder: asking for one rewrite must fail.
  f.create_dataset({ name: 'flags', data: Int8Array.of(0, 1) });
  f.close();
  await expect(finishBooleans(path, 1)).rejects.toMatchObject({ code: 'IO', path });
  await expect(finishBooleans(path, 0)).resolves.toBe(0);
});
