import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { IndexedFasta } from '@gmod/indexedfasta';
import { BlobFile } from 'generic-filehandle2';
import type { GenericFilehandle } from 'generic-filehandle2';
import { ChromflowError, throwIfAborted, writeFileAtomic } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';
import { isBgzfBlockStart } from './bgzf.js';
import { BgzfRandomFile } from './bgzf-random-file.js';
import { OpenFile } from './open-file.js';
import { faiToText, makeFai } from './fasta-index.js';
import type { FaiEntry } from './fasta-index.js';
import { readByteChunks } from './text-source.js';

/**
 * Random access to a FASTA genome: plain (with `.fai`, built when absent),
 * bgzip (with `.fai` + `.gzi`, each built when absent) or plain gzip (no
 * random access possible: inflated into memory once). Sequence is returned
 * exactly as stored: soft-masked (lower-case) bases and N stay as they are;
 * the sequence codecs decide what to do with them.
 */

export type FastaCompression = 'plain' | 'bgzip' | 'gzip';

export interface FastaReader {
  path: string;
  compression: FastaCompression;
  /** Sequence names in file order. */
  names: string[];
  /** Sequence lengths by name (chromosome sizes). */
  chromSizes: Map<string, number>;
  /**
   * The bases of `chrom` in [start, end) (0-based half-open), as stored.
   * Throws VALUE for an unknown chromosome or a range outside [0, size].
   */
  fetch(
    chrom: string,
    start: number,
    end: number,
    options?: { signal?: AbortSignal },
  ): Promise<string>;
  /** Releases the open file descriptors (reads after close reopen them). */
  close(): Promise<void>;
}

export interface OpenFastaOptions extends LongRunOptions {
  /**
   * Write the `.fai` (and `.gzi`) beside the FASTA when they had to be built
   * (default true; a read-only directory is not an error, the index then lives in memory).
   */
  writeIndex?: boolean;
}

async function detectCompression(path: string): Promise<FastaCompression> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new ChromflowError('IO', 'cannot open FASTA file', {
      path,
      cause: e,
      hint: 'check the path',
    });
  }
  try {
    const head = new Uint8Array(18);
    const { bytesRead } = await fh.read(head, 0, 18, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      return isBgzfBlockStart(head) ? 'bgzip' : 'gzip';
    }
    return 'plain';
  } finally {
    await fh.close();
  }
}

/**
 * The `.gzi` of a BGZF file (htslib format): uint64 count, then per block
 * after the first its (compressed offset, uncompressed offset), little-endian.
 * Reads only block headers and footers, no inflating.
 */
export async function makeGzi(path: string): Promise<Uint8Array> {
  const data = await readFile(path);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const pairs: number[] = [];
  let c = 0;
  let u = 0;
  while (c < data.length) {
    if (!isBgzfBlockStart(data, c)) {
      throw new ChromflowError('PARSE', 'file is not BGZF at this byte offset', {
        path,
        field: `byte ${c}`,
        hint: 'compress it with `bgzip`, not `gzip`',
      });
    }
    const size = view.getUint16(c + 16, true) + 1;
    if (c + size > data.length) {
      throw new ChromflowError('IO', 'BGZF file is truncated inside a block', {
        path,
        field: `byte ${c}`,
      });
    }
    const isize = view.getUint32(c + size - 4, true);
    // htslib (`bgzip -i`/`-r`) lists every block after the first except the empty EOF block.
    const isEofBlock = isize === 0 && c + size === data.length;
    if (c > 0 && !isEofBlock) pairs.push(c, u);
    c += size;
    u += isize;
  }
  const out = new Uint8Array(8 + pairs.length * 8);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(pairs.length / 2), true);
  pairs.forEach((x, i) => v.setBigUint64(8 + i * 8, BigInt(x), true));
  return out;
}

function memoryFile(bytes: Uint8Array | string): GenericFilehandle {
  return new BlobFile(new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]));
}

async function tryWrite(path: string, data: Uint8Array | string, enabled: boolean): Promise<void> {
  if (!enabled) return;
  try {
    await writeFileAtomic(path, data);
  } catch {
    // A read-only directory (e.g. shared reference data) keeps the index in memory only.
  }
}

