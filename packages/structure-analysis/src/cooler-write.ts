import { rename, rm } from 'node:fs/promises';
import h5wasm from 'h5wasm/node';
import { ChromflowError, tempPathBeside } from '@chromflow/core';

/**
 * A fixed-bin contact map to write as a `.cool` (open2c cooler format v3,
 * `storage-mode` symmetric-upper): pixels are upper-triangle (bin1 ≤ bin2),
 * sorted by bin1 then bin2, ids into the genome-wide bin list.
 */
export interface CoolerContent {
  chroms: { name: string; length: number }[];
  binSize: number;
  bin1: ArrayLike<number>;
  bin2: ArrayLike<number>;
  count: ArrayLike<number>;
  /** Balancing weights (`bins/weight`), NaN for dropped bins; absent = unbalanced file. */
  weights?: Float64Array;
  /** `genome-assembly` attribute. Default 'unknown'. */
  assembly?: string;
}

/**
 * Writes a `.cool` atomically (temporary file beside, then rename) through
 * h5wasm. Readable by {@link openCooler} and by python `cooler` (tested with
 * Debian's python3-cooler).
 */
export async function writeCooler(path: string, c: CoolerContent): Promise<void> {
  const n = c.bin1.length;
  if (c.bin2.length !== n || c.count.length !== n) {
    throw new ChromflowError('VALUE', 'pixel columns differ in length', {
      field: 'pixels',
      expected: `bin1, bin2, count of one length (${n})`,
      found: `${c.bin2.length}, ${c.count.length}`,
    });
  }
  const binChrom: number[] = [];
  const binStart: number[] = [];
  const binEnd: number[] = [];
  const chromOffset = [0];
  c.chroms.forEach((ch, k) => {
    for (let s = 0; s < ch.length; s += c.binSize) {
      binChrom.push(k);
      binStart.push(s);
      binEnd.push(Math.min(s + c.binSize, ch.length));
    }
    chromOffset.push(binStart.length);
  });
  const nBins = binStart.length;
  if (c.weights && c.weights.length !== nBins) {
    throw new ChromflowError('VALUE', 'one weight per bin is needed', {
      field: 'weights',
      expected: `${nBins}`,
      found: `${c.weights.length}`,
    });
  }
  const bin1Offset = new BigInt64Array(nBins + 1);
  let prev1 = -1;
  let prev2 = -1;
  for (let k = 0; k < n; k++) {
    const i = c.bin1[k]!;
    const j = c.bin2[k]!;
    if (i > j || j >= nBins || i < prev1 || (i === prev1 && j <= prev2)) {
      throw new ChromflowError('VALUE', 'pixels must be upper-triangle, unique and sorted', {
        field: `pixels[${k}]`,
        expected: `bin1 ≤ bin2 < ${nBins}, sorted by (bin1, bin2)`,
        found: `(${i}, ${j}) after (${prev1}, ${prev2})`,
      });
    }
    bin1Offset[i + 1] = bin1Offset[i + 1]! + 1n;
    prev1 = i;
    prev2 = j;
  }
  for (let b = 0; b < nBins; b++) bin1Offset[b + 1] = bin1Offset[b + 1]! + bin1Offset[b]!;

  await h5wasm.ready;
  const tmp = tempPathBeside(path);
  const f = new h5wasm.File(tmp, 'w');
  try {
    const attrs: [string, string | number][] = [
      ['format', 'HDF5::Cooler'],
      ['format-version', 3],
      ['bin-type', 'fixed'],
      ['bin-size', c.binSize],
      ['storage-mode', 'symmetric-upper'],
      ['nbins', nBins],
      ['nchroms', c.chroms.length],
      ['nnz', n],
      ['genome-assembly', c.assembly ?? 'unknown'],
      ['generated-by', 'chromflow structure-analysis writeCooler'],
    ];
    for (const [k, v] of attrs) {
      if (typeof v === 'number') f.create_attribute(k, BigInt64Array.from([BigInt(v)]), [], '<q');
      else f.create_attribute(k, v);
    }
    for (const g of ['chroms', 'bins', 'pixels', 'indexes']) f.create_group(g);
    // fixed-length ASCII as cooler writes it (python cooler reads variable-length names as bytes)
    const width = Math.max(1, ...c.chroms.map((x) => x.name.length));
    f.create_dataset({
      name: 'chroms/name',
      data: c.chroms.map((x) => x.name),
      dtype: `A${width}`,
    });
    f.create_dataset({
      name: 'chroms/length',
      data: Int32Array.from(c.chroms, (x) => x.length),
    });
    f.create_dataset({ name: 'bins/chrom', data: Int32Array.from(binChrom) });
    f.create_dataset({ name: 'bins/start', data: Int32Array.from(binStart) });
    f.create_dataset({ name: 'bins/end', data: Int32Array.from(binEnd) });
    if (c.weights) f.create_dataset({ name: 'bins/weight', data: c.weights });
    f.create_dataset({
      name: 'pixels/bin1_id',
      data: BigInt64Array.from(Array.from(c.bin1, (v) => BigInt(v))),
    });
    f.create_dataset({
      name: 'pixels/bin2_id',
      data: BigInt64Array.from(Array.from(c.bin2, (v) => BigInt(v))),
    });
    f.create_dataset({ name: 'pixels/count', data: Int32Array.from(c.count) });
    f.create_dataset({
      name: 'indexes/chrom_offset',
      data: BigInt64Array.from(chromOffset, (v) => BigInt(v)),
    });
    f.create_dataset({ name: 'indexes/bin1_offset', data: bin1Offset });
  } catch (e) {
    f.close();
    await rm(tmp, { force: true });
    throw e;
  }
  f.close();
  await rename(tmp, path);
}
