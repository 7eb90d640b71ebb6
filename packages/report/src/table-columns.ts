import type { Table } from 'apache-arrow';
import { ChromflowError } from '@chromflow/core';

/** A numeric column as float64 (nulls → NaN); throws naming the file when it is missing. */
export function numberColumn(t: Table, name: string, path: string): Float64Array {
  const v = t.getChild(name);
  if (!v)
    throw new ChromflowError('SCHEMA', `the table has no '${name}' column`, {
      path,
      field: name,
    });
  return Float64Array.from(v, (x) =>
    x === null || x === undefined ? NaN : typeof x === 'bigint' ? Number(x) : Number(x),
  );
}

/** A column as strings, or undefined when the table has none by that name. */
export function stringColumn(t: Table, name: string): string[] | undefined {
  const v = t.getChild(name);
  return v ? Array.from(v, (x) => (x === null || x === undefined ? '' : String(x))) : undefined;
}

/** Names of the columns whose name is `prefix` + a number, in numeric order (`lsi1`, `lsi2` …). */
export function numberedColumns(t: Table, prefix: string): string[] {
  const re = new RegExp(`^${prefix}(\\d+)$`);
  return t.schema.fields
    .map((f) => f.name)
    .filter((n) => re.test(n))
    .sort((a, b) => Number(re.exec(a)![1]) - Number(re.exec(b)![1]));
}
