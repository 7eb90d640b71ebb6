import { ChromflowError, throwIfAborted } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';
import {
  ByteDictionary,
  HASH_MUL,
  HASH_SEED,
  SLOT_KEY_BYTES,
  SLOT_STRIDE,
} from './byte-dictionary.js';
import { readByteChunks } from './text-source.js';

/**
 * 10x Genomics `fragments.tsv.gz` (bgzip + `.tbi`): one fragment per line,
 * `chrom, start, end, barcode, count` with start 0-based and end exclusive
 * (the same convention as BED); `#` lines are headers. Read as typed-array
 * batches: streaming over the whole file (`readFragments`) or one region
 * through the tabix index (`readFragmentsInRegion`).
 */

/**
 * A batch of fragments, columns as typed arrays of `length` rows. Coordinates
 * are 0-based half-open: fragment i covers [starts[i], ends[i]).
 * `chromNames` and `barcodes` are dictionaries shared by every batch of one
 * read and only ever grow: an id seen in batch k means the same name in batch
 * k+1; read the names after the last batch to get them all.
 */
export interface FragmentBatch {
  /** Chromosome names by id (shared, growing). */
  chromNames: string[];
  /** Barcodes by id, in order of first appearance (shared, growing). */
  barcodes: string[];
  chromIds: Int32Array;
  /** 0-based fragment starts. */
  starts: Int32Array;
  /** Exclusive fragment ends. */
  ends: Int32Array;
  barcodeIds: Int32Array;
  /** 5th column (PCR duplicate count), or 1 when the file has 4 columns. */
  counts: Int32Array;
  /** 1-based line number in the (decompressed) file of each fragment. */
  lineNumbers: Int32Array;
  length: number;
}

/**
 * The six per-fragment columns of a batch in a fixed order — chromIds,
 * starts, ends, barcodeIds, counts, lineNumbers — e.g. as a transfer list
 * when posting a batch to another thread.
 */
export function fragmentBatchColumns(batch: FragmentBatch): Int32Array[] {
  return [
    batch.chromIds,
    batch.starts,
    batch.ends,
    batch.barcodeIds,
    batch.counts,
    batch.lineNumbers,
  ];
}

/**
 * The batch over `columns` (in `fragmentBatchColumns` order, e.g. received
 * from another thread) and the shared dictionaries; `length` defaults to the
 * columns' length.
 */
export function fragmentBatchFromColumns(
  columns: readonly Int32Array[],
  chromNames: string[],
  barcodes: string[],
  length?: number,
): FragmentBatch {
  const [chromIds, starts, ends, barcodeIds, counts, lineNumbers] = columns;
  if (!chromIds || !starts || !ends || !barcodeIds || !counts || !lineNumbers) {
    throw new RangeError(`a fragment batch has 6 columns, not ${columns.length}`);
  }
  return {
    chromNames,
    barcodes,
    chromIds,
    starts,
    ends,
    barcodeIds,
    counts,
    lineNumbers,
    length: length ?? starts.length,
  };
}

export interface ReadFragmentsOptions extends LongRunOptions {
  /** Fragments per batch (default 65,536). */
  batchSize?: number;
  /**
   * Require the 10x order: each chromosome's records contiguous and starts
   * non-decreasing inside it (default true). A violation throws UNSORTED
   * naming file and line.
   */
  checkSorted?: boolean;
  /** Chromosome sizes: when given, unknown chromosomes and ends past the size throw VALUE. */
  chromSizes?: ReadonlyMap<string, number>;
  /**
   * Reuse the arrays of a batch for a later one once the consumer asks for the
   * next batch (default false). For consumers that finish with each batch
   * before taking the next (counters): no allocation per batch, less GC.
   */
  reuseBatches?: boolean;
  /**
   * Batches whose arrays the caller is done with, to be refilled before new
   * arrays are allocated; the caller may push to it at any time (e.g. arrays
   * a worker thread got back from the thread it posted them to).
   */
  batchPool?: FragmentBatch[];
}

const TAB = 9;
const LF = 10;
const CR = 13;
const HASH = 35;

