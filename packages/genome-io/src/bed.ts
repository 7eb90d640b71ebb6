import { ChromflowError, writeFileAtomic } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';
import { readLineBatches } from './text-source.js';

/**
 * BED (3–12 columns), ENCODE narrowPeak (BED6+4) and bedGraph (BED3+1), plain
 * or gzip. Coordinates stay as in the file: 0-based starts, exclusive ends.
 * Every record is checked (integer coordinates, 0 ≤ start < end, the same
 * number of columns on every line, known chromosome and end ≤ size when sizes
 * are given); the first failure throws a ChromflowError naming file, line and
 * column. `#`, `track` and `browser` lines are skipped.
 */

export type BedFlavour = 'bed' | 'narrowPeak' | 'bedGraph';

/** A column beyond chrom/start/end: numbers or text. */
export type RegionColumn = Float64Array | string[];

/**
 * Regions as columns. Row i covers [starts[i], ends[i]) on chromNames[chromIds[i]]:
 * 0-based start, exclusive end.
 */
export interface Regions {
  /** Chromosome dictionary, in order of first appearance. */
  chromNames: string[];
  chromIds: Int32Array;
  /** 0-based starts. */
  starts: Int32Array;
  /** Exclusive ends. */
  ends: Int32Array;
  /** Column 4 where the file has it, else `chrom:start-end` (0-based start, exclusive end). */
  names: string[];
  /** Further columns by their BED/narrowPeak/bedGraph name (`score`, `strand`, `signalValue`, `value` …). */
  columns: Record<string, RegionColumn>;
  length: number;
}

const BED_COLUMNS = [
  'name',
  'score',
  'strand',
  'thickStart',
  'thickEnd',
  'itemRgb',
  'blockCount',
  'blockSizes',
  'blockStarts',
];
const BED_NUMERIC = new Set(['score', 'thickStart', 'thickEnd', 'blockCount']);
const NARROWPEAK_COLUMNS = ['name', 'score', 'strand', 'signalValue', 'pValue', 'qValue', 'peak'];

export interface ReadBedOptions extends LongRunOptions {
  /** `bed` (3–12 columns; default), `narrowPeak` (exactly 10) or `bedGraph` (exactly 4). */
  flavour?: BedFlavour;
  /** When given, every chromosome must be in it and every end ≤ its size. */
  chromSizes?: ReadonlyMap<string, number>;
  /** Allow zero or no records (default false: EMPTY is thrown). */
  allowEmpty?: boolean;
  /** Called with each `#`, `track`, `browser` or empty line skipped (to report them). */
  onSkippedLine?: (line: { text: string; lineNumber: number }) => void;
}

function columnNames(flavour: BedFlavour, n: number): string[] {
  if (flavour === 'bedGraph') return ['value'];
  if (flavour === 'narrowPeak') return NARROWPEAK_COLUMNS;
  return BED_COLUMNS.slice(0, n - 3);
}

