import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { ChromflowError, writeFileAtomic } from '@chromflow/core';

/** A cell table: barcodes in file order and, where the file has one, a label per cell. */
export interface CellLabels {
  barcodes: string[];
  /** Label of each cell (`''` where the field is empty); undefined when there is no label column. */
  labels?: string[];
  /** Name of the label column used. */
  labelColumn?: string;
}

export interface ReadCellLabelsOptions {
  /** Label column; default the first column after `barcode` (e.g. `cell_type`). */
  labelColumn?: string;
}

/** The lines of a cell table (plain or gzip; trailing empty lines dropped), and where its barcodes are. */
async function readCellTableLines(
  path: string,
): Promise<{ lines: string[]; hasHeader: boolean; barcodeCol: number }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  } catch (e) {
    throw new ChromflowError('IO', 'cannot read the cell table', { path, cause: e });
  }
  const lines = bytes.toString('utf8').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) {
    throw new ChromflowError('EMPTY', 'the cell table has no lines', {
      path,
      expected: 'a header with a barcode column, then one cell per line',
    });
  }
  const first = lines[0]!.split('\t');
  const hasHeader = first.includes('barcode');
  return { lines, hasHeader, barcodeCol: hasHeader ? first.indexOf('barcode') : 0 };
}

/**
 * Reads a `cell-labels` TSV (plain or gzip): a header naming a `barcode`
 * column and label columns, one cell per line. A file whose first line has no
 * `barcode` field is read as headerless: barcode, then an optional label
 * (10x `barcodes.tsv`). Duplicate barcodes throw VALUE with the line.
 */
export async function readCellLabels(
  path: string,
  options: ReadCellLabelsOptions = {},
): Promise<CellLabels> {
  const { lines, hasHeader, barcodeCol } = await readCellTableLines(path);
  const first = lines[0]!.split('\t');
  const header = hasHeader ? first : undefined;
  let labelCol = -1;
  if (options.labelColumn !== undefined) {
    labelCol = header ? header.indexOf(options.labelColumn) : -1;
    if (labelCol < 0) {
      throw new ChromflowError('SCHEMA', `the cell table has no column '${options.labelColumn}'`, {
        path,
        line: 1,
        field: options.labelColumn,
        expected: `a header naming '${options.labelColumn}'`,
        found: header ? header.join(', ') : 'no header line',
      });
    }
  } else if (header) {
    labelCol = header.findIndex((_, i) => i !== barcodeCol);
  } else if (first.length > 1) {
    labelCol = 1;
  }
  const barcodes: string[] = [];
  const labels: string[] = [];
  const seen = new Map<string, number>();
  for (let i = hasHeader ? 1 : 0; i < lines.length; i++) {
    const f = lines[i]!.split('\t');
    const b = f[barcodeCol];
    if (!b) {
      throw new ChromflowError('PARSE', 'a line of the cell table has no barcode', {
        path,
        line: i + 1,
        source: lines[i],
        expected: `a barcode in column ${barcodeCol + 1}`,
      });
    }
    const prev = seen.get(b);
    if (prev !== undefined) {
      throw new ChromflowError('VALUE', `barcode ${b} appears twice in the cell table`, {
        path,
        line: i + 1,
        source: lines[i],
        field: 'barcode',
        expected: 'each barcode once',
        found: `also on line ${prev}`,
      });
    }
    seen.set(b, i + 1);
    barcodes.push(b);
    if (labelCol >= 0) labels.push(f[labelCol] ?? '');
  }
  return labelCol >= 0
    ? { barcodes, labels, labelColumn: header ? header[labelCol] : 'label' }
    : { barcodes };
}

/**
 * Writes (atomically) the lines of the cell table at `path` whose barcode is
 * in `keep`, with its header and every column unchanged, so labels and any
 * `labelColumn` choice carry over. Without a source table, writes a
 * `barcode` header and `barcodes` in order. Returns the number of cells written.
 */
export async function writeCellTableSubset(
  out: string,
  keep: ReadonlySet<string>,
  source: { path: string } | { barcodes: readonly string[] },
): Promise<number> {
  if (!('path' in source)) {
    const kept = source.barcodes.filter((b) => keep.has(b));
    await writeFileAtomic(out, `barcode\n${kept.map((b) => `${b}\n`).join('')}`);
    return kept.length;
  }
  const { lines, hasHeader, barcodeCol } = await readCellTableLines(source.path);
  const body = lines.slice(hasHeader ? 1 : 0).filter((l) => keep.has(l.split('\t')[barcodeCol]!));
  await writeFileAtomic(
    out,
    (hasHeader ? [lines[0]!, ...body] : body).map((l) => `${l}\n`).join(''),
  );
  return body.length;
}

/** How many distinct non-empty labels there are among `labels`, and how many cells carry one. */
export function countGroups(labels: readonly string[]): { groups: number; labelled: number } {
  const seen = new Set<string>();
  let labelled = 0;
  for (const l of labels) {
    if (l === '') continue;
    labelled++;
    seen.add(l);
  }
  return { groups: seen.size, labelled };
}

/**
 * A warning when a labelling is degenerate: every labelled cell its own group
 * (usually the wrong label column, e.g. ArchR's `cell` column instead of
 * `Clusters` gave 127 one-cell groups on PBSmall), or no cell labelled at all.
 */
export function labelWarning(labels: readonly string[], labelColumn?: string): string | undefined {
  const { groups, labelled } = countGroups(labels);
  const col = labelColumn ? ` (label column '${labelColumn}')` : '';
  if (labelled === 0) return `no cell has a label${col}: there is nothing to group`;
  if (labelled > 1 && groups === labelled)
    return `every one of the ${labelled} labelled cells is its own group${col}: is this the right label column? Set labelColumn`;
  return undefined;
}