class BatchBuilder {
  chromIds: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  barcodeIds: Int32Array;
  counts: Int32Array;
  lineNumbers: Int32Array;
  n = 0;
  /** New arrays of `capacity` rows, or those of a finished full batch handed back. */
  constructor(
    readonly capacity: number,
    reuse?: FragmentBatch,
  ) {
    this.chromIds = reuse ? reuse.chromIds : new Int32Array(capacity);
    this.starts = reuse ? reuse.starts : new Int32Array(capacity);
    this.ends = reuse ? reuse.ends : new Int32Array(capacity);
    this.barcodeIds = reuse ? reuse.barcodeIds : new Int32Array(capacity);
    this.counts = reuse ? reuse.counts : new Int32Array(capacity);
    this.lineNumbers = reuse ? reuse.lineNumbers : new Int32Array(capacity);
  }
}

/**
 * The byte-level fragments line parser (no string per line). One instance per
 * read; `parse` consumes whole lines of `buf[from, to)` (each ending in \n, or the
 * file's last line) and pushes rows into the current batch.
 */
export class FragmentLineParser {
  readonly chroms = new ByteDictionary();
  readonly barcodes = new ByteDictionary();
  lineNumber = 0;
  private batch: BatchBuilder;
  private readonly done: FragmentBatch[] = [];
  private readonly free: FragmentBatch[];
  private prevChrom = -1;
  private prevStart = -1;
  private prevChromBytes = new Uint8Array(0);
  private chromSizeById: number[] = [];
  /** Length of the last barcode: the guess of the parser's fast path. */
  private barcodeLength = 0;

  constructor(
    readonly path: string,
    private readonly batchSize: number,
    private readonly checkSorted: boolean,
    private readonly chromSizes?: ReadonlyMap<string, number>,
    /** Finished batches whose arrays may be refilled (shared with the caller; see `recycle`). */
    pool: FragmentBatch[] = [],
  ) {
    this.free = pool;
    this.batch = new BatchBuilder(batchSize);
  }

  /**
   * Hands back a batch the caller has finished with, so a later batch reuses
   * its arrays (no allocation, less GC). Only full batches are kept.
   */
  recycle(batch: FragmentBatch): void {
    const full = batch.length === this.batchSize && batch.starts.length === this.batchSize;
    if (full && this.free.length < 4) this.free.push(batch);
  }

  private newBuilder(): BatchBuilder {
    let reuse = this.free.pop();
    while (reuse && reuse.starts.length !== this.batchSize) reuse = this.free.pop();
    return new BatchBuilder(this.batchSize, reuse);
  }

  /** Batches completed so far (removed from the parser). */
  takeBatches(): FragmentBatch[] {
    return this.done.splice(0, this.done.length);
  }

  /** The last, partial batch (if any rows). */
  flush(): FragmentBatch | undefined {
    if (this.batch.n === 0) return undefined;
    const b = this.seal(this.batch);
    this.batch = this.newBuilder();
    return b;
  }

  private seal(b: BatchBuilder): FragmentBatch {
    const n = b.n;
    return {
      chromNames: this.chroms.names,
      barcodes: this.barcodes.names,
      chromIds: n === b.capacity ? b.chromIds : b.chromIds.slice(0, n),
      starts: n === b.capacity ? b.starts : b.starts.slice(0, n),
      ends: n === b.capacity ? b.ends : b.ends.slice(0, n),
      barcodeIds: n === b.capacity ? b.barcodeIds : b.barcodeIds.slice(0, n),
      counts: n === b.capacity ? b.counts : b.counts.slice(0, n),
      lineNumbers: n === b.capacity ? b.lineNumbers : b.lineNumbers.slice(0, n),
      length: n,
    };
  }

  private fail(
    code: 'PARSE' | 'VALUE' | 'UNSORTED',
    message: string,
    buf: Uint8Array,
    lineStart: number,
    column: number,
    extra: { field?: string; expected?: string; found?: string; hint?: string } = {},
  ): never {
    let e = buf.indexOf(LF, lineStart);
    if (e < 0) e = buf.length;
    const source = Buffer.from(buf.buffer, buf.byteOffset + lineStart, e - lineStart).toString(
      'latin1',
    );
    throw new ChromflowError(code, message, {
      path: this.path,
      line: this.lineNumber,
      column: column - lineStart + 1,
      source,
      ...extra,
    });
  }

