import { ChromflowError } from '@chromflow/core';
import { DEFAULT_NSITES } from './motif.js';
import type { Motif, MotifSet } from './motif.js';

/**
 * MEME motif format (https://meme-suite.org/meme/doc/meme-format.html), the
 * "minimal" text flavour that JASPAR, HOCOMOCO and CIS-BP distribute: a
 * `MEME version` line, optional `ALPHABET=`, `strands:` and `Background letter
 * frequencies` header, then per motif a `MOTIF id [alt]` line, a
 * `letter-probability matrix:` line (`alength=`, `w=`, `nsites=`, `E=`, each
 * optional) and `w` rows of 4 probabilities. `log-odds matrix:` blocks and
 * `URL` lines are read past (the URL is kept).
 */

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** A row may sum to 1 within this (files round to 6 decimals; CIS-BP rows are off by up to 1e-3). */
const ROW_SUM_TOLERANCE = 0.02;

type State = 'start' | 'header' | 'background' | 'motif' | 'matrix' | 'skip';

interface Building {
  id: string;
  altName: string;
  line: number;
  width?: number;
  nsites: number;
  evalue?: number;
  url?: string;
  rows: number[];
  matrixLine?: number;
}

/** Incremental MEME parser: feed it numbered lines with `pushLine`, then call `finish`. */
export class MemeParser {
  private state: State = 'start';
  private readonly motifs: Motif[] = [];
  private readonly ids = new Set<string>();
  private background?: Float64Array;
  private backgroundValues: number[] = [];
  private strands?: '+' | '+-';
  private memeVersion?: string;
  private current?: Building;
  private lastLine = 0;

  constructor(private readonly path?: string) {}

  private fail(
    message: string,
    line: number,
    source: string,
    extra: {
      column?: number;
      field?: string;
      expected?: string;
      found?: string;
      hint?: string;
    } = {},
  ): never {
    throw new ChromflowError('PARSE', message, { path: this.path, line, source, ...extra });
  }

  /** Consumes one line (without its newline); `lineNo` is 1-based. */
  pushLine(raw: string, lineNo: number): void {
    this.lastLine = lineNo;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (this.state === 'start') {
      if (trimmed === '') return;
      const m = /^MEME version\s+(\S+)/.exec(trimmed);
      if (!m) {
        this.fail(
          'the file does not start with a MEME version line, so it is not a MEME motif file',
          lineNo,
          line,
          {
            column: 1,
            expected: "'MEME version 4' (or 5)",
            found: JSON.stringify(trimmed.slice(0, 40)),
            hint: 'JASPAR .jaspar/.pfm files are read with readMotifs, which detects the format; other formats need converting (meme-suite: jaspar2meme, chen2meme …)',
          },
        );
      }
      this.memeVersion = m[1];
      this.state = 'header';
      return;
    }
    if (this.state === 'matrix') {
      if (this.pushMatrixRow(line, trimmed, lineNo)) return;
    }
    if (this.state === 'skip') {
      if (trimmed === '' || NUMBER.test(trimmed.split(/\s+/)[0] ?? '')) return;
      this.state = this.current ? 'motif' : 'header';
    }
    if (this.state === 'background') {
      if (this.pushBackground(line, trimmed, lineNo)) return;
    }
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (trimmed.startsWith('MOTIF')) {
      this.finishMotif();
      const parts = trimmed.split(/\s+/);
      const id = parts[1];
      if (parts[0] !== 'MOTIF' || id === undefined) {
        this.fail('a MOTIF line has no motif identifier', lineNo, line, {
          column: 1,
          expected: "'MOTIF <id> [<alt name>]'",
          found: JSON.stringify(trimmed),
        });
      }
      if (this.ids.has(id)) {
        throw new ChromflowError('VALUE', `motif '${id}' appears twice in the file`, {
          path: this.path,
          line: lineNo,
          source: line,
          column: line.indexOf(id) + 1,
          hint: 'motif identifiers must be unique; rename or remove the duplicate',
        });
      }
      this.ids.add(id);
      this.current = {
        id,
        altName: parts.slice(2).join(' '),
        line: lineNo,
        nsites: DEFAULT_NSITES,
        rows: [],
      };
      this.state = 'motif';
      return;
    }
    if (this.state === 'header') {
      this.pushHeader(line, trimmed, lineNo);
      return;
    }
    // state 'motif'
    const cur = this.current!;
    if (trimmed.startsWith('letter-probability matrix')) {
      if (cur.matrixLine !== undefined) {
        this.fail(`motif '${cur.id}' has a second letter-probability matrix`, lineNo, line, {
          column: 1,
          hint: 'each MOTIF holds one matrix; start the next one with its own MOTIF line',
        });
      }
      this.readMatrixHeader(cur, line, lineNo);
      cur.matrixLine = lineNo;
      this.state = 'matrix';
      return;
    }
    if (trimmed.startsWith('log-odds matrix')) {
      this.state = 'skip';
      return;
    }
    if (trimmed.startsWith('URL')) {
      cur.url = trimmed.slice(3).trim();
      return;
    }
    this.fail(`unexpected line inside motif '${cur.id}'`, lineNo, line, {
      column: 1,
      expected: "'letter-probability matrix:', 'log-odds matrix:', 'URL' or the next 'MOTIF'",
      found: JSON.stringify(trimmed.slice(0, 40)),
    });
  }

