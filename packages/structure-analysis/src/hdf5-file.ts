import { open, stat } from 'node:fs/promises';
import h5wasm, { type File as H5File } from 'h5wasm/node';
import { ChromflowError } from '@chromflow/core';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Checks, before HDF5 sees the file, that it starts with the HDF5 signature
 * and is at least as long as the end-of-file address its superblock records
 * (HDF5 spec, superblock versions 0–3), so that a non-HDF5 or truncated file
 * is a sentence about the file rather than an HDF5 diagnostic dump.
 */
async function checkHdf5Header(path: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new ChromflowError('IO', 'the file does not exist or cannot be read', { path, cause: e });
  }
  const fh = await open(path, 'r');
  const head = new Uint8Array(64);
  try {
    await fh.read(head, 0, 64, 0);
  } finally {
    await fh.close();
  }
  if (size < 48 || SIGNATURE.some((b, i) => head[i] !== b)) {
    throw new ChromflowError('PARSE', 'the file is not HDF5, so it cannot be a .cool file', {
      path,
      expected: 'the HDF5 signature \\x89HDF\\r\\n\\x1a\\n at byte 0',
      found:
        size < 8
          ? `${size} bytes`
          : `bytes ${Array.from(head.slice(0, 8), (b) => b.toString(16)).join(' ')}`,
    });
  }
  const view = new DataView(head.buffer);
  const version = head[8]!;
  const offsetSize = version <= 1 ? head[13]! : head[9]!;
  if (offsetSize !== 8) return; // uncommon layouts: leave the check to HDF5
  const eofAt = version === 0 ? 40 : version === 1 ? 44 : 28;
  const baseAt = version === 0 ? 24 : version === 1 ? 28 : 12;
  const eof = Number(view.getBigUint64(eofAt, true)) + Number(view.getBigUint64(baseAt, true));
  if (eof > size) {
    throw new ChromflowError('IO', 'the HDF5 file is truncated', {
      path,
      expected: `${eof} bytes (the end of file recorded in its superblock)`,
      found: `${size} bytes`,
      hint: 'the download or copy was cut short; fetch the file again',
    });
  }
}

/** Opens an HDF5 file read-only with h5wasm after checking its header. */
export async function openHdf5ReadOnly(path: string): Promise<H5File> {
  await checkHdf5Header(path);
  await h5wasm.ready;
  try {
    return new h5wasm.File(path, 'r');
  } catch (e) {
    throw new ChromflowError('IO', 'HDF5 cannot open the file', { path, cause: e });
  }
}