  /** Parses every line in buf[from, to). The last line may lack its \n only when it is the file's last. */
  parse(buf: Uint8Array, from: number, to: number): void {
    // Hot loop: ~10^7 lines per file. Fields are read into locals once per call
    // and the barcode probe of ByteDictionary.idOfHashed is inlined (a call per
    // fragment cost more than the parse itself); anything unusual leaves the
    // loop through `fail`.
    let p = from;
    let b = this.batch;
    let chromIds = b.chromIds;
    let starts = b.starts;
    let ends = b.ends;
    let barcodeIds = b.barcodeIds;
    let counts = b.counts;
    let lineNumbers = b.lineNumbers;
    let n = b.n;
    const capacity = b.capacity;
    const dict = this.barcodes;
    let slots = dict.slots;
    let mask = slots.length / SLOT_STRIDE - 1;
    let keyOffsets = dict.keyOffsets;
    let arena = dict.arena;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const bufLength = buf.length;
    const checkSorted = this.checkSorted;
    const sized = this.chromSizes !== undefined;
    let chromId = this.prevChrom;
    let prevChrom = this.prevChromBytes;
    let prevStart = this.prevStart;
    let chromSize = chromId >= 0 ? (this.chromSizeById[chromId] ?? 0) : 0;
    let lineNumber = this.lineNumber;
    let barcodeLength = this.barcodeLength;
    let c = 0;
    while (p < to) {
      lineNumber++;
      const lineStart = p;
      c = buf[p]!;
      if (c === HASH || c === LF) {
        const nl = c === LF ? p : buf.indexOf(LF, p);
        p = nl < 0 || nl >= to ? to : nl + 1;
        continue;
      }
      // chrom: usually the previous line's; compare those bytes before scanning
      let q = p + prevChrom.length;
      let same = chromId >= 0 && q < to && buf[q] === TAB;
      for (let i = 0; same && i < prevChrom.length; i++) same = buf[p + i] === prevChrom[i];
      if (!same) {
        q = this.scanField(buf, p, to);
        if (q >= to || buf[q] !== TAB || q === p) {
          this.lineNumber = lineNumber;
          this.fail(
            'PARSE',
            'fragment line has fewer than 4 tab-separated columns',
            buf,
            lineStart,
            q,
            { expected: 'chrom<TAB>start<TAB>end<TAB>barcode[<TAB>count]' },
          );
        }
        this.lineNumber = lineNumber;
        this.prevStart = prevStart;
        chromId = this.changeChrom(buf, p, q, lineStart);
        prevChrom = this.prevChromBytes;
        prevStart = -1;
        if (sized) chromSize = this.chromSizeById[chromId]!;
      }
      // start
      p = q + 1;
      let start = 0;
      q = p;
      while (q < to && (c = buf[q]!) >= 48 && c <= 57) {
        start = start * 10 + (c - 48);
        q++;
      }
      if (q === p || c !== TAB || q - p > 10) {
        this.lineNumber = lineNumber;
        this.fail('PARSE', 'start is not a non-negative integer', buf, lineStart, p, {
          field: 'start',
          expected: 'an integer ≥ 0 followed by a tab',
        });
      }
      // end
      p = q + 1;
      let end = 0;
      q = p;
      while (q < to && (c = buf[q]!) >= 48 && c <= 57) {
        end = end * 10 + (c - 48);
        q++;
      }
      if (q === p || c !== TAB || q - p > 10) {
        this.lineNumber = lineNumber;
        this.fail('PARSE', 'end is not a non-negative integer', buf, lineStart, p, {
          field: 'end',
          expected: 'an integer ≥ 0 followed by a tab and the barcode',
        });
      }
      if (end <= start || end > 0x7fffffff || (sized && end > chromSize) || start < prevStart) {
        this.lineNumber = lineNumber;
        this.prevStart = prevStart;
        this.badInterval(buf, lineStart, p, chromId, start, end);
      }
      if (checkSorted) prevStart = start;
      // barcode. Fast path: guess it is as long as the previous line's (10x
      // barcodes all are) and look the guess up; the dictionary's keys hold no
      // TAB, LF or trailing CR, so an exact match that ends at a TAB or LF is
      // the whole field and the bytes need no scan. Otherwise scan, then look up
      // (adding a new key). The probe is ByteDictionary.idOfHashed, inlined.
      p = q + 1;
      q = p + barcodeLength;
      let fast = q < to && ((c = buf[q]!) === TAB || c === LF);
      if (!fast) q = this.scanField(buf, p, to);
      let barcodeId = -1;
      for (;;) {
        if (!fast) {
          c = q < to ? buf[q]! : LF;
          if (q === p || buf[q - 1] === CR) {
            this.lineNumber = lineNumber;
            barcodeId = this.oddBarcode(buf, lineStart, p, q, to, c);
            break;
          }
        }
        const len = q - p;
        // = hashBytes(buf, p, q, view)
        let h = HASH_SEED;
        let k = p;
        for (; k + 4 <= q; k += 4) h = Math.imul(h ^ view.getInt32(k, true), HASH_MUL);
        for (; k < q; k++) h = Math.imul(h ^ buf[k]!, HASH_MUL);
        h = (h ^ (h >>> 15)) & 0x3fffffff;
        let x = h ^ (h >>> 16);
        x = Math.imul(x, 0x85ebca6b);
        x ^= x >>> 13;
        x = Math.imul(x, 0xc2b2ae35);
        let s = (x ^ (x >>> 16)) & mask;
        // Words of the key compared in the slot; the last, partial one masked.
        const full = len >> 2;
        const tailMask = (1 << (8 * (len & 3))) - 1;
        const inSlot = len <= SLOT_KEY_BYTES && p + 4 * full + 4 <= bufLength;
        for (;;) {
          const base = s * SLOT_STRIDE;
          const id = slots[base + 1]!;
          if (id < 0) {
            if (fast) break;
            barcodeId = dict.add(buf, p, q, h, s);
            slots = dict.slots;
            mask = slots.length / SLOT_STRIDE - 1;
            keyOffsets = dict.keyOffsets;
            arena = dict.arena;
            break;
          }
          if (slots[base] === h && slots[base + 2] === len) {
            let same = true;
            if (inSlot) {
              for (let i = 0; same && i < full; i++)
                same = slots[base + 3 + i] === view.getInt32(p + 4 * i, true);
              if (same && tailMask !== 0)
                same = slots[base + 3 + full] === (view.getInt32(p + 4 * full, true) & tailMask);
            } else {
              const off = keyOffsets[id]!;
              for (let i = 0; same && i < len; i++) same = arena[off + i] === buf[p + i];
            }
            if (same) {
              barcodeId = id;
              break;
            }
          }
          s = (s + 1) & mask;
        }
        if (barcodeId >= 0) break;
        fast = false;
        q = this.scanField(buf, p, to);
      }
      barcodeLength = q - p;
      // count (optional)
      let count = 1;
      if (q < to && c === TAB) {
        p = q + 1;
        count = 0;
        q = p;
        while (q < to && (c = buf[q]!) >= 48 && c <= 57) {
          count = count * 10 + (c - 48);
          q++;
        }
        if (q === p || (q < to && c !== TAB && c !== LF) || q - p > 9) {
          this.lineNumber = lineNumber;
          if (c === CR) this.crlf(buf, lineStart, q);
          this.fail('PARSE', 'count (column 5) is not a non-negative integer', buf, lineStart, p, {
            field: 'count',
          });
        }
      }
      // rest of line (extra columns are allowed and ignored)
      if (q < to && c !== LF) {
        const nl = buf.indexOf(LF, q);
        q = nl < 0 || nl >= to ? to : nl;
      }
      p = q + 1;
      chromIds[n] = chromId;
      starts[n] = start;
      ends[n] = end;
      barcodeIds[n] = barcodeId;
      counts[n] = count;
      lineNumbers[n] = lineNumber;
      n++;
      if (n === capacity) {
        b.n = n;
        this.done.push(this.seal(b));
        b = this.batch = this.newBuilder();
        ({ chromIds, starts, ends, barcodeIds, counts, lineNumbers } = b);
        n = 0;
      }
    }
    b.n = n;
    this.lineNumber = lineNumber;
    this.prevStart = prevStart;
    this.barcodeLength = barcodeLength;
  }

