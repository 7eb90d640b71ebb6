import {
  Field,
  Int32,
  List,
  makeData,
  makeVector,
  Table,
  Utf8,
  vectorFromArray,
  type Data,
  type Vector,
} from 'apache-arrow';
import { ChromflowError, requireColumns, withEncoding, type SparseMatrix } from '@chromflow/core';
import { FIRST_REGION_TOKEN } from './vocabulary.js';

/** Cells as token sets: cell r's token ids are `tokens[offsets[r] … offsets[r+1])`, ascending. */
export interface TokenSets {
  barcodes: string[];
  /** n + 1 offsets into `tokens`. */
  offsets: Int32Array;
  tokens: Int32Array;
  /** Universe regions each cell overlapped, before subsampling to the context length. */
  nOverlapped: Int32Array;
}

/** How the token sets were made; stored in the token table's schema metadata. */
export interface TokenSetsInfo {
  vocabularyHash: string;
  contextLength: number;
  seed: number;
}

/** Default context length (Atacformer's). */
export const DEFAULT_CONTEXT_LENGTH = 8192;

/**
 * Token sets from a cells × universe-regions matrix: cell r's tokens are the
 * columns of its non-zero entries plus `FIRST_REGION_TOKEN`, ascending. Rows
 * with no entry are cells with zero tokens (kept).
 */
export function tokenSetsFromSparse(m: SparseMatrix, barcodes: readonly string[]): TokenSets {
  const offsets = new Int32Array(m.nRows + 1);
  let nnz = 0;
  for (let k = 0; k < m.rows.length; k++) {
    if (m.values[k] !== 0) {
      offsets[m.rows[k]! + 1]!++;
      nnz++;
    }
  }
  for (let r = 0; r < m.nRows; r++) offsets[r + 1]! += offsets[r]!;
  const fill = offsets.slice(0, m.nRows);
  const tokens = new Int32Array(nnz);
  for (let k = 0; k < m.rows.length; k++) {
    if (m.values[k] !== 0) tokens[fill[m.rows[k]!]!++] = m.cols[k]! + FIRST_REGION_TOKEN;
  }
  for (let r = 0; r < m.nRows; r++) tokens.subarray(offsets[r], offsets[r + 1]).sort();
  const nOverlapped = new Int32Array(m.nRows);
  for (let r = 0; r < m.nRows; r++) nOverlapped[r] = offsets[r + 1]! - offsets[r]!;
  return { barcodes: [...barcodes], offsets, tokens, nOverlapped };
}

