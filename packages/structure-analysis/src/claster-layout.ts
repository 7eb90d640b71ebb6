import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChromflowError, writeFileAtomic } from '@chromflow/core';
import { CLASTER_LANDSCAPE, CLASTER_TARGET } from './claster-tracks.js';
import { encodeNpy, parseNpy } from './npy.js';

/**
 * CLASTER's published data layout (RasmussenLab/CLASTER): a folder of
 * per-gene landscape arrays `<gene>_forward.npy` and `<gene>_rev.npy`, each
 * float (4, 10001) = ATAC, H3K4me3, H3K27ac, H3K27me3 in 100 bp bins (the
 * `_rev` file is the augmentation copy), and a targets CSV whose first column
 * is the sample id and whose bin columns are `-200_ctrl` … `200_ctrl`
 * (401 × 1 kbp of EU-seq).
 */
export const CLASTER_TRACKS = ['ATAC', 'H3K4me3', 'H3K27ac', 'H3K27me3'] as const;

/** The 401 target column names, `-200_ctrl` … `200_ctrl`. */
export const CLASTER_TARGET_COLUMNS: string[] = Array.from(
  { length: CLASTER_TARGET.nBins },
  (_, k) => `${k - (CLASTER_TARGET.nBins - 1) / 2}_ctrl`,
);

export interface ClasterLandscapeFile {
  /** Sample id as in the file name, e.g. `Sox2`. */
  gene: string;
  orientation: 'forward' | 'rev';
  /** Row-major (nTracks, nBins) float32. */
  values: Float32Array;
  nTracks: number;
  nBins: number;
}

/** Reads every `<gene>_forward|_rev.npy` in a folder, checking shape (4, 10001) unless told otherwise. */
export async function readClasterLandscapes(
  dir: string,
  expected: { nTracks: number; nBins: number } = { nTracks: 4, nBins: CLASTER_LANDSCAPE.nBins },
): Promise<ClasterLandscapeFile[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.npy')).sort();
  const out: ClasterLandscapeFile[] = [];
  for (const f of names) {
    const m = /^(.+)_(forward|rev)\.npy$/.exec(f);
    const path = join(dir, f);
    if (!m) {
      throw new ChromflowError('VALUE', 'a landscape array is not named as CLASTER names them', {
        path,
        expected: '<gene>_forward.npy or <gene>_rev.npy',
        found: f,
      });
    }
    const a = parseNpy(await readFile(path), path);
    if (a.shape.length !== 2 || a.shape[0] !== expected.nTracks || a.shape[1] !== expected.nBins) {
      throw new ChromflowError('SCHEMA', 'a landscape array has the wrong shape', {
        path,
        field: 'shape',
        expected: `(${expected.nTracks}, ${expected.nBins})`,
        found: `(${a.shape.join(', ')})`,
      });
    }
    out.push({
      gene: m[1]!,
      orientation: m[2] as 'forward' | 'rev',
      values: a.data instanceof Float32Array ? a.data : Float32Array.from(a.data),
      nTracks: expected.nTracks,
      nBins: expected.nBins,
    });
  }
  return out;
}

/** Writes one landscape as `<dir>/<gene>_<orientation>.npy` (float32, C order, npy v1.0). */
export async function writeClasterLandscape(dir: string, a: ClasterLandscapeFile): Promise<string> {
  const path = join(dir, `${a.gene}_${a.orientation}.npy`);
  await writeFileAtomic(path, encodeNpy(a.values, [a.nTracks, a.nBins]));
  return path;
}

export interface ClasterTargets {
  /** Name of the id column (the CSV's first column). */
  idColumn: string;
  ids: string[];
  /** Row-major (ids.length, 401) float64. */
  values: Float64Array;
}

/** Parses a CLASTER targets CSV; a SCHEMA error names the first wrong or missing bin column. */
export function parseClasterTargets(text: string, path = '<text>'): ClasterTargets {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split(',');
  const idColumn = header[0] ?? '';
  const bins = header.slice(1).filter((c) => c.endsWith('_ctrl'));
  const firstWrong = CLASTER_TARGET_COLUMNS.findIndex((c, k) => bins[k] !== c);
  if (firstWrong >= 0 || bins.length !== CLASTER_TARGET_COLUMNS.length) {
    throw new ChromflowError('SCHEMA', 'the targets CSV does not have CLASTER’s bin columns', {
      path,
      line: 1,
      field: firstWrong >= 0 ? CLASTER_TARGET_COLUMNS[firstWrong] : 'columns',
      expected: `401 columns -200_ctrl … 200_ctrl in order`,
      found:
        firstWrong >= 0
          ? `${bins[firstWrong] ?? 'nothing'} at bin ${firstWrong} (${bins.length} *_ctrl columns)`
          : `${bins.length} *_ctrl columns`,
    });
  }
  const colIx = CLASTER_TARGET_COLUMNS.map((c) => header.indexOf(c));
  const ids: string[] = [];
  const values = new Float64Array((lines.length - 1) * colIx.length);
  for (let r = 1; r < lines.length; r++) {
    const f = lines[r]!.split(',');
    if (f.length !== header.length) {
      throw new ChromflowError('PARSE', 'a targets row has the wrong number of fields', {
        path,
        line: r + 1,
        expected: `${header.length}`,
        found: `${f.length}`,
      });
    }
    ids.push(f[0]!);
    colIx.forEach((c, k) => {
      const v = Number(f[c]);
      if (f[c] === '' || (Number.isNaN(v) && f[c] !== 'nan')) {
        throw new ChromflowError('PARSE', 'a target value is not a number', {
          path,
          line: r + 1,
          field: CLASTER_TARGET_COLUMNS[k],
          found: `'${f[c]}'`,
        });
      }
      values[(r - 1) * colIx.length + k] = v;
    });
  }
  return { idColumn, ids, values };
}

/** Reads a CLASTER targets CSV file (see {@link parseClasterTargets}). */
export async function readClasterTargets(path: string): Promise<ClasterTargets> {
  return parseClasterTargets(await readFile(path, 'utf8'), path);
}

/** Writes targets in CLASTER's CSV layout (id column then `-200_ctrl` … `200_ctrl`). */
export async function writeClasterTargets(path: string, t: ClasterTargets): Promise<void> {
  const n = CLASTER_TARGET_COLUMNS.length;
  const rows = [[t.idColumn, ...CLASTER_TARGET_COLUMNS].join(',')];
  t.ids.forEach((id, r) => {
    rows.push([id, ...Array.from(t.values.subarray(r * n, (r + 1) * n), String)].join(','));
  });
  await writeFileAtomic(path, rows.join('\n') + '\n');
}
