import { ChromflowError } from '@chromflow/core';
import { ChainBuilder, type ProteinModel } from './protein-chain.js';

/** One value of a CIF loop and the 1-based line it starts on. */
interface CifToken {
  value: string;
  line: number;
  column: number;
}

/**
 * Splits one CIF line into values: whitespace separated, `'…'`/`"…"` quoted
 * (a quote closes only when followed by whitespace or the line end), `#`
 * starts a comment outside quotes.
 */
function tokenizeLine(line: string, lineNo: number, out: CifToken[]): void {
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') return;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (
        j < n &&
        !(line[j] === c && (j + 1 === n || line[j + 1] === ' ' || line[j + 1] === '\t'))
      )
        j++;
      out.push({ value: line.slice(i + 1, j), line: lineNo, column: i + 1 });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < n && line[j] !== ' ' && line[j] !== '\t') j++;
    out.push({ value: line.slice(i, j), line: lineNo, column: i + 1 });
    i = j;
  }
}

/** Finds the `_atom_site` loop and returns its column names and values in row-major order. */
function readAtomSiteLoop(text: string, path?: string): { tags: string[]; tokens: CifToken[] } {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== 'loop_') continue;
    let k = i + 1;
    const tags: string[] = [];
    while (k < lines.length && lines[k]!.trimStart().startsWith('_')) {
      tags.push(lines[k]!.trim().split(/\s+/)[0]!);
      k++;
    }
    if (!tags[0]?.startsWith('_atom_site.')) continue;
    const tokens: CifToken[] = [];
    for (; k < lines.length; k++) {
      const line = lines[k]!;
      const t = line.trimStart();
      if (t.startsWith('loop_') || t.startsWith('_') || t.startsWith('data_')) break;
      if (line.startsWith(';')) {
        // multi-line text field: up to the next line starting with ';'
        const start = k;
        const parts = [line.slice(1)];
        for (k++; k < lines.length && !lines[k]!.startsWith(';'); k++) parts.push(lines[k]!);
        tokens.push({ value: parts.join('\n'), line: start + 1, column: 1 });
        continue;
      }
      tokenizeLine(line, k + 1, tokens);
    }
    return { tags: tags.map((t) => t.slice('_atom_site.'.length)), tokens };
  }
  throw new ChromflowError('PARSE', 'the mmCIF file has no _atom_site loop', {
    path,
    expected: 'a loop_ whose columns are _atom_site.*',
    found: 'none',
  });
}

/**
 * mmCIF reader for the `_atom_site` loop, by column name. Chain = `auth_asym_id`
 * (else `label_asym_id`), residue number = `auth_seq_id` (else `label_seq_id`),
 * pLDDT = `B_iso_or_equiv`. Only the first model (`pdbx_PDB_model_num`), `ATOM`
 * rows and the first alternate location are read, as in `parsePdb`.
 */
export function parseMmcif(text: string, path?: string): ProteinModel {
  const { tags, tokens } = readAtomSiteLoop(text, path);
  const col = (...names: string[]): number => {
    for (const n of names) {
      const i = tags.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  const need = (label: string, ...names: string[]): number => {
    const i = col(...names);
    if (i < 0) {
      throw new ChromflowError('SCHEMA', `the _atom_site loop has no ${label} column`, {
        path,
        field: `_atom_site.${names[0]}`,
        expected: names.map((n) => `_atom_site.${n}`).join(' or '),
        found: tags.map((t) => `_atom_site.${t}`).join(', '),
      });
    }
    return i;
  };
  const cGroup = col('group_PDB');
  const cAtom = need('atom name', 'auth_atom_id', 'label_atom_id');
  const cComp = need('residue name', 'auth_comp_id', 'label_comp_id');
  const cChain = need('chain', 'auth_asym_id', 'label_asym_id');
  const cSeq = need('residue number', 'auth_seq_id', 'label_seq_id');
  const cB = need('B-factor (pLDDT)', 'B_iso_or_equiv');
  const cIns = col('pdbx_PDB_ins_code');
  const cAlt = col('label_alt_id');
  const cModel = col('pdbx_PDB_model_num');
  const width = tags.length;
  if (tokens.length % width !== 0) {
    const last = tokens[tokens.length - 1];
    throw new ChromflowError('PARSE', 'the _atom_site loop ends in the middle of a row', {
      path,
      line: last?.line,
      expected: `a multiple of ${width} values`,
      found: `${tokens.length} values`,
    });
  }
  const builders = new Map<string, ChainBuilder>();
  let firstModel: string | undefined;
  for (let r = 0; r < tokens.length; r += width) {
    const v = (c: number): string => tokens[r + c]!.value;
    if (cGroup >= 0 && v(cGroup) !== 'ATOM') continue;
    if (cModel >= 0) {
      firstModel ??= v(cModel);
      if (v(cModel) !== firstModel) break;
    }
    if (cAlt >= 0 && !['.', '?', 'A'].includes(v(cAlt))) continue;
    const seqTok = tokens[r + cSeq]!;
    const resNum = Number(seqTok.value);
    if (!Number.isInteger(resNum)) {
      throw new ChromflowError('PARSE', 'a residue number is not an integer', {
        path,
        line: seqTok.line,
        column: seqTok.column,
        field: tags[cSeq],
        found: `'${seqTok.value}'`,
      });
    }
    const bTok = tokens[r + cB]!;
    const b = Number(bTok.value);
    if (bTok.value === '?' || bTok.value === '.' || !Number.isFinite(b)) {
      throw new ChromflowError('PARSE', 'a B-factor (pLDDT) is missing or not a number', {
        path,
        line: bTok.line,
        column: bTok.column,
        field: '_atom_site.B_iso_or_equiv',
        expected: 'pLDDT between 0 and 100',
        found: `'${bTok.value}'`,
      });
    }
    const chainId = v(cChain);
    const icode = cIns >= 0 && !['.', '?'].includes(v(cIns)) ? v(cIns) : '';
    let builder = builders.get(chainId);
    if (!builder) builders.set(chainId, (builder = new ChainBuilder(chainId)));
    builder.addAtom(resNum, icode, v(cComp), v(cAtom), b);
  }
  if (builders.size === 0) {
    throw new ChromflowError('EMPTY', 'the _atom_site loop has no ATOM rows', { path });
  }
  return { path, chains: [...builders.values()].map((b) => b.build()) };
}
