import { open, readFile } from 'node:fs/promises';
import { tableFromIPC, type Table } from 'apache-arrow';
import { ChromflowError, encodingOf, parquetToTable } from '@chromflow/core';
import { readBed, regionsFromRecords, type Regions } from './bed.js';
import { regionsFromTable } from './tables.js';
import { isGzipFile, readLineBatches, type NumberedLine } from './text-source.js';

/**
 * Regions from whatever file a user has: BED3+ / ENCODE narrowPeak, a TSV
 * with a header naming `chrom`, `start`, `end` (optional `name`), a chromflow
 * `regions` Parquet/Arrow table, or a plain Parquet (pandas, polars, R arrow)
 * with those columns. Coordinates are taken as 0-based, end-exclusive (BED's
 * convention) in every format; the result says what was read and which lines
 * were skipped.
 */

export const REGIONS_FILE_FORMATS = ['bed', 'narrowPeak', 'tsv', 'parquet', 'arrow'] as const;
export type RegionsFileFormat = (typeof REGIONS_FILE_FORMATS)[number];

/** Header names accepted for each coordinate column of a TSV or plain table (first match wins). */
export const REGION_COLUMN_NAMES = {
  chrom: ['chrom', 'chr', 'chromosome', 'seqnames', 'seqname', 'Chromosome'],
  start: ['start', 'chromStart', 'Start'],
  end: ['end', 'chromEnd', 'End'],
  name: ['name', 'Name', 'peak_id', 'id'],
} as const;

export interface RegionsFileRead {
  regions: Regions;
  format: RegionsFileFormat;
  /** Lines that held no region (comments, `track`/`browser`, empty), with their 1-based numbers. */
  skipped: NumberedLine[];
}

const INT = /^[0-9]{1,10}$/;

