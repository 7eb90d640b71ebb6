import { ChromflowError } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';
import {
  clusterOrderFromTable,
  makeMotifScanner,
  makeRegionMotifMatrix,
  motifClusterColumns,
  motifClusterKeys,
  scanMotifs,
} from '@chromflow/genome-io';
import type {
  Motif,
  MotifClusterTable,
  MotifHits,
  RegionMotifMatrix,
  SequenceBatch,
} from '@chromflow/genome-io';
import { matchGetClusterNames } from './cluster-names.js';

/**
 * GET's motif features on genome-io's FIMO-exact scanner: scan every motif of
 * one or more motif files, sum hit scores per (region, cluster) in numeric
 * cluster order, divide each column by its maximum × `scaler`, cap at 1.
 */

/** Motifs read from several files, each remembering its file (for errors). */
export interface MotifSources {
  motifs: Motif[];
  /** File of each motif. */
  files: string[];
}

export interface GetMotifFeatureOptions extends LongRunOptions {
  pValue?: number;
  /** Divide by max × scaler (GET's `scaler`, default 1); values still cap at 1. */
  scaler?: number;
  /** Table motifs matching this regular expression may be absent from the motif files. */
  allowAbsent?: RegExp;
  /** GET's cluster names (e.g. `get_model_human_motif_cluster_id.txt`) to label matched columns. */
  getNames?: readonly string[];
  background?: ArrayLike<number>;
  threads?: number;
  /** Named in errors: the cluster table file. */
  clustersPath?: string;
}

export interface GetMotifFeatures {
  matrix: RegionMotifMatrix;
  hits: MotifHits;
  /** The table's cluster label of each column (numeric ids for Vierstra). */
  clusterIds: string[];
  /** GET's name of each column where one was matched, else ''. */
  getNames: string[];
}

/**
 * Table motifs that no motif file holds (matched as `motifClusterColumns`
 * matches: id, alt name, `<alt>_<id>`, or a JASPAR matrix-id suffix).
 */
export function motifsAbsentFromFiles(
  table: MotifClusterTable,
  motifs: readonly Motif[],
): string[] {
  const keys = new Set<string>();
  for (const m of motifs) for (const k of motifClusterKeys(m)) keys.add(k);
  return table.motifs.filter((name) => {
    if (keys.has(name)) return false;
    const id = /_(MA\d+\.\d+)$/.exec(name);
    return !(id && keys.has(id[1]!));
  });
}

/**
 * Throws when the cluster table names motifs that none of the motif files
 * holds (a wrong or partial motif file would silently empty clusters),
 * except those `allowAbsent` matches.
 */
export function checkClusterTableMotifs(
  table: MotifClusterTable,
  sources: MotifSources,
  options: { allowAbsent?: RegExp; clustersPath?: string } = {},
): void {
  const absent = motifsAbsentFromFiles(table, sources.motifs).filter(
    (m) => !options.allowAbsent?.test(m),
  );
  if (absent.length > 0) {
    throw new ChromflowError(
      'VALUE',
      `the cluster table names ${absent.length} motif(s) absent from the motif file(s)`,
      {
        path: options.clustersPath,
        field: 'motifs',
        expected: `motifs of ${[...new Set(sources.files)].join(', ')}`,
        found: absent.slice(0, 5).join(', ') + (absent.length > 5 ? ', …' : ''),
        hint: 'add the missing motif file, or allow the absent motifs by pattern (allowAbsentMotifs)',
      },
    );
  }
}

/** Scans `sequences` and builds the region × cluster matrix (see the module comment). */
export async function makeGetMotifFeatures(
  sequences: SequenceBatch,
  sources: MotifSources,
  table: MotifClusterTable,
  options: GetMotifFeatureOptions = {},
): Promise<GetMotifFeatures> {
  checkClusterTableMotifs(table, sources, options);
  const scaler = options.scaler ?? 1;
  if (!(scaler > 0)) {
    throw new ChromflowError('PARAM', 'the scaler must be positive', {
      field: 'scaler',
      found: String(scaler),
    });
  }
  const clusterIds = clusterOrderFromTable(table, 'numeric');
  const columns = motifClusterColumns(sources.motifs, table, clusterIds);
  const scanner = makeMotifScanner(sources.motifs, {
    pValue: options.pValue ?? 1e-4,
    background: options.background,
  });
  const hits = await scanMotifs(scanner, sequences, {
    threads: options.threads,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  const names = options.getNames
    ? matchGetClusterNames(table, options.getNames, sources.motifs)
    : new Map<string, string>();
  const getNames = clusterIds.map((c) => names.get(c) ?? '');
  const labels = clusterIds.map((c, i) => getNames[i] || c);
  let matrix = makeRegionMotifMatrix(hits, sequences.offsets.length - 1, columns, labels);
  if (scaler !== 1) {
    const columnMax = Array.from(matrix.columnMax, (m) => m * scaler);
    matrix = makeRegionMotifMatrix(hits, sequences.offsets.length - 1, columns, labels, {
      columnMax,
    });
  }
  return { matrix, hits, clusterIds, getNames };
}