/** Opens a FASTA for random access (see `FastaReader`). */
export async function openFasta(
  path: string,
  options: OpenFastaOptions = {},
): Promise<FastaReader> {
  throwIfAborted(options.signal);
  const compression = await detectCompression(path);
  const writeIndex = options.writeIndex ?? true;
  const faiPath = `${path}.fai`;
  let entries: FaiEntry[] | undefined;
  let fai: GenericFilehandle;
  if (existsSync(faiPath)) {
    fai = new OpenFile(faiPath);
  } else {
    entries = await makeFai(path, options);
    const text = faiToText(entries);
    fai = memoryFile(text);
    if (compression !== 'gzip') await tryWrite(faiPath, text, writeIndex);
  }
  let reader: IndexedFasta;
  const handles: GenericFilehandle[] = [fai];
  if (compression === 'plain') {
    const fasta = new OpenFile(path);
    handles.push(fasta);
    reader = new IndexedFasta({ fasta, fai });
  } else if (compression === 'bgzip') {
    const gziPath = `${path}.gzi`;
    let gzi: Uint8Array;
    if (existsSync(gziPath)) gzi = await readFile(gziPath);
    else {
      gzi = await makeGzi(path);
      await tryWrite(gziPath, gzi, writeIndex);
    }
    // The uncompressed text through a block-caching BGZF reader, read as a plain indexed FASTA.
    const fasta = new BgzfRandomFile(path, gzi);
    handles.push(fasta);
    reader = new IndexedFasta({ fasta, fai });
  } else {
    const parts: Uint8Array[] = [];
    for await (const chunk of readByteChunks(path, options)) parts.push(chunk);
    reader = new IndexedFasta({ fasta: memoryFile(Buffer.concat(parts)), fai });
  }
  let sizes: Record<string, number>;
  let names: string[];
  try {
    names = await reader.getSequenceNames();
    sizes = await reader.getSequenceSizes();
  } catch (e) {
    throw new ChromflowError('PARSE', 'cannot read the FASTA index', {
      path: faiPath,
      cause: e,
      found: e instanceof Error ? e.message : String(e),
      hint: 'delete the .fai so it is rebuilt, or run `samtools faidx`',
    });
  }
  const chromSizes = new Map(names.map((n) => [n, sizes[n]!]));
  return {
    path,
    compression,
    names,
    chromSizes,
    async close() {
      for (const h of handles) await h.close();
    },
    async fetch(chrom, start, end, opts = {}) {
      const size = chromSizes.get(chrom);
      if (size === undefined) {
        throw new ChromflowError('VALUE', `unknown chromosome ${chrom}`, {
          path,
          field: 'chrom',
          expected: `one of ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
          hint: 'check that regions and genome use the same assembly and naming (chr1 vs 1)',
        });
      }
      if (!(
        Number.isInteger(start) &&
        Number.isInteger(end) &&
        start >= 0 &&
        start <= end &&
        end <= size
      )) {
        throw new ChromflowError(
          'VALUE',
          `range ${chrom}:${start}-${end} is outside ${chrom} (0-${size})`,
          {
            path,
            expected: `0 ≤ start ≤ end ≤ ${size} (0-based half-open)`,
          },
        );
      }
      if (start === end) return '';
      let seq: string | undefined;
      try {
        seq = await reader.getSequence(chrom, start, end, { signal: opts.signal });
      } catch (e) {
        throw new ChromflowError('IO', `cannot read ${chrom}:${start}-${end}`, { path, cause: e });
      }
      if (seq?.length !== end - start) {
        throw new ChromflowError(
          'PARSE',
          `read ${seq?.length ?? 0} bases for ${chrom}:${start}-${end}`,
          {
            path,
            expected: `${end - start} bases`,
            hint: 'the .fai does not match the FASTA; delete it so it is rebuilt',
          },
        );
      }
      return seq;
    },
  };
}

/** Chromosome sizes of a FASTA (from its `.fai`, built when absent). */
export async function readChromSizes(
  path: string,
  options: OpenFastaOptions = {},
): Promise<Map<string, number>> {
  return (await openFasta(path, options)).chromSizes;
}

/** Reads a UCSC `chrom.sizes` file (name<TAB>size per line). */
export async function readChromSizesFile(path: string): Promise<Map<string, number>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ChromflowError('IO', 'cannot read chromosome sizes file', { path, cause: e });
  }
  const out = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    const [name, size] = line.split('\t');
    if (!name || !size || !/^\d+$/.test(size)) {
      throw new ChromflowError('PARSE', 'line is not name<TAB>size', {
        path,
        line: i + 1,
        source: line,
      });
    }
    out.set(name, Number(size));
  });
  return out;
}
