import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { ChromflowError, type LongRunOptions, throwIfAborted } from '@chromflow/core';

/** True when the file starts with the gzip magic bytes (plain gzip and bgzip alike). */
export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Streams the lines of a plain or gzipped text file to `onLine(text, lineNumber)`
 * (1-based; without the line ending). Decodes in streaming mode and carries the
 * partial last line across chunks; a missing final newline is fine. Progress is
 * reported in compressed bytes read.
 */
export async function scanLines(
  path: string,
  onLine: (line: string, lineNumber: number) => void,
  options: LongRunOptions = {},
): Promise<number> {
  let total: number;
  try {
    total = (await stat(path)).size;
  } catch (e) {
    throw new ChromflowError('IO', 'cannot open the file', { path, cause: e });
  }
  const gz = await isGzipFile(path);
  const raw = createReadStream(path);
  let done = 0;
  raw.on('data', (c) => {
    done += c.length;
  });
  const source = gz ? raw.pipe(createGunzip()) : raw;
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  let lineNumber = 0;
  options.onProgress?.(0, total);
  try {
    for await (const chunk of source) {
      throwIfAborted(options.signal);
      const text = carry + decoder.decode(chunk as Uint8Array, { stream: true });
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        onLine(text.slice(start, end), ++lineNumber);
        start = nl + 1;
      }
      carry = text.slice(start);
      options.onProgress?.(done, total);
    }
  } catch (e) {
    raw.destroy();
    if (e instanceof ChromflowError) throw e.withLocation({ path });
    throw new ChromflowError('IO', 'cannot read the file (truncated or not gzip?)', {
      path,
      cause: e,
    });
  }
  const last = carry + decoder.decode();
  if (last.length > 0) onLine(last.replace(/\r$/, ''), ++lineNumber);
  options.onProgress?.(total, total);
  return lineNumber;
}
