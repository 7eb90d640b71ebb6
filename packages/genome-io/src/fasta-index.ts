import { open } from 'node:fs/promises';
import { ChromflowError, throwIfAborted, writeFileAtomic } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';

/**
 * The samtools `.fai` index of a plain FASTA file: per record its name, length,
 * byte offset of the first base, bases per line and bytes per line (with the
 * line ending). Built in one streaming pass with the checks `samtools faidx`
 * makes (equal line lengths inside a record, no empty lines inside a record).
 */
export interface FaiEntry {
  name: string;
  length: number;
  offset: number;
  lineBases: number;
  lineBytes: number;
}

/** `.fai` text for the entries (tab-separated, one line per record). */
export function faiToText(entries: readonly FaiEntry[]): string {
  return entries
    .map((e) => `${e.name}\t${e.length}\t${e.offset}\t${e.lineBases}\t${e.lineBytes}\n`)
    .join('');
}

/** The opposite of `faiToText`. */
export function faiFromText(text: string, path?: string): FaiEntry[] {
  const out: FaiEntry[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const f = line.replace(/\r$/, '').split('\t');
    const nums = f.slice(1, 5).map(Number);
    if (f.length < 5 || nums.some((n) => !Number.isInteger(n) || n < 0)) {
      throw new ChromflowError('PARSE', 'line is not a .fai record', {
        path,
        line: i + 1,
        source: line,
        expected: 'name<TAB>length<TAB>offset<TAB>linebases<TAB>linewidth',
        hint: 'delete the .fai and let it be rebuilt (samtools faidx)',
      });
    }
    out.push({
      name: f[0]!,
      length: nums[0]!,
      offset: nums[1]!,
      lineBases: nums[2]!,
      lineBytes: nums[3]!,
    });
  });
  return out;
}

interface Building {
  name: string;
  length: number;
  offset: number;
  lineBases: number;
  lineBytes: number;
  /** The previous sequence line was shorter than lineBases: only the record's end may follow. */
  shortSeen: number;
  headerLine: number;
}

/**
 * Scans a plain (uncompressed) FASTA file and returns its `.fai` entries.
 * Errors (PARSE, naming file and line): text before the first `>`, unequal
 * line lengths inside a record, duplicate names; EMPTY for a file with no record.
 */
export async function makeFai(path: string, options: LongRunOptions = {}): Promise<FaiEntry[]> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new ChromflowError('IO', 'cannot open FASTA file', { path, cause: e });
  }
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      throw new ChromflowError('PARSE', 'cannot build a .fai for a compressed FASTA', {
        path,
        hint: 'compress it with `bgzip` and index it with `samtools faidx` (that writes .fai and .gzi), or decompress it',
      });
    }
    const entries: FaiEntry[] = [];
    const seen = new Set<string>();
    let cur: Building | undefined;
    let lineNo = 0;
    let lineStart = 0; // file offset of the current line
    let lineBuf: number[] = []; // only filled for header lines
    let inHeader = false;
    let lineLen = 0; // bytes in the current line, without \n
    let crlf = false;
    const finishRecord = (): void => {
      if (!cur) return;
      entries.push({
        name: cur.name,
        length: cur.length,
        offset: cur.offset,
        lineBases: cur.lineBases,
        lineBytes: cur.lineBytes,
      });
    };
    const endLine = (nextOffset: number): void => {
      lineNo++;
      if (inHeader) {
        const text = Buffer.from(lineBuf).toString('latin1').replace(/\r$/, '');
        const name = text.slice(1).split(/[ \t]/)[0] ?? '';
        if (name === '') {
          throw new ChromflowError('PARSE', 'FASTA header has no name', {
            path,
            line: lineNo,
            source: text,
          });
        }
        if (seen.has(name)) {
          throw new ChromflowError('PARSE', `sequence name ${name} appears twice`, {
            path,
            line: lineNo,
            source: text,
            hint: 'rename one of the records',
          });
        }
        seen.add(name);
        finishRecord();
        cur = {
          name,
          length: 0,
          offset: nextOffset,
          lineBases: 0,
          lineBytes: 0,
          shortSeen: 0,
          headerLine: lineNo,
        };
      } else {
        const bases = lineLen - (crlf ? 1 : 0);
        const bytes = nextOffset - lineStart;
        if (!cur) {
          if (bases === 0) return;
          throw new ChromflowError('PARSE', 'sequence before the first header line', {
            path,
            line: lineNo,
            expected: 'a line starting with >',
          });
        }
        if (bases === 0) {
          // An empty line is allowed only at the end of a record.
          if (cur.shortSeen === 0) cur.shortSeen = lineNo;
          return;
        }
        if (cur.shortSeen !== 0) {
          throw new ChromflowError(
            'PARSE',
            `record ${cur.name} has a line of different length before its last line`,
            {
              path,
              line: cur.shortSeen,
              expected: `${cur.lineBases} bases per line in every line but the last`,
              hint: 'reformat the FASTA with equal line widths (e.g. `seqkit seq -w 60`)',
            },
          );
        }
        if (cur.lineBases === 0) {
          cur.lineBases = bases;
          cur.lineBytes = bytes;
        } else if (bases > cur.lineBases) {
          throw new ChromflowError(
            'PARSE',
            `record ${cur.name} has a line longer than its first line`,
            {
              path,
              line: lineNo,
              expected: `${cur.lineBases} bases`,
              found: `${bases}`,
              hint: 'reformat the FASTA with equal line widths (e.g. `seqkit seq -w 60`)',
            },
          );
        } else if (bases < cur.lineBases) cur.shortSeen = lineNo;
        cur.length += bases;
      }
    };
    const buf = Buffer.alloc(1 << 20);
    let pos = 0;
    let atLineStart = true;
    while (pos < size) {
      throwIfAborted(options.signal);
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) {
        const c = buf[i]!;
        if (atLineStart) {
          atLineStart = false;
          inHeader = c === 62; // '>'
          lineBuf = [];
          lineLen = 0;
          lineStart = pos + i;
        }
        if (c === 10) {
          endLine(pos + i + 1);
          atLineStart = true;
          continue;
        }
        if (inHeader) lineBuf.push(c);
        crlf = c === 13;
        lineLen++;
      }
      pos += bytesRead;
      options.onProgress?.(pos, size);
    }
    if (!atLineStart) endLine(size);
    finishRecord();
    if (entries.length === 0) {
      throw new ChromflowError('EMPTY', 'FASTA file holds no record', {
        path,
        expected: 'at least one >name line',
      });
    }
    return entries;
  } finally {
    await fh.close();
  }
}

