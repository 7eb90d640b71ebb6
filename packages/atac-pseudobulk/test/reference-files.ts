// Small readers for the reference files of ../shared/data used as oracles
// (MatrixMarket, TSV), kept in tests: they are oracles' formats, not inputs.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readBed } from '@chromflow/genome-io';
import type { RegionColumns } from '../src/index.js';

/** MatrixMarket coordinate file → map "row,col" (0-based) → value, plus the shape. */
export function readMtx(path: string): {
  nRows: number;
  nCols: number;
  entries: Map<string, number>;
} {
  const text = gunzipSync(readFileSync(path)).toString('utf8');
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('%'));
  const [nRows, nCols] = lines[0]!.trim().split(/\s+/).map(Number);
  const entries = new Map<string, number>();
  for (const l of lines.slice(1)) {
    const [i, j, v] = l.trim().split(/\s+/).map(Number);
    entries.set(`${i! - 1},${j! - 1}`, v!);
  }
  return { nRows: nRows!, nCols: nCols!, entries };
}

/** A TSV with a header → rows as records. */
export function readTsv(path: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const header = lines[0]!.split('\t');
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    // R's write.table puts the row name first without a header field.
    const off = f.length - header.length;
    return Object.fromEntries(header.map((h, i) => [h, f[i + off] ?? '']));
  });
}

export function readLines(path: string): string[] {
  return readFileSync(path, 'utf8').trim().split('\n');
}

export async function readRegions(path: string): Promise<RegionColumns> {
  return readBed(path);
}