/** The format of a regions file from its first bytes and first record (see the module comment). */
export async function sniffRegionsFormat(path: string): Promise<RegionsFileFormat> {
  const fh = await open(path, 'r').catch((e: unknown) => {
    throw new ChromflowError('IO', 'cannot open the regions file', { path, cause: e });
  });
  const head = Buffer.alloc(8);
  try {
    await fh.read(head, 0, 8, 0);
  } finally {
    await fh.close();
  }
  if (head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
  if (head.subarray(0, 6).toString('latin1') === 'ARROW1') return 'arrow';
  if (!(await isGzipFile(path)) && head.some((b) => b === 0)) {
    throw new ChromflowError('PARSE', 'the regions file is binary but not Parquet or Arrow', {
      path,
      expected: 'BED, narrowPeak, a TSV with a header, Parquet or Arrow IPC',
      found: `bytes ${head.toString('hex')}`,
    });
  }
  for await (const batch of readLineBatches(path)) {
    for (const line of batch) {
      const t = line.text;
      if (t === '' || t.startsWith('#') || t.startsWith('track') || t.startsWith('browser'))
        continue;
      const f = t.split('\t');
      if (!INT.test(f[1] ?? '')) return 'tsv';
      const numeric = f.slice(6, 10).every((x) => x !== '' && !Number.isNaN(Number(x)));
      if (f.length === 10 && numeric) return 'narrowPeak';
      return 'bed';
    }
  }
  throw new ChromflowError('EMPTY', 'the regions file holds no record', {
    path,
    expected: 'at least one line chrom<TAB>start<TAB>end',
  });
}

/** Reads regions from any of `REGIONS_FILE_FORMATS`; `format` defaults to sniffing. */
export async function readRegionsFile(
  path: string,
  options: { format?: RegionsFileFormat; signal?: AbortSignal } = {},
): Promise<RegionsFileRead> {
  const format = options.format ?? (await sniffRegionsFormat(path));
  const skipped: NumberedLine[] = [];
  if (format === 'bed' || format === 'narrowPeak') {
    const regions = await readBed(path, {
      flavour: format,
      signal: options.signal,
      onSkippedLine: (l) => skipped.push(l),
    });
    return { regions, format, skipped };
  }
  if (format === 'tsv') return { regions: await readRegionsTsv(path, skipped), format, skipped };
  let table: Table;
  if (format === 'parquet') {
    table = await parquetToTable(await readFile(path)).catch((e: unknown) => {
      throw new ChromflowError('PARSE', 'the regions file is not a readable Parquet file', {
        path,
        cause: e,
      });
    });
  } else {
    const bytes = await readFile(path);
    try {
      table = tableFromIPC(bytes);
    } catch (e) {
      throw new ChromflowError('PARSE', 'the regions file is not a readable Arrow IPC file', {
        path,
        cause: e,
      });
    }
  }
  return { regions: regionsFromAnyTable(table, path), format, skipped };
}

function pickColumn(names: readonly string[], want: readonly string[]): number {
  for (const w of want) {
    const i = names.indexOf(w);
    if (i >= 0) return i;
  }
  return -1;
}

function missingColumn(path: string, which: string, found: readonly string[]): ChromflowError {
  const want = REGION_COLUMN_NAMES[which as keyof typeof REGION_COLUMN_NAMES];
  return new ChromflowError('SCHEMA', `the regions table has no ${which} column`, {
    path,
    line: 1,
    field: which,
    expected: `a column named one of ${want.join(', ')}`,
    found: found.join(', '),
  });
}

/**
 * A chromflow `regions` table as is; any other table by its columns
 * (`REGION_COLUMN_NAMES`; pandas' `__index_level_0__` and other columns that
 * are not numbers or text are left out).
 */
export function regionsFromAnyTable(table: Table, path: string): Regions {
  if (encodingOf(table)?.type === 'regions') return regionsFromTable(table, path);
  const names = table.schema.fields.map((f) => f.name);
  const idx = Object.fromEntries(
    (['chrom', 'start', 'end', 'name'] as const).map((k) => [
      k,
      pickColumn(names, REGION_COLUMN_NAMES[k]),
    ]),
  ) as Record<'chrom' | 'start' | 'end' | 'name', number>;
  for (const k of ['chrom', 'start', 'end'] as const)
    if (idx[k] < 0) throw missingColumn(path, k, names);
  const n = table.numRows;
  const get = (c: number, i: number): unknown => table.getChildAt(c)!.get(i);
  const records: { chrom: string; start: number; end: number; name?: string }[] = [];
  for (let i = 0; i < n; i++) {
    const chrom = get(idx.chrom, i);
    const rawStart = get(idx.start, i);
    const rawEnd = get(idx.end, i);
    const start = typeof rawStart === 'bigint' ? Number(rawStart) : rawStart;
    const end = typeof rawEnd === 'bigint' ? Number(rawEnd) : rawEnd;
    if (typeof chrom !== 'string' || chrom === '') {
      throw new ChromflowError('VALUE', `row ${i} has no chromosome name`, {
        path,
        field: names[idx.chrom],
        found: String(chrom),
      });
    }
    checkInterval(path, `row ${i}`, start, end, names[idx.start]!);
    const name = idx.name >= 0 ? get(idx.name, i) : undefined;
    records.push({
      chrom,
      start: start as number,
      end: end as number,
      ...(typeof name === 'string' || typeof name === 'number' || typeof name === 'bigint'
        ? { name: String(name) }
        : {}),
    });
  }
  return regionsFromRecords(records);
}

function checkInterval(
  path: string,
  where: string,
  start: unknown,
  end: unknown,
  field: string,
  line?: number,
): void {
  const ok = (x: unknown): x is number =>
    typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0x7fffffff;
  if (!ok(start) || !ok(end) || start >= end) {
    throw new ChromflowError('VALUE', `${where} is not a valid 0-based half-open interval`, {
      path,
      line,
      field,
      expected: 'integers 0 ≤ start < end (0-based start, exclusive end, as BED)',
      found: `start ${String(start)}, end ${String(end)}`,
    });
  }
}

/** A tab-separated file with a header line naming the columns (plain or gzip). */
async function readRegionsTsv(path: string, skipped: NumberedLine[]): Promise<Regions> {
  let header: string[] | undefined;
  let cols = { chrom: -1, start: -1, end: -1, name: -1 };
  const records: { chrom: string; start: number; end: number; name?: string }[] = [];
  for await (const batch of readLineBatches(path)) {
    for (const line of batch) {
      const t = line.text;
      if (t === '' || t.startsWith('#')) {
        skipped.push(line);
        continue;
      }
      const f = t.split('\t');
      if (!header) {
        header = f;
        cols = {
          chrom: pickColumn(f, REGION_COLUMN_NAMES.chrom),
          start: pickColumn(f, REGION_COLUMN_NAMES.start),
          end: pickColumn(f, REGION_COLUMN_NAMES.end),
          name: pickColumn(f, REGION_COLUMN_NAMES.name),
        };
        for (const k of ['chrom', 'start', 'end'] as const) {
          if (cols[k] < 0) {
            const e = missingColumn(path, k, f);
            throw new ChromflowError(e.code, e.message, {
              path,
              line: line.lineNumber,
              source: t,
              field: k,
              expected: `${e.expected}; a headerless file must be BED (chrom, start, end as integers)`,
              found: f.join(', '),
            });
          }
        }
        continue;
      }
      if (f.length !== header.length) {
        throw new ChromflowError(
          'PARSE',
          `line has ${f.length} columns but the header has ${header.length}`,
          {
            path,
            line: line.lineNumber,
            source: t,
            expected: `${header.length} tab-separated columns`,
            found: `${f.length}`,
          },
        );
      }
      const s = f[cols.start]!;
      const e = f[cols.end]!;
      checkInterval(
        path,
        `line ${line.lineNumber}`,
        INT.test(s) ? Number(s) : s,
        INT.test(e) ? Number(e) : e,
        header[cols.start]!,
        line.lineNumber,
      );
      records.push({
        chrom: f[cols.chrom]!,
        start: Number(s),
        end: Number(e),
        ...(cols.name >= 0 ? { name: f[cols.name]! } : {}),
      });
    }
  }
  if (records.length === 0) {
    throw new ChromflowError('EMPTY', 'the regions TSV holds no record', {
      path,
      expected: 'a header line, then one region per line',
    });
  }
  return regionsFromRecords(records);
}