  private pushHeader(line: string, trimmed: string, lineNo: number): void {
    if (trimmed.startsWith('ALPHABET')) {
      const m = /^ALPHABET=\s*(\S+)/.exec(trimmed);
      const letters = m?.[1] ?? trimmed.slice(8).trim();
      if (letters.toUpperCase() !== 'ACGT' && !/^ALPHABET\s+"?DNA/i.test(trimmed)) {
        throw new ChromflowError('VALUE', 'only DNA motifs (alphabet ACGT) can be scanned', {
          path: this.path,
          line: lineNo,
          source: line,
          column: 1,
          expected: 'ALPHABET= ACGT',
          found: JSON.stringify(letters),
        });
      }
      if (!m) this.state = 'skip'; // custom alphabet block: skip its letter definitions until END ALPHABET
      return;
    }
    if (/^END ALPHABET/.test(trimmed)) return;
    if (trimmed.startsWith('strands:')) {
      const s = trimmed.slice(8).trim().split(/\s+/).join('');
      this.strands = s === '+' ? '+' : '+-';
      return;
    }
    if (trimmed.startsWith('Background letter frequencies')) {
      this.state = 'background';
      this.backgroundValues = [];
      return;
    }
    // Free text (MEME's own output has command lines, training set blurbs …): ignore.
  }

  /** Returns true when the line was part of the background block. */
  private pushBackground(line: string, trimmed: string, lineNo: number): boolean {
    if (trimmed === '') return this.backgroundValues.length === 0;
    const tokens = trimmed.split(/\s+/);
    if (!/^[ACGTacgt]$/.test(tokens[0] ?? '')) {
      this.closeBackground(line, lineNo);
      return false;
    }
    for (let i = 0; i + 1 < tokens.length; i += 2) {
      const letter = tokens[i]!.toUpperCase();
      const value = tokens[i + 1]!;
      const b = 'ACGT'.indexOf(letter);
      if (b < 0 || !NUMBER.test(value)) {
        this.fail('background frequencies must be pairs of a base and a number', lineNo, line, {
          column: line.indexOf(tokens[i]!) + 1,
          expected: "'A 0.25 C 0.25 G 0.25 T 0.25'",
          found: JSON.stringify(`${tokens[i]} ${value}`),
        });
      }
      this.backgroundValues[b] = Number(value);
    }
    if (this.backgroundValues.filter((v) => v !== undefined).length === 4)
      this.closeBackground(line, lineNo);
    return true;
  }

