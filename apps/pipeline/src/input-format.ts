import { open } from 'node:fs/promises';
import { encodingOf, readTable, tableFormatFromPath, type PortSpec } from '@chromflow/core';
import type { StageCatalog, StageDeclaration } from './stage-catalog.js';

/**
 * Checks, before anything runs, that a file given to a port by path is of the
 * port's format: a table port needs a Parquet/Arrow table whose
 * `chromflow.encoding-type` is the port's type (a peaks BED or a pandas
 * Parquet given to a `regions` port used to pass `plan` and fail at run
 * time); a file port of a text format must not get a table. Reads the first
 * bytes, and for tables the table itself (only for inputs given by path).
 */

/** File port types whose stages read Parquet/Arrow as well as text (see genome-io's regions-file). */
const FILE_TYPES_TAKING_TABLES = new Set(['regions-file']);

export interface InputFormatMismatch {
  expected: string;
  found: string;
  hint?: string;
}

type Sniffed = 'parquet' | 'arrow' | 'gzip' | 'text' | 'binary' | 'empty';

async function sniff(path: string): Promise<{ kind: Sniffed; firstLine?: string }> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(256);
  let n: number;
  try {
    n = (await fh.read(head, 0, head.length, 0)).bytesRead;
  } finally {
    await fh.close();
  }
  const b = head.subarray(0, n);
  if (n === 0) return { kind: 'empty' };
  if (b.subarray(0, 4).toString('latin1') === 'PAR1') return { kind: 'parquet' };
  if (b.subarray(0, 6).toString('latin1') === 'ARROW1') return { kind: 'arrow' };
  if (b[0] === 0x1f && b[1] === 0x8b) return { kind: 'gzip' };
  if (b.includes(0)) return { kind: 'binary' };
  return { kind: 'text', firstLine: b.toString('utf8').split('\n')[0] };
}

function describeSniffed(s: { kind: Sniffed; firstLine?: string }): string {
  if (s.kind === 'text') return `a text file whose first line is ${JSON.stringify(s.firstLine)}`;
  if (s.kind === 'gzip') return 'a gzip-compressed file';
  if (s.kind === 'empty') return 'an empty file';
  if (s.kind === 'binary') return 'a binary file that is not Parquet or Arrow';
  return `a${s.kind === 'arrow' ? 'n Arrow IPC' : ' Parquet'} table`;
}

/**
 * Stages that make a table of `type` from files alone, the plainest first
 * (fewest outputs, then fewest required inputs): the conversions to suggest.
 */
async function converters(type: string, catalog: StageCatalog): Promise<string | undefined> {
  const required = (s: StageDeclaration): PortSpec[] =>
    Object.values(s.inputs).filter((i) => !i.optional);
  const found = (await catalog.all())
    .filter(
      (s) =>
        Object.values(s.outputs).some((o) => o.kind === 'table' && o.type === type) &&
        required(s).length > 0 &&
        required(s).every((i) => i.kind === 'file'),
    )
    .sort(
      (a, b) =>
        Object.keys(a.outputs).length - Object.keys(b.outputs).length ||
        required(a).length - required(b).length,
    )
    .slice(0, 2);
  if (found.length === 0) return undefined;
  const list = found.map((s) => {
    const files = Object.entries(s.inputs)
      .filter(([, i]) => !i.optional)
      .map(([p, i]) => `${p}: ${i.type}`);
    return `${s.name} (${files.join(', ')})`;
  });
  return `make the '${type}' table with a stage and wire its output here, e.g. ${list.join(' or ')}`;
}

/** What is wrong with giving the file at `path` to a port `spec`, or undefined when it fits. */
export async function inputFormatMismatch(
  path: string,
  spec: PortSpec,
  catalog: StageCatalog,
): Promise<InputFormatMismatch | undefined> {
  if (spec.kind === 'directory') return undefined;
  const s = await sniff(path);
  const isTable = s.kind === 'parquet' || s.kind === 'arrow';
  if (spec.kind === 'file') {
    if (!isTable || FILE_TYPES_TAKING_TABLES.has(spec.type)) return undefined;
    return { expected: `a ${spec.type} file`, found: describeSniffed(s) };
  }
  const expected = `a Parquet or Arrow IPC table with chromflow.encoding-type '${spec.type}'`;
  if (!isTable) {
    return { expected, found: describeSniffed(s), hint: await converters(spec.type, catalog) };
  }
  try {
    tableFormatFromPath(path);
  } catch {
    return {
      expected: `${expected}, named .parquet or .arrow (stages read tables by extension)`,
      found: `${describeSniffed(s)} named ${path}`,
    };
  }
  const table = await readTable(path);
  const encoding = encodingOf(table)?.type;
  if (encoding === spec.type) return undefined;
  const columns = table.schema.fields.map((f) => f.name).join(', ');
  return {
    expected,
    found:
      encoding === undefined
        ? `${describeSniffed(s)} without chromflow.encoding-type (columns ${columns})`
        : `${describeSniffed(s)} of type '${encoding}'`,
    hint: await converters(spec.type, catalog),
  };
}
