import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ChromflowError } from '@chromflow/core';
import { peakIndexFromCellCounts, type XChromData } from './xchrom-data.js';

const CODE: Record<string, number> = { A: 0, C: 1, G: 2, T: 3, a: 0, c: 1, g: 2, t: 3 };

/** Base codes of every record of a small FASTA file, all of equal length (row i = record i). */
export function parseFastaCodes(
  text: string,
  path?: string,
): { names: string[]; codes: Uint8Array; length: number } {
  const names: string[] = [];
  const seqs: string[] = [];
  let cur: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('>')) {
      if (names.length) seqs.push(cur.join(''));
      names.push(line.slice(1).trim().split(/\s+/)[0] ?? '');
      cur = [];
    } else if (line.trim()) cur.push(line.trim());
  }
  if (names.length) seqs.push(cur.join(''));
  const length = seqs[0]?.length ?? 0;
  const codes = new Uint8Array(seqs.length * length);
  seqs.forEach((s, i) => {
    if (s.length !== length) {
      throw new ChromflowError('PARSE', 'FASTA records must all have the window length', {
        path,
        field: names[i],
        expected: `${length} bp`,
        found: `${s.length} bp`,
      });
    }
    for (let j = 0; j < length; j++) codes[i * length + j] = CODE[s[j] as string] ?? 4;
  });
  return { names, codes, length };
}

function parseTsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split('\n').filter((l) => l.length > 0);
  return { header: (lines[0] ?? '').split('\t'), rows: lines.slice(1).map((l) => l.split('\t')) };
}

/**
 * Reads XChrom's E18 mouse-brain folder (`shared/data/multiome/xchrom_e18_mouse_brain`):
 * `seqs_1344bp.fa` (row i = peak i), `atac_counts.mtx.gz` (peaks × cells
 * MatrixMarket, 1-based), `cells.tsv` (barcode, n_genes, b_zscore; the
 * matrix's column order), `rna_cell_embedding_zscore32_perpc.tsv` (joined by
 * barcode) and `peaks.bed` (peak names, 0-based half-open).
 */
export async function readXChromE18(dir: string): Promise<XChromData & { peakChroms: string[] }> {
  const need = [
    'seqs_1344bp.fa',
    'atac_counts.mtx.gz',
    'cells.tsv',
    'rna_cell_embedding_zscore32_perpc.tsv',
    'peaks.bed',
  ];
  for (const f of need) {
    if (!existsSync(join(dir, f))) {
      throw new ChromflowError('IO', `the XChrom folder has no ${f}`, { path: join(dir, f) });
    }
  }
  const fa = parseFastaCodes(
    await readFile(join(dir, 'seqs_1344bp.fa'), 'utf8'),
    join(dir, 'seqs_1344bp.fa'),
  );
  const bed = (await readFile(join(dir, 'peaks.bed'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
  const cells = parseTsv(await readFile(join(dir, 'cells.tsv'), 'utf8'));
  const bc = cells.header.indexOf('barcode');
  const bz = cells.header.indexOf('b_zscore');
  const barcodes = cells.rows.map((r) => r[bc] ?? '');
  const depth = Float32Array.from(cells.rows.map((r) => Number(r[bz])));
  const emb = parseTsv(await readFile(join(dir, 'rna_cell_embedding_zscore32_perpc.tsv'), 'utf8'));
  const dim = emb.header.length - 1;
  const byBarcode = new Map(emb.rows.map((r) => [r[0] ?? '', r.slice(1).map(Number)]));
  const cellInputs = new Float32Array(barcodes.length * dim);
  barcodes.forEach((b, i) => {
    const v = byBarcode.get(b);
    if (!v) {
      throw new ChromflowError('VALUE', `cell ${b} has no RNA embedding`, {
        path: join(dir, 'rna_cell_embedding_zscore32_perpc.tsv'),
        field: b,
      });
    }
    cellInputs.set(v, i * dim);
  });
  const mtx = gunzipSync(await readFile(join(dir, 'atac_counts.mtx.gz')))
    .toString('utf8')
    .split('\n');
  let k = 0;
  while ((mtx[k] ?? '').startsWith('%')) k++;
  const [nr, nc] = (mtx[k] ?? '').split(/\s+/).map(Number);
  if (nr !== fa.names.length || nc !== barcodes.length) {
    throw new ChromflowError('SCHEMA', 'the count matrix does not match the sequences and cells', {
      path: join(dir, 'atac_counts.mtx.gz'),
      expected: `${fa.names.length} × ${barcodes.length}`,
      found: `${nr} × ${nc}`,
    });
  }
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (const line of mtx.slice(k + 1)) {
    if (!line) continue;
    const [p, c, v] = line.split(/\s+/).map(Number);
    rows.push((c as number) - 1);
    cols.push((p as number) - 1);
    vals.push(v as number);
  }
  const { peakPtr, cellIndices } = peakIndexFromCellCounts(
    barcodes.length,
    fa.names.length,
    Int32Array.from(rows),
    Int32Array.from(cols),
    Float32Array.from(vals),
  );
  return {
    nPeaks: fa.names.length,
    nCells: barcodes.length,
    seqLength: fa.length,
    codes: fa.codes,
    peakPtr,
    cellIndices,
    cellInputs,
    embeddingDim: dim,
    depth,
    barcodes,
    peakNames: bed.map((r) => r[3] ?? `${r[0]}:${r[1]}-${r[2]}`),
    peakChroms: bed.map((r) => r[0] ?? ''),
  };
}
