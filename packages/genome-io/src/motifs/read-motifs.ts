import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { ChromflowError, throwIfAborted, writeFileAtomic } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';
import { motifsFromJaspar, motifsToJaspar } from './jaspar-format.js';
import { MemeParser, motifsToMeme } from './meme-format.js';
import type { MotifSet } from './motif.js';

/** Motif file layouts `readMotifs` understands. */
export type MotifFormat = 'meme' | 'jaspar';

/**
 * Lines of a text file (plain or gzip), streamed: bytes are decoded in
 * streaming mode and the partial last line is carried to the next chunk.
 * Progress is reported in bytes read of the file size.
 */
export async function* readTextLines(
  path: string,
  options: LongRunOptions = {},
): AsyncGenerator<string> {
  let size: number;
  let gzip: boolean;
  try {
    size = (await stat(path)).size;
    const fh = await open(path, 'r');
    try {
      const head = Buffer.alloc(2);
      const { bytesRead } = await fh.read(head, 0, 2, 0);
      gzip = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new ChromflowError('IO', 'cannot read the motif file', {
      path,
      cause: e,
      hint: 'check the path',
    });
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 16 });
  let read = 0;
  raw.on('data', (b) => {
    read += b.length;
  });
  const source: AsyncIterable<Buffer> = gzip ? raw.pipe(createGunzip()) : raw;
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  options.onProgress?.(0, size);
  try {
    for await (const chunk of source) {
      throwIfAborted(options.signal);
      const text = carry + decoder.decode(chunk, { stream: true });
      const lines = text.split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) yield line;
      options.onProgress?.(read, size);
    }
    const tail = carry + decoder.decode();
    if (tail !== '') yield tail;
  } catch (e) {
    if (e instanceof ChromflowError) throw e;
    throw new ChromflowError(
      gzip ? 'PARSE' : 'IO',
      `cannot read the motif file (${e instanceof Error ? e.message : String(e)})`,
      {
        path,
        cause: e,
        hint: gzip
          ? '`gzip -t` checks the file; fetch it again'
          : 'check that the file is readable',
      },
    );
  } finally {
    raw.destroy();
  }
  options.onProgress?.(size, size);
}

/** The layout of motif text from its first non-blank line: `MEME version` → meme, otherwise jaspar (`>` header or count rows). */
export function motifFormatFromText(firstLine: string): MotifFormat {
  return firstLine.trim().startsWith('MEME version') ? 'meme' : 'jaspar';
}

/**
 * Reads a motif file: MEME (JASPAR's, HOCOMOCO's or CIS-BP's MEME
 * flavours), `.jaspar` or raw `.pfm`, plain or gzip. The format is detected
 * from the content unless `options.format` says it.
 */
export async function readMotifs(
  path: string,
  options: LongRunOptions & { format?: MotifFormat } = {},
): Promise<MotifSet> {
  let format = options.format;
  let meme: MemeParser | undefined;
  const jasparLines: string[] = [];
  let lineNo = 0;
  for await (const line of readTextLines(path, options)) {
    lineNo++;
    if (format === undefined) {
      if (line.trim() === '') {
        jasparLines.push(line);
        continue;
      }
      format = motifFormatFromText(line);
    }
    if (format === 'meme') {
      if (!meme) {
        meme = new MemeParser(path);
        jasparLines.forEach((l, i) => meme!.pushLine(l, i + 1));
        jasparLines.length = 0;
      }
      meme.pushLine(line, lineNo);
    } else {
      jasparLines.push(line);
    }
  }
  if (format === 'meme') return (meme ?? new MemeParser(path)).finish();
  if (format === undefined) {
    throw new ChromflowError('EMPTY', 'the motif file is empty', {
      path,
      hint: 'expected a MEME or JASPAR motif file',
    });
  }
  return motifsFromJaspar(jasparLines.join('\n'), path);
}

/** Writes a motif set atomically as MEME (default) or `.jaspar` text. */
export async function writeMotifs(
  path: string,
  set: MotifSet,
  format: MotifFormat = 'meme',
): Promise<void> {
  await writeFileAtomic(path, format === 'meme' ? motifsToMeme(set) : motifsToJaspar(set));
}
