import { readFile } from 'node:fs/promises';
import { ChromflowError, sha256, writeFileAtomic } from '@chromflow/core';
import type { RegionColumns } from '../region-index.js';

/**
 * Special tokens and their ids, in this order: pad 0, mask 1, cls 2, bos 3,
 * eos 4, sep 5, unk 6. Universe region i is token `SPECIAL_TOKENS.length + i`.
 */
export const SPECIAL_TOKENS = [
  '<pad>',
  '<mask>',
  '<cls>',
  '<bos>',
  '<eos>',
  '<sep>',
  '<unk>',
] as const;

/** Token id of the first universe region (7). */
export const FIRST_REGION_TOKEN = SPECIAL_TOKENS.length;

/** A vocabulary: the special tokens, then the universe regions (0-based half-open) in file order. */
export interface Vocabulary {
  regions: RegionColumns;
}

const MAGIC = '#chromflow-vocabulary\t1';
const HEADER = 'token_id\ttoken\tchrom\tstart\tend';

/** Number of tokens (special + regions). */
export function vocabularySize(v: Vocabulary): number {
  return FIRST_REGION_TOKEN + v.regions.starts.length;
}

/**
 * The vocabulary file's text: a `#chromflow-vocabulary 1` line, a header, then
 * one tab-separated line per token id from 0: `token_id token chrom start end`
 * (`.` for the special tokens' coordinates; regions 0-based half-open as in
 * BED, token `chrom:start-end`). The opposite of `vocabularyFromText`.
 */
export function vocabularyToText(v: Vocabulary): string {
  const lines = [MAGIC, HEADER];
  SPECIAL_TOKENS.forEach((t, i) => lines.push(`${i}\t${t}\t.\t.\t.`));
  const r = v.regions;
  for (let i = 0; i < r.starts.length; i++) {
    const c = r.chromNames[r.chromIds[i]!]!;
    lines.push(
      `${FIRST_REGION_TOKEN + i}\t${c}:${r.starts[i]}-${r.ends[i]}\t${c}\t${r.starts[i]}\t${r.ends[i]}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Parses a vocabulary file's text (`path` names it in errors); the opposite of `vocabularyToText`. */
export function vocabularyFromText(text: string, path?: string): Vocabulary {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const fail = (line: number, message: string, expected: string, found: string): never => {
    throw new ChromflowError('PARSE', message, {
      path,
      line,
      source: lines[line - 1],
      expected,
      found,
    });
  };
  if (lines[0] !== MAGIC)
    fail(
      1,
      'not a chromflow vocabulary file',
      JSON.stringify(MAGIC),
      JSON.stringify(lines[0] ?? ''),
    );
  if (lines[1] !== HEADER)
    fail(2, 'unexpected vocabulary header', JSON.stringify(HEADER), JSON.stringify(lines[1] ?? ''));
  const chromNames: string[] = [];
  const chromOf = new Map<string, number>();
  const n = lines.length - 2 - FIRST_REGION_TOKEN;
  if (n < 0)
    fail(
      lines.length,
      'the vocabulary lacks special tokens',
      `${FIRST_REGION_TOKEN} special tokens`,
      `${lines.length - 2} lines`,
    );
  const chromIds = new Int32Array(Math.max(0, n));
  const starts = new Int32Array(Math.max(0, n));
  const ends = new Int32Array(Math.max(0, n));
  for (let id = 0; id < lines.length - 2; id++) {
    const lineNo = id + 3;
    const f = lines[id + 2]!.split('\t');
    if (f.length !== 5)
      fail(lineNo, 'a vocabulary line needs 5 tab-separated fields', HEADER, `${f.length} fields`);
    if (f[0] !== String(id))
      fail(lineNo, 'token ids must be 0, 1, 2 … in order', String(id), f[0]!);
    if (id < FIRST_REGION_TOKEN) {
      const want = SPECIAL_TOKENS[id]!;
      if (f[1] !== want) fail(lineNo, `token ${id} must be ${want}`, want, f[1]!);
      continue;
    }
    const [, , chrom, s, e] = f as [string, string, string, string, string];
    if (!/^\d+$/.test(s) || !/^\d+$/.test(e) || Number(e) <= Number(s))
      fail(lineNo, 'a region token needs integer start < end', '0 <= start < end', `${s}, ${e}`);
    let c = chromOf.get(chrom);
    if (c === undefined) {
      c = chromNames.length;
      chromOf.set(chrom, c);
      chromNames.push(chrom);
    }
    const i = id - FIRST_REGION_TOKEN;
    chromIds[i] = c;
    starts[i] = Number(s);
    ends[i] = Number(e);
  }
  return { regions: { chromNames, chromIds, starts, ends } };
}

/** sha256 of the vocabulary's file text: stored in token tables so a checkpoint can check it. */
export function vocabularyHash(v: Vocabulary): string {
  return sha256(vocabularyToText(v));
}

/** Writes the vocabulary file atomically; read back with `readVocabulary`. */
export async function writeVocabulary(path: string, v: Vocabulary): Promise<void> {
  await writeFileAtomic(path, vocabularyToText(v));
}

/** Reads a vocabulary file written by `writeVocabulary`. */
export async function readVocabulary(path: string): Promise<Vocabulary> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ChromflowError('IO', 'cannot read the vocabulary file', { path, cause: e });
  }
  return vocabularyFromText(text, path);
}

/**
 * Throws VALUE unless `hash` (e.g. from a token table's or checkpoint's
 * metadata) is the hash of `v`: token ids mean nothing under another vocabulary.
 */
export function requireVocabularyHash(
  v: Vocabulary,
  hash: string | undefined,
  path?: string,
): void {
  const have = vocabularyHash(v);
  if (hash !== have) {
    throw new ChromflowError('VALUE', 'the token ids were made with another vocabulary', {
      path,
      field: 'chromflow.tokens.vocabulary-sha256',
      expected: have,
      found: hash ?? 'no vocabulary hash',
      hint: 'tokenize again with this vocabulary, or use the vocabulary the tokens were made with',
    });
  }
}