  /** End of the field starting at `p`: the first TAB or LF, or `to`. */
  private scanField(buf: Uint8Array, p: number, to: number): number {
    let q = p;
    let c = 0;
    while (q < to && (c = buf[q]!) !== TAB && c !== LF) q++;
    return q;
  }

  /** Throws the error for a line whose end ≤ start, end past the chromosome, or start out of order. */
  private badInterval(
    buf: Uint8Array,
    lineStart: number,
    at: number,
    chromId: number,
    start: number,
    end: number,
  ): never {
    if (end <= start || end > 0x7fffffff) {
      this.fail(
        'VALUE',
        `fragment end ${end} is not greater than its start ${start}`,
        buf,
        lineStart,
        at,
        { field: 'end', expected: 'start < end (0-based half-open)' },
      );
    }
    const size = this.chromSizeById[chromId];
    if (size !== undefined && end > size) {
      this.fail(
        'VALUE',
        `fragment end ${end} is past the end of ${this.chroms.names[chromId]} (${size} bp)`,
        buf,
        lineStart,
        at,
        { field: 'end', hint: 'the fragments and the genome are from different assemblies?' },
      );
    }
    this.fail(
      'UNSORTED',
      `fragments are not sorted: start ${start} comes after start ${this.prevStart} on ${this.chroms.names[chromId]}`,
      buf,
      lineStart,
      lineStart,
      { field: 'start', hint: 'sort with `sort -k1,1 -k2,2n`, then `bgzip` and `tabix -p bed`' },
    );
  }