/** Builds the `.fai` of a plain FASTA and writes it beside it (`<path>.fai`), atomically. */
export async function writeFai(path: string, options: LongRunOptions = {}): Promise<FaiEntry[]> {
  const entries = await makeFai(path, options);
  await writeFileAtomic(`${path}.fai`, faiToText(entries));
  return entries;
}

/** A FASTA record to write: the sequence as text (any letters; case is kept). */
export interface FastaRecord {
  name: string;
  /** Free text after the name on the header line. */
  description?: string;
  sequence: string;
}

/**
 * Writes a plain FASTA file with `lineWidth` bases per line (default 60) and its
 * `.fai` beside it, both atomically. The `.fai` equals what `samtools faidx` builds.
 */
export async function writeFasta(
  path: string,
  records: readonly FastaRecord[],
  options: { lineWidth?: number } = {},
): Promise<FaiEntry[]> {
  const width = options.lineWidth ?? 60;
  if (!Number.isInteger(width) || width < 1) {
    throw new ChromflowError('PARAM', 'lineWidth must be a positive integer', {
      field: 'lineWidth',
      found: String(width),
    });
  }
  const parts: string[] = [];
  const entries: FaiEntry[] = [];
  let offset = 0;
  const names = new Set<string>();
  for (const r of records) {
    if (!/^[^\s>]+$/.test(r.name) || names.has(r.name)) {
      throw new ChromflowError('VALUE', `cannot write FASTA record named '${r.name}'`, {
        path,
        field: 'name',
        expected: 'a unique name without spaces',
      });
    }
    names.add(r.name);
    const header = `>${r.name}${r.description ? ` ${r.description}` : ''}\n`;
    parts.push(header);
    offset += Buffer.byteLength(header, 'latin1');
    // samtools records the first line's length: a record shorter than a line has lineBases = its length.
    const lineBases = Math.min(width, r.sequence.length);
    entries.push({
      name: r.name,
      length: r.sequence.length,
      offset,
      lineBases,
      lineBytes: lineBases > 0 ? lineBases + 1 : 0,
    });
    for (let i = 0; i < r.sequence.length; i += width) {
      const line = `${r.sequence.slice(i, i + width)}\n`;
      parts.push(line);
      offset += line.length;
    }
  }
  await writeFileAtomic(path, Buffer.from(parts.join(''), 'latin1'));
  await writeFileAtomic(`${path}.fai`, faiToText(entries));
  return entries;
}
