import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { type Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import type * as ParquetModule from 'parquet-wasm';
import { writeFileAtomic } from './atomic-write.js';
import { ChromflowError } from './errors.js';

/** Schema-metadata keys every chromflow table carries (house style §10). */
export const ENCODING_TYPE_KEY = 'chromflow.encoding-type';
export const ENCODING_VERSION_KEY = 'chromflow.encoding-version';

export type TableFormat = 'parquet' | 'arrow';

/** `.parquet` → parquet, `.arrow`/`.feather`/`.ipc` → Arrow IPC file. */
export function tableFormatFromPath(path: string): TableFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc') return 'arrow';
  throw new ChromflowError('VALUE', 'cannot tell the table format from the file name', {
    path,
    expected: 'a .parquet or .arrow file',
    found: ext || 'no extension',
  });
}

/** The same table with `chromflow.encoding-type`/`-version` set in its schema metadata. */
export function withEncoding<T extends Table>(table: T, type: string, version: string): T {
  table.schema.metadata.set(ENCODING_TYPE_KEY, type);
  table.schema.metadata.set(ENCODING_VERSION_KEY, version);
  return table;
}

/** The table's encoding type, or undefined when it carries none. */
export function encodingOf(table: Table): { type: string; version: string } | undefined {
  const type = table.schema.metadata.get(ENCODING_TYPE_KEY);
  if (type === undefined) return undefined;
  return { type, version: table.schema.metadata.get(ENCODING_VERSION_KEY) ?? '' };
}

/** Throws a SCHEMA error naming `path` unless `table` is of encoding `type`. */
export function requireEncoding(table: Table, type: string, path?: string): void {
  const enc = encodingOf(table);
  if (enc?.type !== type) {
    throw new ChromflowError('SCHEMA', 'table is not of the expected kind', {
      path,
      field: ENCODING_TYPE_KEY,
      expected: type,
      found: enc?.type ?? 'no chromflow.encoding-type in the schema metadata',
    });
  }
}

/** Throws a SCHEMA error naming `path` unless every column in `names` exists. */
export function requireColumns(table: Table, names: readonly string[], path?: string): void {
  const have = table.schema.fields.map((f) => f.name);
  for (const n of names) {
    if (!have.includes(n)) {
      throw new ChromflowError('SCHEMA', `table has no column '${n}'`, {
        path,
        field: n,
        expected: `columns ${names.join(', ')}`,
        found: have.join(', ') || 'no columns',
      });
    }
  }
}

export interface WriteTableOptions {
  /** Rows per Parquet row group; bounds the writer's peak memory. Default 1,048,576. */
  rowGroupSize?: number;
  /** Parquet compression; default zstd. */
  compression?: 'zstd' | 'snappy' | 'uncompressed';
}

let parquetModule: Promise<typeof ParquetModule> | undefined;
/**
 * parquet-wasm instantiates its wasm on import (≈0.25 s here), so it is loaded
 * on first use: the orchestrator's cached re-runs never read a Parquet file.
 */
function loadParquet(): Promise<typeof ParquetModule> {
  parquetModule ??= import('parquet-wasm');
  return parquetModule;
}

/** Table → Parquet bytes (standard Parquet, readable by pandas/polars/DuckDB/R arrow). */
export async function parquetFromTable(
  table: Table,
  options: WriteTableOptions = {},
): Promise<Uint8Array> {
  const parquet = await loadParquet();
  const compression = {
    zstd: parquet.Compression.ZSTD,
    snappy: parquet.Compression.SNAPPY,
    uncompressed: parquet.Compression.UNCOMPRESSED,
  }[options.compression ?? 'zstd'];
  const props = new parquet.WriterPropertiesBuilder()
    .setCompression(compression)
    .setMaxRowGroupSize(options.rowGroupSize ?? 1 << 20)
    .build();
  const wasmTable = parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
  return parquet.writeParquet(wasmTable, props);
}

/** Parquet bytes → Table; the opposite of `parquetFromTable`. */
export async function parquetToTable(bytes: Uint8Array): Promise<Table> {
  const parquet = await loadParquet();
  const wasmTable = parquet.readParquet(bytes);
  return tableFromIPC(wasmTable.intoIPCStream());
}

/** Writes a table atomically as Parquet or Arrow IPC, chosen by the extension of `path`. */
export async function writeTable(
  path: string,
  table: Table,
  options: WriteTableOptions = {},
): Promise<void> {
  const bytes =
    tableFormatFromPath(path) === 'parquet'
      ? await parquetFromTable(table, options)
      : tableToIPC(table, 'file');
  await writeFileAtomic(path, bytes);
}

/** Reads a Parquet or Arrow IPC table, chosen by the extension of `path`. */
export async function readTable(path: string): Promise<Table> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new ChromflowError('IO', 'cannot read table file', { path, cause: e });
  }
  try {
    return tableFormatFromPath(path) === 'parquet'
      ? await parquetToTable(bytes)
      : tableFromIPC(bytes);
  } catch (e) {
    if (e instanceof ChromflowError) throw e;
    throw new ChromflowError('PARSE', 'file is not a readable table', {
      path,
      expected: tableFormatFromPath(path) === 'parquet' ? 'a Parquet file' : 'an Arrow IPC file',
      found: e instanceof Error ? e.message : String(e),
      cause: e,
    });
  }
}
