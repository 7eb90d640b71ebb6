import { ChromflowError, writeFileAtomic } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';
import { readByteChunks } from './text-source.js';

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
 * Scans a FASTA file (plain, gzip or bgzip: offsets are in the uncompressed
 * text, as samtools uses them for bgzip) and returns its `.fai` entries.
 * Errors (PARSE, naming file and line): text before the first `>`, unequal
 * line lengths inside a record, duplicate names, CR LF line ends; EMPTY for a
 * file with no record.
 */
export async function makeFai(path: string, options: LongRunOptions = {}): Promise<FaiEntry[]> {
  const scanner = new FaiScanner(path);
  for await (const chunk of readByteChunks(path, { ...options, chunkSize: 1 << 20 })) {
    scanner.push(chunk);
  }
  return scanner.finish();
}

/** Incremental `.fai` builder: feed the file's (uncompressed) bytes in order. */
class FaiScanner {
  private readonly entries: FaiEntry[] = [];
  private readonly seen = new Set<string>();
  private cur: Building | undefined;
  private lineNo = 0;
  /** Uncompressed offset of the first byte of the next chunk. */
  private pos = 0;
  /** Offset where the current (unfinished) line starts. */
  private lineStart = 0;
  /** Bytes of the unfinished line carried from the previous chunk (headers only need them). */
  private carry: Uint8Array[] = [];

  constructor(private readonly path: string) {}

  push(chunk: Uint8Array): void {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) break;
      this.carry.push(chunk.subarray(from, nl));
      this.endLine(this.pos + nl + 1);
      from = nl + 1;
    }
    if (from < chunk.length) this.carry.push(chunk.slice(from));
    this.pos += chunk.length;
  }

  finish(): FaiEntry[] {
    if (this.carry.some((c) => c.length > 0)) this.endLine(this.pos, true);
    this.finishRecord();
    if (this.entries.length === 0) {
      throw new ChromflowError('EMPTY', 'FASTA file holds no record', {
        path: this.path,
        expected: 'at least one >name line',
      });
    }
    return this.entries;
  }

  private finishRecord(): void {
    const c = this.cur;
    if (!c) return;
    this.entries.push({
      name: c.name,
      length: c.length,
      offset: c.offset,
      lineBases: c.lineBases,
      lineBytes: c.lineBytes,
    });
  }

  private endLine(nextOffset: number, noNewline = false): void {
    const path = this.path;
    const parts = this.carry;
    this.carry = [];
    const lineNo = ++this.lineNo;
    const bytesInLine = nextOffset - this.lineStart - (noNewline ? 0 : 1);
    const first = parts.find((p) => p.length > 0)?.[0];
    const lastPart = [...parts].reverse().find((p) => p.length > 0);
    const lastByte = lastPart?.[lastPart.length - 1];
    const lineStart = this.lineStart;
    this.lineStart = nextOffset;
    if (lastByte === 13) {
      throw new ChromflowError('PARSE', 'line ends with CR LF (Windows line endings)', {
        path,
        line: lineNo,
        hint: "convert to Unix line endings: `dos2unix FILE` or `sed -i 's/\\r$//' FILE`",
      });
    }
    if (first === 62) {
      const text = Buffer.concat(parts).toString('latin1');
      const name = text.slice(1).split(/[ \t]/)[0] ?? '';
      if (name === '') {
        throw new ChromflowError('PARSE', 'FASTA header has no name', {
          path,
          line: lineNo,
          source: text,
        });
      }
      if (this.seen.has(name)) {
        throw new ChromflowError('PARSE', `sequence name ${name} appears twice`, {
          path,
          line: lineNo,
          source: text,
          hint: 'rename one of the records',
        });
      }
      this.seen.add(name);
      this.finishRecord();
      this.cur = {
        name,
        length: 0,
        offset: nextOffset,
        lineBases: 0,
        lineBytes: 0,
        shortSeen: 0,
        headerLine: lineNo,
      };
      return;
    }
    const cur = this.cur;
    const bases = bytesInLine;
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
}

/** Builds the `.fai` of a FASTA and writes it beside it (`<path>.fai`), atomically. */
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