  /**
   * An empty barcode or one ending in CR: throws for an empty one and for a CR
   * LF line end; a CR before a tab is dropped from the barcode (returns its id).
   */
  private oddBarcode(
    buf: Uint8Array,
    lineStart: number,
    p: number,
    q: number,
    to: number,
    c: number,
  ): number {
    const qe = q > p && buf[q - 1] === CR ? q - 1 : q;
    if (qe === p) {
      this.fail('PARSE', 'barcode column is empty', buf, lineStart, p, { field: 'barcode' });
    }
    if (q >= to || c === LF) this.crlf(buf, lineStart, qe);
    return this.barcodes.idOf(buf, p, qe);
  }

  private crlf(buf: Uint8Array, lineStart: number, at: number): never {
    this.fail('PARSE', 'line ends with CR LF (Windows line endings)', buf, lineStart, at, {
      hint: "convert to Unix line endings: `zcat FILE | sed 's/\\r$//' | bgzip > FIXED`",
    });
  }

  private changeChrom(buf: Uint8Array, p: number, q: number, lineStart: number): number {
    const before = this.chroms.size;
    const id = this.chroms.idOf(buf, p, q);
    const name = this.chroms.names[id]!;
    if (id < before && this.checkSorted) {
      this.fail(
        'UNSORTED',
        `fragments are not sorted: ${name} appears again after ${this.chroms.names[this.prevChrom] ?? '?'}`,
        buf,
        lineStart,
        p,
        {
          field: 'chrom',
          hint: 'the records of each chromosome must be contiguous; sort with `sort -k1,1 -k2,2n`',
        },
      );
    }
    if (id === before && this.chromSizes) {
      const size = this.chromSizes.get(name);
      if (size === undefined) {
        this.fail('VALUE', `unknown chromosome ${name}`, buf, lineStart, p, {
          field: 'chrom',
          expected: `one of the ${this.chromSizes.size} chromosomes of the genome`,
          hint: 'check that fragments and genome use the same naming (chr1 vs 1)',
        });
      }
      this.chromSizeById[id] = size;
    }
    this.prevChrom = id;
    this.prevStart = -1;
    this.prevChromBytes = buf.slice(p, q);
    return id;
  }
}

/**
 * Streams a fragments file (plain, gzip or bgzip) as typed-array batches.
 * Errors: PARSE/VALUE naming file, line and column; UNSORTED; IO for a
 * truncated gzip; EMPTY when the file holds no fragment.
 */