const INT = /^[0-9]{1,10}$/;
const NUM = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Reads a BED / narrowPeak / bedGraph file into columns (see `Regions`). */
export async function readBed(path: string, options: ReadBedOptions = {}): Promise<Regions> {
  const flavour = options.flavour ?? 'bed';
  const chromNames: string[] = [];
  const chromIndex = new Map<string, number>();
  const chromIds: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const names: string[] = [];
  let nCols = 0;
  let extraNames: string[] = [];
  let extra: (number[] | string[])[] = [];
  const fail = (
    code: 'PARSE' | 'VALUE',
    message: string,
    line: { text: string; lineNumber: number },
    col: number,
    more: { field?: string; expected?: string; found?: string; hint?: string } = {},
  ): never => {
    const fields = line.text.split('\t');
    const column = fields.slice(0, col).reduce((a, f) => a + f.length + 1, 1);
    throw new ChromflowError(code, message, {
      path,
      line: line.lineNumber,
      column,
      source: line.text,
      ...more,
    });
  };
  for await (const batch of readLineBatches(path, options)) {
    for (const line of batch) {
      const t = line.text;
      if (t === '' || t.startsWith('#') || t.startsWith('track') || t.startsWith('browser')) {
        options.onSkippedLine?.(line);
        continue;
      }
      const f = t.split('\t');
      if (nCols === 0) {
        nCols = f.length;
        const want =
          flavour === 'narrowPeak' ? [10, 10] : flavour === 'bedGraph' ? [4, 4] : [3, 12];
        if (nCols < want[0]! || nCols > want[1]!) {
          fail(
            'PARSE',
            `${flavour} record has ${nCols} tab-separated column${nCols === 1 ? '' : 's'}`,
            line,
            0,
            {
              expected:
                want[0] === want[1] ? `${want[0]} columns` : `${want[0]} to ${want[1]} columns`,
              found: `${nCols}`,
              hint:
                nCols === 1 && t.includes(' ')
                  ? 'columns must be separated by tabs, not spaces'
                  : undefined,
            },
          );
        }
        extraNames = columnNames(flavour, nCols).slice(flavour === 'bedGraph' ? 0 : 1);
        extra = extraNames.map(() => []);
      } else if (f.length !== nCols) {
        fail(
          'PARSE',
          `line has ${f.length} columns but the first record has ${nCols}`,
          line,
          Math.min(f.length, nCols),
          {
            expected: `${nCols} columns`,
            found: `${f.length}`,
            hint: 'every line of a BED file must have the same number of columns',
          },
        );
      }
      const chrom = f[0]!;
      if (chrom === '') fail('PARSE', 'chromosome name is empty', line, 0, { field: 'chrom' });
      for (const [i, field] of [
        [1, 'start'],
        [2, 'end'],
      ] as const) {
        if (!INT.test(f[i]!)) {
          fail(
            f[i]!.startsWith('-') ? 'VALUE' : 'PARSE',
            `${field} is not a non-negative integer`,
            line,
            i,
            {
              field,
              expected: 'an integer ≥ 0 (BED is 0-based)',
              found: JSON.stringify(f[i]),
            },
          );
        }
      }
      const start = Number(f[1]);
      const end = Number(f[2]);
      if (end > 0x7fffffff) fail('VALUE', 'end does not fit in 32 bits', line, 2, { field: 'end' });
      if (start >= end) {
        fail('VALUE', `start ${start} is not less than end ${end}`, line, 1, {
          field: 'start',
          expected: 'start < end (0-based half-open)',
          hint:
            start === end
              ? 'a 0-length interval covers no base; use end = start + 1 for one base'
              : 'are start and end swapped?',
        });
      }
      let id = chromIndex.get(chrom);
      if (id === undefined) {
        if (options.chromSizes && !options.chromSizes.has(chrom)) {
          fail('VALUE', `unknown chromosome ${chrom}`, line, 0, {
            field: 'chrom',
            expected: `one of ${[...options.chromSizes.keys()].slice(0, 5).join(', ')}${options.chromSizes.size > 5 ? ', …' : ''}`,
            hint: 'check that the file and the genome use the same assembly and naming (chr1 vs 1)',
          });
        }
        id = chromNames.length;
        chromIndex.set(chrom, id);
        chromNames.push(chrom);
      }
      const size = options.chromSizes?.get(chrom);
      if (size !== undefined && end > size) {
        fail('VALUE', `end ${end} is past the end of ${chrom} (${size} bp)`, line, 2, {
          field: 'end',
        });
      }
      chromIds.push(id);
      starts.push(start);
      ends.push(end);
      names.push(flavour !== 'bedGraph' && nCols > 3 ? f[3]! : `${chrom}:${start}-${end}`);
      const offset = flavour === 'bedGraph' ? 3 : 4;
      for (let k = 0; k < extraNames.length; k++) {
        const name = extraNames[k]!;
        const v = f[offset + k]!;
        const numeric = flavour !== 'bed' ? name !== 'strand' : BED_NUMERIC.has(name);
        if (name === 'strand') {
          if (v !== '+' && v !== '-' && v !== '.') {
            fail('PARSE', 'strand is not +, - or .', line, offset + k, {
              field: 'strand',
              found: JSON.stringify(v),
            });
          }
          (extra[k] as string[]).push(v);
        } else if (numeric) {
          // '.' (no value) is common in BED score columns; it reads as NaN.
          if (v !== '.' && !NUM.test(v)) {
            fail('PARSE', `${name} is not a number`, line, offset + k, {
              field: name,
              found: JSON.stringify(v),
            });
          }
          (extra[k] as number[]).push(v === '.' ? NaN : Number(v));
        } else (extra[k] as string[]).push(v);
      }
    }
  }
  if (starts.length === 0 && !options.allowEmpty) {
    throw new ChromflowError('EMPTY', `${flavour} file holds no record`, {
      path,
      expected: 'at least one line chrom<TAB>start<TAB>end',
    });
  }
  const columns: Record<string, RegionColumn> = {};
  extraNames.forEach((n, k) => {
    const col = extra[k]!;
    const numeric = flavour !== 'bed' ? n !== 'strand' : BED_NUMERIC.has(n);
    columns[n] = numeric ? Float64Array.from(col as number[]) : (col as string[]);
  });
  return {
    chromNames,
    chromIds: Int32Array.from(chromIds),
    starts: Int32Array.from(starts),
    ends: Int32Array.from(ends),
    names,
    columns,
    length: starts.length,
  };
}

