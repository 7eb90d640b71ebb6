import { join } from 'node:path';
import { ChromflowError, defineStage, readTable, writeTable } from '@chromflow/core';
import {
  backgroundFromCodes,
  motifHitsToTable,
  readClusterNames,
  readMotifClusters,
  readMotifs,
  regionMotifToTable,
  sequenceCodesFromTable,
} from '@chromflow/genome-io';
import { makeGetMotifFeatures } from '../get/motif-features.js';
import type { MotifSources } from '../get/motif-features.js';

export interface GetMotifFeaturesParams {
  motifFiles: string[];
  pValue: number;
  scaler: number;
  background: 'uniform' | 'sequences';
  allowAbsentMotifs: string;
  threads: number;
}

/** Schema-metadata key of the region-motif table: GET's name per column ('' where unmatched), JSON. */
export const GET_NAMES_KEY = 'chromflow.get.cluster-names';
/** Schema-metadata key of the region-motif table: the cluster table's id per column, JSON. */
export const CLUSTER_IDS_KEY = 'chromflow.get.cluster-ids';

/** `models.get-motif-features`: GET's region × motif-cluster features from one or several motif files and a cluster table. */
export const getMotifFeatures = defineStage<GetMotifFeaturesParams>({
  name: 'models.get-motif-features',
  version: '1',
  description:
    "GET's motif features: scans region sequences with every motif of the given files (genome-io's FIMO-exact scanner), sums hit scores per (region, cluster) in numeric cluster order, divides each column by max × scaler and caps at 1; columns take GET's archetype name where the cluster table decides it (else the cluster id). A cluster table naming motifs absent from the files is an error.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      motifFiles: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description:
          'files inside the motif-folder input to read (Vierstra v1.0: the renamed JASPAR 2018 file, HOCOMOCO v11 human and the six jolma2013 tables)',
      },
      pValue: {
        type: 'number',
        exclusiveMinimum: 0,
        maximum: 1,
        default: 1e-4,
        description: 'keep hits with p ≤ this',
      },
      scaler: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 1,
        description: "divide each column by its maximum × this (GET's scaler)",
      },
      background: {
        type: 'string',
        enum: ['uniform', 'sequences'],
        default: 'uniform',
        description: 'background base frequencies for log-odds and p-values',
      },
      allowAbsentMotifs: {
        type: 'string',
        default: '',
        description:
          "regular expression: cluster-table motifs matching it may be absent from the motif files (Vierstra v1.0 with human HOCOMOCO only: '_MOUSE\\\\.H11MO')",
      },
      threads: {
        type: 'integer',
        minimum: 1,
        maximum: 64,
        default: 2,
        description: 'scan worker threads',
      },
    },
  },
  inputs: {
    sequences: {
      kind: 'table',
      type: 'sequence-codes',
      description: 'region sequences (genome-io.peak-windows)',
    },
    motifs: {
      kind: 'file',
      type: 'motifs',
      description: 'a MEME or JASPAR motif file',
      optional: true,
    },
    'motif-folder': {
      kind: 'directory',
      type: 'motif-folder',
      description: 'a folder of motif files, read as listed in motifFiles',
      optional: true,
    },
    clusters: {
      kind: 'file',
      type: 'motif-clusters',
      description: 'motif → cluster table (Vierstra clusters.0.70.txt layout)',
    },
    'cluster-names': {
      kind: 'file',
      type: 'cluster-names',
      description: "GET's cluster names, one per line (get_model_human_motif_cluster_id.txt)",
      optional: true,
    },
  },
  outputs: {
    hits: {
      kind: 'table',
      type: 'motif-hits',
      description: 'every hit: region, motif, start, end, strand, score, p_value',
    },
    region_motif: {
      kind: 'table',
      type: 'region-motif',
      description: 'region × cluster, max-normalised, capped at 1',
    },
  },
  resources: { cpu: 2, memoryGb: 2 },
  async run(ctx) {
    const p = ctx.params;
    const files: string[] = [];
    if (ctx.inputs['motifs']) files.push(ctx.inputs['motifs']);
    const folder = ctx.inputs['motif-folder'];
    if (folder) files.push(...p.motifFiles.map((f) => join(folder, f)));
    else if (p.motifFiles.length > 0)
      throw new ChromflowError('PARAM', 'motifFiles needs the motif-folder input', {
        field: 'motifFiles',
      });
    if (files.length === 0) {
      throw new ChromflowError(
        'PARAM',
        'no motif file: wire motifs, or motif-folder with motifFiles',
        {
          field: 'motifFiles',
        },
      );
    }
    const sources: MotifSources = { motifs: [], files: [] };
    for (const f of files) {
      const set = await readMotifs(f, { signal: ctx.signal });
      sources.motifs.push(...set.motifs);
      sources.files.push(...set.motifs.map(() => f));
    }
    const seqPath = ctx.inputs['sequences']!;
    const seqs = sequenceCodesFromTable(await readTable(seqPath), seqPath);
    const batch = { codes: seqs.codes, offsets: seqs.offsets };
    const clustersPath = ctx.inputs['clusters']!;
    const namesPath = ctx.inputs['cluster-names'];
    const t0 = performance.now();
    const f = await makeGetMotifFeatures(batch, sources, await readMotifClusters(clustersPath), {
      pValue: p.pValue,
      scaler: p.scaler,
      background: p.background === 'sequences' ? backgroundFromCodes(batch.codes) : undefined,
      allowAbsent: p.allowAbsentMotifs ? new RegExp(p.allowAbsentMotifs) : undefined,
      getNames: namesPath ? await readClusterNames(namesPath) : undefined,
      threads: p.threads,
      clustersPath,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    });
    const seconds = (performance.now() - t0) / 1000;
    const regionMotif = regionMotifToTable(f.matrix, seqs.names);
    regionMotif.schema.metadata.set(GET_NAMES_KEY, JSON.stringify(f.getNames));
    regionMotif.schema.metadata.set(CLUSTER_IDS_KEY, JSON.stringify(f.clusterIds));
    const hits = motifHitsToTable(
      f.hits,
      sources.motifs.map((m) => m.id),
    );
    await writeTable(ctx.outputs['hits']!, hits);
    await writeTable(ctx.outputs['region_motif']!, regionMotif);
    const named = f.getNames.filter((n) => n !== '').length;
    ctx.log.info(
      `${seqs.names.length} regions × ${sources.motifs.length} motifs → ${f.clusterIds.length} clusters (${named} with GET's name) in ${seconds.toFixed(2)} s`,
    );
    return {
      metrics: {
        regions: seqs.names.length,
        motifs: sources.motifs.length,
        clusters: f.clusterIds.length,
        getNamed: named,
        hits: f.hits.count,
        regionMotifsPerSecond: Math.round((seqs.names.length * sources.motifs.length) / seconds),
      },
    };
  },
});