export async function* readFragments(
  path: string,
  options: ReadFragmentsOptions = {},
): AsyncGenerator<FragmentBatch> {
  const parser = new FragmentLineParser(
    path,
    options.batchSize ?? 1 << 16,
    options.checkSorted ?? true,
    options.chromSizes,
    options.batchPool,
  );
  const reuse = options.reuseBatches ?? false;
  let carry: Uint8Array | undefined;
  let rows = 0;
  for await (const buffer of readByteChunks(path, options)) {
    // A plain Uint8Array view: the parser then only ever sees one array class (zlib gives
    // Buffers, the carried line is a Uint8Array) and stays monomorphic.
    const chunk = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    let from = 0;
    if (carry) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        const joined = new Uint8Array(carry.length + chunk.length);
        joined.set(carry);
        joined.set(chunk, carry.length);
        carry = joined;
        continue;
      }
      const line = new Uint8Array(carry.length + nl + 1);
      line.set(carry);
      line.set(chunk.subarray(0, nl + 1), carry.length);
      parser.parse(line, 0, line.length);
      carry = undefined;
      from = nl + 1;
    }
    const lastNl = chunk.lastIndexOf(LF);
    if (lastNl >= from) {
      parser.parse(chunk, from, lastNl + 1);
      from = lastNl + 1;
    }
    if (from < chunk.length) carry = chunk.slice(from);
    for (const b of parser.takeBatches()) {
      rows += b.length;
      yield b;
      if (reuse) parser.recycle(b);
    }
  }
  if (carry) parser.parse(carry, 0, carry.length);
  for (const b of parser.takeBatches()) {
    rows += b.length;
    yield b;
  }
  const last = parser.flush();
  if (last) {
    rows += last.length;
    yield last;
  }
  if (rows === 0) {
    throw new ChromflowError('EMPTY', 'fragments file holds no fragment', {
      path,
      expected: 'lines chrom<TAB>start<TAB>end<TAB>barcode[<TAB>count]',
    });
  }
}

/** A genomic interval, 0-based half-open [start, end). */
export interface GenomicRegion {
  chrom: string;
  /** 0-based start. */
  start: number;
  /** Exclusive end. */
  end: number;
}

/**
 * The fragments overlapping `region` (0-based half-open), through the tabix
 * index `<path>.tbi`, as one batch with dictionaries of its own. Its
 * `lineNumbers` count lines of the query result (1 = first fragment returned),
 * not of the file.
 */
export async function readFragmentsInRegion(
  path: string,
  region: GenomicRegion,
  options: { signal?: AbortSignal; tbiPath?: string } = {},
): Promise<FragmentBatch> {
  throwIfAborted(options.signal);
  // Loaded on first use: whole-file readers need not pay for @gmod/tabix at startup.
  const { TabixIndexedFile } = await import('@gmod/tabix');
  const tbx = new TabixIndexedFile({ path, tbiPath: options.tbiPath ?? `${path}.tbi` });
  const lines: string[] = [];
  try {
    await tbx.getLines(region.chrom, region.start, region.end, {
      signal: options.signal,
      lineCallback: (line: string) => {
        lines.push(line);
      },
    });
  } catch (e) {
    throw new ChromflowError(
      'IO',
      `cannot query ${region.chrom}:${region.start}-${region.end} through the tabix index`,
      {
        path,
        cause: e,
        found: e instanceof Error ? e.message : String(e),
        hint: 'the .tbi must sit beside the file (build it with `tabix -p bed FILE` or writeTabixIndex)',
      },
    );
  }
  const parser = new FragmentLineParser(path, Math.max(1, lines.length), true);
  const bytes = Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'latin1');
  parser.parse(bytes, 0, bytes.length);
  const batches = [...parser.takeBatches()];
  const last = parser.flush();
  if (last) batches.push(last);
  return (
    batches[0] ?? {
      chromNames: [],
      barcodes: [],
      chromIds: new Int32Array(0),
      starts: new Int32Array(0),
      ends: new Int32Array(0),
      barcodeIds: new Int32Array(0),
      counts: new Int32Array(0),
      lineNumbers: new Int32Array(0),
      length: 0,
    }
  );
}

/** A fragment as a plain record, for writers and tests (0-based half-open). */
export interface Fragment {
  chrom: string;
  start: number;
  end: number;
  barcode: string;
  count?: number;
}

/** 10x fragments text (5 columns, `\n`-terminated) for the records, in the given order. */
export function fragmentsToText(fragments: Iterable<Fragment>): string {
  const parts: string[] = [];
  for (const f of fragments)
    parts.push(`${f.chrom}\t${f.start}\t${f.end}\t${f.barcode}\t${f.count ?? 1}\n`);
  return parts.join('');
}