/** Builds `Regions` from plain records (0-based half-open), e.g. for writers and tests. */
export function regionsFromRecords(
  records: readonly { chrom: string; start: number; end: number; name?: string }[],
): Regions {
  const chromNames: string[] = [];
  const index = new Map<string, number>();
  const chromIds = new Int32Array(records.length);
  records.forEach((r, i) => {
    let id = index.get(r.chrom);
    if (id === undefined) {
      id = chromNames.length;
      index.set(r.chrom, id);
      chromNames.push(r.chrom);
    }
    chromIds[i] = id;
  });
  return {
    chromNames,
    chromIds,
    starts: Int32Array.from(records, (r) => r.start),
    ends: Int32Array.from(records, (r) => r.end),
    names: records.map((r) => r.name ?? `${r.chrom}:${r.start}-${r.end}`),
    columns: {},
    length: records.length,
  };
}

/** BED text of the regions: chrom, start, end, name, then the extra columns in `columns` order. */
export function bedFromRegions(regions: Regions, options: { withName?: boolean } = {}): string {
  const withName = options.withName ?? true;
  const cols = Object.entries(regions.columns);
  const parts: string[] = [];
  for (let i = 0; i < regions.length; i++) {
    let line = `${regions.chromNames[regions.chromIds[i]!]}\t${regions.starts[i]}\t${regions.ends[i]}`;
    if (withName || cols.length > 0) line += `\t${regions.names[i]}`;
    for (const [, c] of cols) line += `\t${c[i]}`;
    parts.push(`${line}\n`);
  }
  return parts.join('');
}

/**
 * Writes regions as a BED file (atomically): `chrom start end name` plus the
 * extra columns. Checks each row (0 ≤ start < end) and throws VALUE naming the row.
 */
export async function writeBed(
  path: string,
  regions: Regions,
  options: { withName?: boolean } = {},
): Promise<void> {
  for (let i = 0; i < regions.length; i++) {
    if (!(regions.starts[i]! >= 0 && regions.starts[i]! < regions.ends[i]!)) {
      throw new ChromflowError(
        'VALUE',
        `region ${i} has start ${regions.starts[i]} and end ${regions.ends[i]}`,
        {
          path,
          field: 'start',
          expected: '0 ≤ start < end',
        },
      );
    }
  }
  await writeFileAtomic(path, bedFromRegions(regions, options));
}
