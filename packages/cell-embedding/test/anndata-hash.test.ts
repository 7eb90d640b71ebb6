import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { hashAnnDataContent, readH5ad, writeH5ad, type AnnData } from '../src/index.js';

function small(): AnnData {
  return {
    X: {
      nRows: 3,
      nCols: 2,
      indptr: Int32Array.from([0, 1, 3, 4]),
      indices: Int32Array.from([1, 0, 1, 0]),
      values: Float32Array.from([1.5, 2, 0.25, 7]),
    },
    obs: { index: ['AAA-1', 'CCC-1', 'GGG-1'], columns: {} },
    var: { index: ['GeneA', 'GeneB'], columns: {} },
    obsm: {},
    uns: {},
  };
}

describe('hashAnnDataContent', () => {
  it('is the same for two writes of one matrix whose files differ in bytes (HDF5 write times)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ce-hash-'));
    const a = join(dir, 'a.h5ad');
    const b = join(dir, 'b.h5ad');
    await writeH5ad(a, small());
    await new Promise((r) => setTimeout(r, 1100)); // HDF5 stamps whole seconds
    await writeH5ad(b, small());
    expect(await hashFile(a)).not.toBe(await hashFile(b));
    expect(hashAnnDataContent(await readH5ad(a))).toBe(hashAnnDataContent(await readH5ad(b)));
    expect(hashAnnDataContent(await readH5ad(a))).toBe(hashAnnDataContent(small()));
  });

  it('changes with a value, a name or the shape', () => {
    const base = hashAnnDataContent(small());
    const v = small();
    v.X.values[2] = 0.5;
    const o = small();
    o.obs.index[0] = 'TTT-1';
    const g = small();
    g.var.index[1] = 'GeneC';
    const s = small();
    s.X.nCols = 3;
    for (const x of [v, o, g, s]) expect(hashAnnDataContent(x)).not.toBe(base);
  });
});
