import { ChromflowError } from '@chromflow/core';
import { motifFromCounts } from './motif.js';
import type { Motif, MotifSet } from './motif.js';

/**
 * JASPAR count matrices, in the two text layouts JASPAR serves:
 * - `.jaspar`: a `>ID name` header, then four rows `A [ 4 19 0 … ]` (letters
 *   and brackets), one per base;
 * - raw `.pfm`: four rows of numbers (A, C, G, T), with or without a `>` header.
 * Several matrices may follow one another. Counts become probabilities by
 * dividing by the column total; `nsites` is the column total (what
 * meme-suite's `jaspar2meme` writes).
 */

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface Pending {
  id: string;
  altName: string;
  line: number;
  rows: number[][];
  rowLines: number[];
}

/** Parses JASPAR text (`.jaspar` or raw `.pfm`); the opposite of `motifsToJaspar`. `path` labels errors and names a header-less matrix. */
export function motifsFromJaspar(text: string, path?: string): MotifSet {
  const motifs: Motif[] = [];
  const lines = text.split('\n');
  let pending: Pending | undefined;
  const seen = new Set<string>();
  const defaultId = (path ?? 'motif').replace(/^.*[\\/]/, '').replace(/\.(jaspar|pfm|txt)$/i, '');

  const close = (lineNo: number): void => {
    if (!pending) return;
    const p = pending;
    pending = undefined;
    if (p.rows.length !== 4) {
      throw new ChromflowError('PARSE', `JASPAR matrix '${p.id}' has ${p.rows.length} rows`, {
        path,
        line: lineNo,
        expected: '4 rows (A, C, G, T)',
        found: `${p.rows.length} rows`,
        hint: 'the file may be truncated; each matrix is a header line and four count rows',
      });
    }
    const width = p.rows[0]!.length;
    const ragged = p.rows.findIndex((r) => r.length !== width);
    if (width === 0 || ragged >= 0) {
      throw new ChromflowError('PARSE', `the rows of JASPAR matrix '${p.id}' differ in length`, {
        path,
        line: p.rowLines[Math.max(0, ragged)] ?? p.line,
        expected: `${width} counts in every row`,
        found: p.rows.map((r) => r.length).join(', '),
      });
    }
    if (seen.has(p.id)) {
      throw new ChromflowError('VALUE', `matrix '${p.id}' appears twice in the file`, {
        path,
        line: p.line,
      });
    }
    seen.add(p.id);
    const counts = new Float64Array(width * 4);
    for (let b = 0; b < 4; b++) for (let i = 0; i < width; i++) counts[i * 4 + b] = p.rows[b]![i]!;
    motifs.push(motifFromCounts(p.id, p.altName, counts, width));
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (trimmed.startsWith('>')) {
      close(lineNo);
      const parts = trimmed.slice(1).trim().split(/\s+/);
      const id = parts[0] ?? '';
      if (id === '') {
        throw new ChromflowError('PARSE', 'a JASPAR header line has no matrix identifier', {
          path,
          line: lineNo,
          column: 1,
          source: line,
          expected: "'>MA0004.1 Arnt'",
        });
      }
      pending = { id, altName: parts.slice(1).join(' '), line: lineNo, rows: [], rowLines: [] };
      return;
    }
    // A count row: optional base letter, optional brackets, numbers.
    let body = trimmed;
    const letter = /^([ACGTacgt])\s*(?=\[|\s|$)/.exec(body);
    if (letter) body = body.slice(letter[0].length);
    body = body.replace(/^\[/, '').replace(/\]$/, '');
    const tokens = body
      .trim()
      .split(/\s+/)
      .filter((t) => t !== '');
    if (!pending) {
      pending = {
        id: motifs.length === 0 ? defaultId : `${defaultId}_${motifs.length + 1}`,
        altName: '',
        line: lineNo,
        rows: [],
        rowLines: [],
      };
    }
    if (pending.rows.length === 4) {
      close(lineNo);
      pending = {
        id: `${defaultId}_${motifs.length + 1}`,
        altName: '',
        line: lineNo,
        rows: [],
        rowLines: [],
      };
    }
    const expectedLetter = 'ACGT'[pending.rows.length]!;
    if (letter && letter[1]!.toUpperCase() !== expectedLetter) {
      throw new ChromflowError(
        'PARSE',
        `row ${pending.rows.length + 1} of JASPAR matrix '${pending.id}' is for the wrong base`,
        {
          path,
          line: lineNo,
          column: line.indexOf(letter[1]!) + 1,
          source: line,
          expected: `the ${expectedLetter} row (rows go A, C, G, T)`,
          found: `${letter[1]}`,
        },
      );
    }
    const row: number[] = [];
    let at = 0;
    for (const t of tokens) {
      at = line.indexOf(t, at);
      if (!NUMBER.test(t) || Number(t) < 0) {
        throw new ChromflowError(
          'PARSE',
          `JASPAR matrix '${pending.id}' has a value that is not a count`,
          {
            path,
            line: lineNo,
            column: at + 1,
            source: line,
            expected: 'a non-negative number',
            found: JSON.stringify(t),
          },
        );
      }
      row.push(Number(t));
      at += t.length;
    }
    pending.rows.push(row);
    pending.rowLines.push(lineNo);
  });
  close(lines.length);
  if (motifs.length === 0) {
    throw new ChromflowError('EMPTY', 'the JASPAR file holds no matrices', {
      path,
      hint: "matrices start with a '>ID name' line and four count rows",
    });
  }
  return { motifs };
}

/** `.jaspar` text (header + bracketed count rows) for a motif set; the opposite of `motifsFromJaspar`. Counts are probabilities × nsites. */
export function motifsToJaspar(set: MotifSet): string {
  const out: string[] = [];
  for (const m of set.motifs) {
    out.push(m.altName ? `>${m.id}\t${m.altName}` : `>${m.id}`);
    for (let b = 0; b < 4; b++) {
      const counts: string[] = [];
      for (let i = 0; i < m.width; i++) counts.push(String(m.probabilities[i * 4 + b]! * m.nsites));
      out.push(`${'ACGT'[b]}  [ ${counts.join(' ')} ]`);
    }
  }
  return `${out.join('\n')}\n`;
}