  private closeBackground(line: string, lineNo: number): void {
    const v = this.backgroundValues;
    if (v.length !== 4 || v.some((x) => x === undefined || !(x > 0))) {
      this.fail(
        'the background block needs a positive frequency for each of A, C, G and T',
        lineNo,
        line,
        {
          expected: "'A 0.25 C 0.25 G 0.25 T 0.25'",
          found: JSON.stringify(v),
        },
      );
    }
    const sum = v.reduce((a, b) => a + b, 0);
    this.background = Float64Array.from(v, (x) => x / sum);
    this.state = 'header';
  }

  private readMatrixHeader(cur: Building, line: string, lineNo: number): void {
    const field = (name: string): number | undefined => {
      const m = new RegExp(`${name}=\\s*(\\S+)`).exec(line);
      if (!m) return undefined;
      if (!NUMBER.test(m[1]!)) {
        this.fail(`the '${name}=' field of motif '${cur.id}' is not a number`, lineNo, line, {
          column: m.index + 1,
          field: name,
          expected: 'a number',
          found: JSON.stringify(m[1]),
        });
      }
      return Number(m[1]);
    };
    const alength = field('alength');
    if (alength !== undefined && alength !== 4) {
      throw new ChromflowError('VALUE', `motif '${cur.id}' is not a DNA motif`, {
        path: this.path,
        line: lineNo,
        source: line,
        field: 'alength',
        expected: 'alength= 4',
        found: `alength= ${alength}`,
      });
    }
    const w = field('w');
    if (w !== undefined && !(Number.isInteger(w) && w > 0)) {
      this.fail(`motif '${cur.id}' has an invalid width`, lineNo, line, {
        expected: 'w= a positive integer',
        found: `w= ${w}`,
      });
    }
    cur.width = w;
    const nsites = field('nsites');
    if (nsites !== undefined) {
      if (!(nsites > 0)) {
        this.fail(`motif '${cur.id}' has a non-positive nsites`, lineNo, line, {
          expected: 'nsites= a positive number',
          found: `nsites= ${nsites}`,
        });
      }
      cur.nsites = nsites;
    }
    const e = /E=\s*(\S+)/.exec(line);
    if (e && NUMBER.test(e[1]!)) cur.evalue = Number(e[1]);
  }