/** FNV-1a of a string mixed with the seed: each cell's own random stream, independent of cell order. */
function cellSeed(barcode: string, seed: number): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < barcode.length; i++) {
    h ^= barcode.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: a small, well-mixed 32-bit generator. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Each cell with more than `contextLength` tokens keeps a uniform random
 * subset of `contextLength` of them (partial Fisher–Yates, from a stream
 * seeded by `seed` and the barcode, so a cell's subset does not depend on
 * the other cells), still ascending. `nOverlapped` keeps the counts before.
 */
export function subsampleTokenSets(
  sets: TokenSets,
  contextLength: number,
  seed: number,
): TokenSets {
  if (!Number.isInteger(contextLength) || contextLength < 1) {
    throw new ChromflowError('PARAM', 'context length must be a positive integer', {
      field: 'contextLength',
      expected: 'an integer >= 1',
      found: String(contextLength),
    });
  }
  const n = sets.barcodes.length;
  const offsets = new Int32Array(n + 1);
  for (let r = 0; r < n; r++) {
    offsets[r + 1] = offsets[r]! + Math.min(contextLength, sets.offsets[r + 1]! - sets.offsets[r]!);
  }
  if (offsets[n] === sets.tokens.length) return { ...sets, offsets: sets.offsets };
  const tokens = new Int32Array(offsets[n]!);
  for (let r = 0; r < n; r++) {
    const cell = sets.tokens.subarray(sets.offsets[r], sets.offsets[r + 1]);
    const out = tokens.subarray(offsets[r], offsets[r + 1]);
    if (cell.length <= contextLength) {
      out.set(cell);
      continue;
    }
    const pool = cell.slice();
    const rand = mulberry32(cellSeed(sets.barcodes[r]!, seed));
    for (let i = 0; i < contextLength; i++) {
      const j = i + Math.floor(rand() * (pool.length - i));
      const t = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = t;
    }
    out.set(pool.subarray(0, contextLength));
    out.sort();
  }
  return { barcodes: sets.barcodes, offsets, tokens, nOverlapped: sets.nOverlapped };
}

export const TOKEN_SETS_ENCODING = 'chromflow.token-sets';
export const VOCABULARY_HASH_KEY = 'chromflow.tokens.vocabulary-sha256';

/**
 * A `token-sets` table, one row per cell: `barcode` (utf8), `n_tokens`
 * (int32, after subsampling), `n_overlapped` (int32, before) and `tokens`
 * (list<int32>, ascending token ids). Schema metadata: the vocabulary's
 * sha256, the context length and the seed. Opposite of `tokenSetsFromTable`.
 */
export function tokenSetsToTable(sets: TokenSets, info: TokenSetsInfo): Table {
  const n = sets.barcodes.length;
  const nTokens = new Int32Array(n);
  for (let r = 0; r < n; r++) nTokens[r] = sets.offsets[r + 1]! - sets.offsets[r]!;
  const child = makeData({ type: new Int32(), length: sets.tokens.length, data: sets.tokens });
  const lists = makeData({
    type: new List(new Field('item', new Int32(), false)),
    length: n,
    nullCount: 0,
    valueOffsets: sets.offsets,
    child,
  });
  const t = new Table({
    barcode: vectorFromArray(sets.barcodes, new Utf8()),
    n_tokens: makeVector({ type: new Int32(), data: nTokens }),
    n_overlapped: makeVector({ type: new Int32(), data: sets.nOverlapped }),
    tokens: makeVector(lists),
  });
  t.schema.metadata.set(VOCABULARY_HASH_KEY, info.vocabularyHash);
  t.schema.metadata.set('chromflow.tokens.context-length', String(info.contextLength));
  t.schema.metadata.set('chromflow.tokens.seed', String(info.seed));
  return withEncoding(t, TOKEN_SETS_ENCODING, '1');
}

/** Token sets and their info from a `token-sets` table; opposite of `tokenSetsToTable`. */
export function tokenSetsFromTable(t: Table, path?: string): TokenSets & TokenSetsInfo {
  requireColumns(t, ['barcode', 'n_overlapped', 'tokens'], path);
  const barcodes = [...t.getChild('barcode')!].map(String);
  const nOverlapped = Int32Array.from(t.getChild('n_overlapped')!, Number);
  const col = t.getChild('tokens') as Vector<List<Int32>>;
  const offsets = new Int32Array(barcodes.length + 1);
  const parts: Int32Array[] = [];
  let r = 0;
  for (const d of col.data) {
    const vo = d.valueOffsets as Int32Array;
    const child = d.children[0] as Data<Int32>;
    const values: Int32Array = child.values;
    for (let i = 0; i < d.length; i++, r++) {
      const cell = values.subarray(vo[i], vo[i + 1]);
      parts.push(cell);
      offsets[r + 1] = offsets[r]! + cell.length;
    }
  }
  const tokens = new Int32Array(offsets[barcodes.length]!);
  let o = 0;
  for (const p of parts) {
    tokens.set(p, o);
    o += p.length;
  }
  const meta = t.schema.metadata;
  return {
    barcodes,
    offsets,
    tokens,
    nOverlapped,
    vocabularyHash: meta.get(VOCABULARY_HASH_KEY) ?? '',
    contextLength: Number(meta.get('chromflow.tokens.context-length') ?? DEFAULT_CONTEXT_LENGTH),
    seed: Number(meta.get('chromflow.tokens.seed') ?? 0),
  };
}
