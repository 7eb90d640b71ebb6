import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChromflowError, hashFile, readTable, requireColumns } from '@chromflow/core';
import { parseNpy } from '@chromflow/structure-analysis';
import type { ClasterArrays } from './batches.js';
import type { ClasterGenePlacement } from './predict.js';

/** One sample row of the `claster-samples` table (row i = index i of the arrays). */
export interface ClasterSampleRow extends ClasterGenePlacement {
  split: string;
}

/** What the CLASTER stages read: the `structure-analysis.claster-inputs` table and arrays. */
export interface ClasterStageData {
  rows: ClasterSampleRow[];
  arrays: ClasterArrays;
  tracks: string[];
  hashes: Record<string, string>;
}

export const clasterSampleInputs = {
  samples: {
    kind: 'table',
    type: 'claster-samples',
    description: 'one row per gene (structure-analysis.claster-inputs)',
  },
  arrays: {
    kind: 'directory',
    type: 'claster-arrays',
    description:
      'landscape.npy, targets.npy, contacts.npy, arrays.json (structure-analysis.claster-inputs)',
  },
} as const;

async function npyFloat32(path: string, shape: number[]): Promise<Float32Array> {
  const a = parseNpy(new Uint8Array(await readFile(path)), path);
  if (a.shape.join() !== shape.join()) {
    throw new ChromflowError('SCHEMA', 'array of an unexpected shape', {
      path,
      field: 'shape',
      expected: `(${shape.join(', ')})`,
      found: `(${a.shape.join(', ')})`,
    });
  }
  return a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
}

/** Reads the samples table and its arrays, checking they agree; `needTargets` for training. */
export async function readClasterStageData(
  inputs: Record<string, string | undefined>,
  stage: string,
  needTargets: boolean,
): Promise<ClasterStageData> {
  const path = (port: string): string => {
    const v = inputs[port];
    if (!v)
      throw new ChromflowError('STAGE', `input '${port}' is not wired`, { stage, field: port });
    return v;
  };
  const samplesPath = path('samples');
  const dir = path('arrays');
  const table = await readTable(samplesPath);
  requireColumns(table, ['gene', 'chromosome', 'strand', 'tss', 'split'], samplesPath);
  const col = (k: string): unknown[] =>
    Array.from(table.getChild(k)!.toArray() as ArrayLike<unknown>);
  const [gene, chrom, strand, tss, split] = ['gene', 'chromosome', 'strand', 'tss', 'split'].map(
    col,
  );
  const rows: ClasterSampleRow[] = gene!.map((g, i) => ({
    gene: String(g),
    chromosome: String(chrom![i]),
    strand: String(strand![i]),
    tss: Number(tss![i]),
    split: String(split![i]),
  }));
  const metaPath = join(dir, 'arrays.json');
  const meta = JSON.parse(await readFile(metaPath, 'utf8')) as {
    format?: string;
    genes: number;
    tracks: string[];
    landscape: { shape: [number, number, number] };
    targets?: { shape: [number, number] };
    contacts?: { shape: [number, number, number] };
  };
  if (meta.format !== 'chromflow-claster-arrays' || meta.genes !== rows.length) {
    throw new ChromflowError('SCHEMA', 'the arrays do not belong to the samples table', {
      path: metaPath,
      field: 'genes',
      expected: `format chromflow-claster-arrays with ${rows.length} genes (${samplesPath})`,
      found: `${meta.format} with ${meta.genes} genes`,
    });
  }
  const [n, nTracks, nBins] = meta.landscape.shape;
  const arrays: ClasterArrays = {
    landscape: await npyFloat32(join(dir, 'landscape.npy'), [n, nTracks, nBins]),
    nTracks,
    nBins,
    targets: meta.targets
      ? await npyFloat32(join(dir, 'targets.npy'), meta.targets.shape)
      : undefined,
  };
  if (needTargets && !arrays.targets) {
    throw new ChromflowError('SCHEMA', 'the samples carry no targets to train on', {
      path: metaPath,
      field: 'targets',
      expected: 'targets.npy (wire a nascent-transcription track into claster-inputs)',
      found: 'absent',
    });
  }
  if (meta.contacts) {
    arrays.contacts = await npyFloat32(join(dir, 'contacts.npy'), meta.contacts.shape);
    arrays.contactRows = meta.contacts.shape[1];
    arrays.contactCols = meta.contacts.shape[2];
  }
  return {
    rows,
    arrays,
    tracks: meta.tracks,
    hashes: {
      samples: await hashFile(samplesPath),
      landscape: await hashFile(join(dir, 'landscape.npy')),
    },
  };
}

/** Row indices of a split. */
export function splitIndices(rows: ClasterSampleRow[], split: string): Int32Array {
  return Int32Array.from(rows.flatMap((r, i) => (r.split === split ? [i] : [])));
}