  /** Returns true when the line was a matrix row (or a blank inside the matrix). */
  private pushMatrixRow(line: string, trimmed: string, lineNo: number): boolean {
    const cur = this.current!;
    const done = cur.width !== undefined && cur.rows.length === cur.width * 4;
    if (trimmed === '') return !done && cur.rows.length === 0;
    const tokens = trimmed.split(/\s+/);
    if (done || !NUMBER.test(tokens[0]!)) {
      this.closeMatrix(line, lineNo);
      return false;
    }
    if (tokens.length !== 4) {
      this.fail(
        `row ${cur.rows.length / 4 + 1} of motif '${cur.id}' does not have 4 columns`,
        lineNo,
        line,
        {
          column: 1,
          expected: '4 probabilities (A C G T)',
          found: `${tokens.length} values`,
        },
      );
    }
    let sum = 0;
    let at = 0;
    for (const t of tokens) {
      at = line.indexOf(t, at);
      if (!NUMBER.test(t) || Number(t) < 0) {
        this.fail(`motif '${cur.id}' has a value that is not a probability`, lineNo, line, {
          column: at + 1,
          expected: 'a number between 0 and 1',
          found: JSON.stringify(t),
        });
      }
      const p = Number(t);
      cur.rows.push(p);
      sum += p;
      at += t.length;
    }
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
      throw new ChromflowError(
        'VALUE',
        `row ${cur.rows.length / 4} of motif '${cur.id}' does not sum to 1`,
        {
          path: this.path,
          line: lineNo,
          source: line,
          column: 1,
          expected: `a sum within ${ROW_SUM_TOLERANCE} of 1`,
          found: String(sum),
          hint: 'count matrices belong in JASPAR/pfm files; a MEME letter-probability matrix holds frequencies',
        },
      );
    }
    return true;
  }

  private closeMatrix(line: string, lineNo: number): void {
    const cur = this.current!;
    const rows = cur.rows.length / 4;
    if (rows === 0 || (cur.width !== undefined && rows !== cur.width)) {
      this.fail(`motif '${cur.id}' ends after ${rows} matrix rows`, lineNo, line, {
        expected: cur.width !== undefined ? `w= ${cur.width} rows` : 'at least one row',
        found: `${rows} rows`,
        hint: 'the file may be truncated, or the w= field is wrong',
      });
    }
    cur.width = rows;
    this.state = 'motif';
  }

  private finishMotif(): void {
    if (this.state === 'matrix') this.closeMatrix('', this.lastLine);
    const cur = this.current;
    if (!cur) return;
    if (cur.matrixLine === undefined) {
      throw new ChromflowError('PARSE', `motif '${cur.id}' has no letter-probability matrix`, {
        path: this.path,
        line: cur.line,
        hint: "each MOTIF line must be followed by a 'letter-probability matrix:' line and its rows",
      });
    }
    const motif: Motif = {
      id: cur.id,
      altName: cur.altName,
      width: cur.width!,
      probabilities: Float64Array.from(cur.rows),
      nsites: cur.nsites,
    };
    if (cur.evalue !== undefined) motif.evalue = cur.evalue;
    if (cur.url !== undefined) motif.url = cur.url;
    this.motifs.push(motif);
    this.current = undefined;
  }

  /** Ends the input and returns the motifs; throws if the file ended inside a motif or held none. */
  finish(): MotifSet {
    if (this.state === 'start') {
      throw new ChromflowError('EMPTY', 'the motif file is empty', {
        path: this.path,
        hint: 'expected a MEME motif file',
      });
    }
    if (this.state === 'background') this.closeBackground('', this.lastLine);
    this.finishMotif();
    if (this.motifs.length === 0) {
      throw new ChromflowError('EMPTY', 'the MEME file holds no motifs', {
        path: this.path,
        line: this.lastLine,
        hint: "motifs start with a 'MOTIF <id>' line",
      });
    }
    const set: MotifSet = { motifs: this.motifs };
    if (this.background) set.background = this.background;
    if (this.strands) set.strands = this.strands;
    if (this.memeVersion) set.memeVersion = this.memeVersion;
    return set;
  }
}

/** Parses MEME motif text; the opposite of `motifsToMeme`. `path` only labels errors. */
export function motifsFromMeme(text: string, path?: string): MotifSet {
  const parser = new MemeParser(path);
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => parser.pushLine(line, i + 1));
  return parser.finish();
}

/**
 * MEME text for a motif set; the opposite of `motifsFromMeme`. Numbers are
 * written with `String(x)`, the shortest text that reads back as the same
 * double, so a write → parse round trip is exact.
 */
export function motifsToMeme(set: MotifSet): string {
  const out: string[] = [`MEME version ${set.memeVersion ?? '4'}`, '', 'ALPHABET= ACGT', ''];
  out.push(`strands: ${set.strands === '+' ? '+' : '+ -'}`, '');
  const bg = set.background ?? Float64Array.of(0.25, 0.25, 0.25, 0.25);
  out.push('Background letter frequencies', `A ${bg[0]} C ${bg[1]} G ${bg[2]} T ${bg[3]}`, '');
  for (const m of set.motifs) {
    out.push(m.altName ? `MOTIF ${m.id} ${m.altName}` : `MOTIF ${m.id}`);
    const e = m.evalue !== undefined ? ` E= ${m.evalue}` : '';
    out.push(`letter-probability matrix: alength= 4 w= ${m.width} nsites= ${m.nsites}${e}`);
    for (let i = 0; i < m.width; i++) {
      const p = m.probabilities;
      out.push(` ${p[i * 4]}\t${p[i * 4 + 1]}\t${p[i * 4 + 2]}\t${p[i * 4 + 3]}`);
    }
    if (m.url !== undefined) out.push(`URL ${m.url}`);
    out.push('');
  }
  return out.join('\n');
}
