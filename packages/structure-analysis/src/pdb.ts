import { readFile } from 'node:fs/promises';
import { ChromflowError, type LongRunOptions, throwIfAborted } from '@chromflow/core';
import { ChainBuilder, type ProteinModel } from './protein-chain.js';
import { parseMmcif } from './mmcif.js';

/**
 * Fixed-column PDB reader (wwPDB format v3.3, ATOM records). Columns are
 * 1-based inclusive as in the format specification: atom name 13–16, altLoc
 * 17, residue name 18–20, chain 22, residue number 23–26, insertion code 27,
 * B-factor 61–66. Only the first MODEL is read; HETATM records are skipped;
 * for alternate locations only the first (blank or 'A') is kept.
 */
export function parsePdb(text: string, path?: string): ProteinModel {
  const builders = new Map<string, ChainBuilder>();
  let lineNo = 0;
  let pos = 0;
  let atoms = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const raw = text.slice(pos, end);
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    pos = end + 1;
    lineNo++;
    if (line.startsWith('ENDMDL')) break;
    if (!line.startsWith('ATOM  ')) continue;
    const fail = (column: number, field: string, expected: string, found: string): never => {
      throw new ChromflowError('PARSE', `ATOM record has a bad ${field}`, {
        path,
        line: lineNo,
        column,
        field,
        source: line,
        expected,
        found,
      });
    };
    if (line.length < 66) {
      fail(
        line.length + 1,
        'B-factor',
        'an ATOM record at least 66 columns long with the B-factor (pLDDT) in columns 61-66',
        `${line.length} columns`,
      );
    }
    const altLoc = line[16]!;
    if (altLoc !== ' ' && altLoc !== 'A') continue;
    const atomName = line.slice(12, 16).trim();
    const resName = line.slice(17, 20).trim();
    const chainId = line[21]!.trim();
    const resSeqText = line.slice(22, 26).trim();
    if (!/^-?\d+$/.test(resSeqText)) {
      fail(23, 'residue number', 'an integer in columns 23-26', `'${line.slice(22, 26)}'`);
    }
    const icode = line[26]!.trim();
    const bText = line.slice(60, 66).trim();
    const bfactor = Number(bText);
    if (bText === '' || !Number.isFinite(bfactor)) {
      fail(61, 'B-factor', 'a number in columns 61-66 (pLDDT)', `'${line.slice(60, 66)}'`);
    }
    let b = builders.get(chainId);
    if (!b) builders.set(chainId, (b = new ChainBuilder(chainId)));
    b.addAtom(Number(resSeqText), icode, resName, atomName, bfactor);
    atoms++;
  }
  if (atoms === 0) {
    throw new ChromflowError('EMPTY', 'the file has no ATOM records', {
      path,
      expected: 'a PDB file with ATOM records',
      found: `${lineNo} lines without any`,
    });
  }
  return { path, chains: [...builders.values()].map((b) => b.build()) };
}

/**
 * Reads a PDB or mmCIF model, chosen by content: a file whose first
 * non-blank line starts with `data_` is mmCIF, anything else PDB.
 */
export async function readStructure(
  path: string,
  options: LongRunOptions = {},
): Promise<ProteinModel> {
  throwIfAborted(options.signal);
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', signal: options.signal });
  } catch (e) {
    throwIfAborted(options.signal);
    throw new ChromflowError('IO', 'cannot read the structure file', { path, cause: e });
  }
  options.onProgress?.(0, text.length);
  const model = /^\s*data_/.test(text) ? parseMmcif(text, path) : parsePdb(text, path);
  options.onProgress?.(text.length, text.length);
  return model;
}
