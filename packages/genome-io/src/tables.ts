import { Binary, Table, Utf8, makeData, makeVector, vectorFromArray } from 'apache-arrow';
import type { Int32, Vector } from 'apache-arrow';
import { ChromflowError, requireColumns, requireEncoding, withEncoding } from '@chromflow/core';
import type { Regions, RegionColumn } from './bed.js';
import type { WindowCodes, Windows } from './windows.js';

/**
 * Arrow tables for the `regions` and `sequence-codes` port types, with
 * explicit column types and `chromflow.encoding-type`/`-version` metadata.
 * Each `xToTable` has its opposite `xFromTable`.
 */

export const REGIONS_ENCODING_VERSION = '1';
export const SEQUENCE_CODES_ENCODING_VERSION = '1';

function utf8(values: readonly string[]): Vector<Utf8> {
  return vectorFromArray(values as string[], new Utf8());
}

function int32(values: Int32Array): Vector<Int32> {
  return makeVector(values);
}

/** Strings of a utf8 or dictionary<utf8> column. */
export function stringsOf(table: Table, name: string, path?: string): string[] {
  const col = table.getChild(name);
  if (!col) {
    throw new ChromflowError('SCHEMA', `table has no column '${name}'`, { path, field: name });
  }
  const out: string[] = new Array<string>(col.length);
  for (let i = 0; i < col.length; i++) {
    const v: unknown = col.get(i);
    if (typeof v !== 'string') {
      throw new ChromflowError('SCHEMA', `column '${name}' row ${i} is not a string`, {
        path,
        field: name,
        expected: 'utf8',
        found: String(col.type),
      });
    }
    out[i] = v;
  }
  return out;
}

/** Int32 values of an integer column (any integer width that fits). */
export function int32sOf(table: Table, name: string, path?: string): Int32Array {
  const col = table.getChild(name);
  if (!col)
    throw new ChromflowError('SCHEMA', `table has no column '${name}'`, { path, field: name });
  const out = new Int32Array(col.length);
  for (let i = 0; i < col.length; i++) {
    const v: unknown = col.get(i);
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      throw new ChromflowError('SCHEMA', `column '${name}' row ${i} is not an integer`, {
        path,
        field: name,
        expected: 'int32',
        found: String(col.type),
      });
    }
    out[i] = n;
  }
  return out;
}

/**
 * `regions` table: `chrom` utf8, `start` int32 (0-based), `end` int32
 * (exclusive), `name` utf8, then the extra columns (float64 or utf8).
 */
export function regionsToTable(regions: Regions): Table {
  const chroms = Array.from(regions.chromIds, (id) => regions.chromNames[id]!);
  const cols: Record<string, Vector> = {
    chrom: utf8(chroms),
    start: int32(regions.starts),
    end: int32(regions.ends),
    name: utf8(regions.names),
  };
  for (const [k, v] of Object.entries(regions.columns)) {
    cols[k] = v instanceof Float64Array ? makeVector(v) : utf8(v);
  }
  return withEncoding(new Table(cols), 'regions', REGIONS_ENCODING_VERSION);
}

/** The opposite of `regionsToTable`; checks the encoding and the required columns. */
export function regionsFromTable(table: Table, path?: string): Regions {
  requireEncoding(table, 'regions', path);
  requireColumns(table, ['chrom', 'start', 'end', 'name'], path);
  const chroms = stringsOf(table, 'chrom', path);
  const chromNames: string[] = [];
  const index = new Map<string, number>();
  const chromIds = Int32Array.from(chroms, (c) => {
    let id = index.get(c);
    if (id === undefined) {
      id = chromNames.length;
      index.set(c, id);
      chromNames.push(c);
    }
    return id;
  });
  const columns: Record<string, RegionColumn> = {};
  for (const f of table.schema.fields) {
    if (['chrom', 'start', 'end', 'name'].includes(f.name)) continue;
    const col = table.getChild(f.name)!;
    columns[f.name] =
      f.type instanceof Utf8
        ? stringsOf(table, f.name, path)
        : Float64Array.from({ length: col.length }, (_, i) => Number(col.get(i)));
  }
  return {
    chromNames,
    chromIds,
    starts: int32sOf(table, 'start', path),
    ends: int32sOf(table, 'end', path),
    names: stringsOf(table, 'name', path),
    columns,
    length: table.numRows,
  };
}

/** Windows and their codes, row i = window i. */
export interface SequenceCodes extends Windows, WindowCodes {}

/**
 * `sequence-codes` table: `name` utf8, `chrom` utf8, `start`/`end` int32 (the
 * window, 0-based half-open), `codes` binary (one byte per base, A0 C1 G2 T3 N4).
 */
export function sequenceCodesToTable(seqs: SequenceCodes): Table {
  const codes = makeVector(
    makeData({
      type: new Binary(),
      length: seqs.length,
      nullCount: 0,
      valueOffsets: seqs.offsets,
      data: seqs.codes,
    }),
  );
  const t = new Table({
    name: utf8(seqs.names),
    chrom: utf8(Array.from(seqs.chromIds, (id) => seqs.chromNames[id]!)),
    start: int32(seqs.starts),
    end: int32(seqs.ends),
    codes,
  });
  return withEncoding(t, 'sequence-codes', SEQUENCE_CODES_ENCODING_VERSION);
}

/** The opposite of `sequenceCodesToTable`. */
export function sequenceCodesFromTable(table: Table, path?: string): SequenceCodes {
  requireEncoding(table, 'sequence-codes', path);
  requireColumns(table, ['name', 'chrom', 'start', 'end', 'codes'], path);
  const regions = regionsFromTable(
    withEncoding(
      table.select(['chrom', 'start', 'end', 'name']),
      'regions',
      REGIONS_ENCODING_VERSION,
    ),
    path,
  );
  const col = table.getChild('codes')!;
  const offsets = new Int32Array(table.numRows + 1);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const v: unknown = col.get(i);
    if (!(v instanceof Uint8Array)) {
      throw new ChromflowError('SCHEMA', `column 'codes' row ${i} is not binary`, {
        path,
        field: 'codes',
      });
    }
    parts.push(v);
    offsets[i + 1] = offsets[i]! + v.length;
  }
  const codes = new Uint8Array(offsets[table.numRows]!);
  parts.forEach((p, i) => codes.set(p, offsets[i]));
  return {
    names: regions.names,
    chromNames: regions.chromNames,
    chromIds: regions.chromIds,
    starts: regions.starts,
    ends: regions.ends,
    length: table.numRows,
    codes,
    offsets,
  };
}
