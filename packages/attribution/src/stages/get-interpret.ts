import type { Table } from 'apache-arrow';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ChromflowError,
  defineStage,
  readTable,
  writeFileAtomic,
  writeTable,
} from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import {
  int32sOf,
  readMotifClusters,
  readMotifs,
  readTextLines,
  stringsOf,
} from '@chromflow/genome-io';
import { writeH5ad } from '@chromflow/cell-embedding';
import {
  getTableInputs,
  labelGenes,
  loadGetModel,
  mergeGetLora,
  readGetStageData,
} from '@chromflow/models';
import { geneFocuses, requireExpressionGet, type StrandRule } from '../get-jacobian.js';
import { getGeneMotif, type RegionReduce } from '../gene-motif.js';
import { directLingam } from '../direct-lingam.js';
import {
  clusterTfGenes,
  groupExpression,
  interactionTfs,
  interactionTfsToTable,
  motifsAsClusters,
  motifTfAnnotationFromText,
  tfStructuresFromTable,
} from '../tf-structures.js';
import {
  motifCorrelation,
  motifInteractionsToTable,
  topInteractions,
} from '../motif-interactions.js';
import {
  geneMotifToAnnData,
  geneMotifColumns,
  lingamToTable,
  geneMotifToTable,
  regionImportanceBedGraph,
  regionImportanceToTable,
  type TypedGeneMotif,
} from '../get-interpret-tables.js';

// A type alias (not an interface), so it fits `Stage<Record<string, unknown>>` in all.ts.
export type GetInterpretParams = {
  cellTypes: string[];
  genes: string[];
  motifs: string[];
  strand: StrandRule;
  reduce: RegionReduce;
  batchSize: number;
  interactionFraction: number;
  lingamMaxVariables: number;
};

const STAGE = 'attribution.get-interpret';

export const getInterpretStage = defineStage<GetInterpretParams>({
  name: STAGE,
  version: '4',
  description:
    "GET interpretation (shared/notes/get-reference.md): per cell type and gene, the Jacobian of the predicted expression at the gene's TSS region(s) and strand (window centred on the TSS) with respect to the region × (motif clusters, accessibility) input and to each region's embedding; gene × motif = input × gradient summed (or averaged) over the window's regions; region importance = ℓ2 norm of the embedding gradient per region ÷ the gene's max.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      cellTypes: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description: 'cell types (default: all in the inputs)',
      },
      genes: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description: 'genes (default: every gene with a TSS region in a window)',
      },
      motifs: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description:
          "motif clusters (or 'accessibility') written to the outputs (default: all the model reads)",
      },
      strand: {
        type: 'string',
        enum: ['gene', 'both'],
        default: 'gene',
        description:
          "outputs explained: 'gene' = the gene's strand at its TSS region(s) (GET), 'both' = both strands there (averaged)",
      },
      reduce: {
        type: 'string',
        enum: ['sum', 'mean'],
        default: 'sum',
        description: 'input × gradient pooled over the window regions by sum (default) or mean',
      },
      batchSize: {
        type: 'integer',
        minimum: 1,
        default: 16,
        description: 'genes per backward pass',
      },
      interactionFraction: {
        type: 'number',
        exclusiveMinimum: 0,
        maximum: 1,
        default: 0.05,
        description: 'motif–motif interactions kept: the top fraction by |r| (GET: 5 %)',
      },
      lingamMaxVariables: {
        type: 'integer',
        minimum: 2,
        default: 30,
        description:
          'DirectLiNGAM on the pooled gene × motif matrix analyses at most this many motifs (the highest-variance ones; its cost grows as p³)',
      },
    },
  },
  inputs: {
    ...getTableInputs,
    checkpoint: {
      kind: 'directory',
      type: 'get-checkpoint',
      description: 'models.get-finetune checkpoint (expression; LoRA adapters are merged)',
    },
    expression: {
      kind: 'table',
      type: 'gene-expression',
      optional: true,
      description:
        'pseudobulk expression per cell type (cell-embedding.pseudobulk-expression): with motif-clusters, the TFs of each interaction',
    },
    'motif-clusters': {
      kind: 'file',
      type: 'motif-clusters',
      optional: true,
      description: 'motif → cluster table whose cluster labels are the features columns',
    },
    motifs: {
      kind: 'file',
      type: 'motifs',
      optional: true,
      description:
        'the MEME/JASPAR file the features were scanned with: TF symbols from its alt names (FOS::JUN → FOS, JUN); without motif-clusters each motif is its own cluster (motif-scan without a cluster table)',
    },
    'motif-annotation': {
      kind: 'file',
      type: 'motif-annotation',
      optional: true,
      description: 'motif → TF symbol TSV (HOCOMOCO / Jolma annotation); else TFs from motif names',
    },
    'tf-domains': {
      kind: 'table',
      type: 'plddt-domains',
      optional: true,
      description:
        'structure-analysis.plddt-domains of TF structures, protein = TF symbol: pLDDT domains and DBD call joined to interaction-tfs',
    },
  },
  outputs: {
    'gene-motif': {
      kind: 'table',
      type: 'get-gene-motif',
      description: 'long gene × motif: gene, cell_type, motif, score',
    },
    h5ad: {
      kind: 'file',
      type: 'h5ad',
      extension: '.h5ad',
      description: 'obs = (cell type, gene), var = motif clusters, X = gene × motif scores',
    },
    'region-importance': {
      kind: 'table',
      type: 'get-region-importance',
      description: 'cell_type, gene, position, row, chrom, start, end, importance',
    },
    interactions: {
      kind: 'table',
      type: 'motif-interactions',
      description:
        'top |r| motif pairs per cell type and pooled: group, motif_a, motif_b, r, abs_r, rank',
    },
    lingam: {
      kind: 'table',
      type: 'get-lingam',
      description:
        'DirectLiNGAM on the pooled gene × motif matrix: group, effect, cause, weight, effect_order, cause_order',
    },
    'interaction-tfs': {
      kind: 'table',
      type: 'interaction-tfs',
      description:
        "per cell type's interactions, the 2 most expressed TFs of each motif's cluster, with their pLDDT domains where tf-domains has them (empty without expression, or without both motif-clusters and motifs)",
    },
    tracks: {
      kind: 'directory',
      type: 'bedgraph',
      description: '<cell type>.bedGraph: per region the max importance over genes',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    const d = await readGetStageData(ctx.inputs, STAGE);
    const a = d.arrays;
    const ckPath = ctx.inputs['checkpoint'];
    if (!ckPath)
      throw new ChromflowError('STAGE', "input 'checkpoint' is not wired", {
        stage: STAGE,
        field: 'checkpoint',
      });
    const loaded = await loadGetModel(ckPath);
    const model = loaded.model.config.lora ? mergeGetLora(loaded.model) : loaded.model;
    if (model !== loaded.model) loaded.model.dispose();
    try {
      requireExpressionGet(model, a, join(ckPath, 'model.json'));
      const trained = loaded.manifest.clusters;
      if (trained.join('\0') !== a.clusters.join('\0')) {
        const i = trained.findIndex((c, k) => c !== a.clusters[k]);
        throw new ChromflowError('SCHEMA', 'the checkpoint was trained on other motif clusters', {
          path: join(ckPath, 'model.json'),
          field: 'clusters',
          expected: `the inputs' clusters (column ${i}: '${a.clusters[i]}')`,
          found: `'${trained[i]}'`,
        });
      }
      const features = [...a.clusters, 'accessibility'];
      const keep =
        p.motifs.length === 0
          ? features.map((_, i) => i)
          : p.motifs.map((m) => {
              const i = features.indexOf(m);
              if (i < 0)
                throw new ChromflowError(
                  'PARAM',
                  `motif cluster '${m}' is not among the model's inputs`,
                  {
                    field: 'motifs',
                    expected: `one of ${features.join(', ')}`,
                    found: m,
                  },
                );
              return i;
            });
      const types =
        p.cellTypes.length === 0
          ? a.cellTypes.map((_, i) => i)
          : p.cellTypes.map((t) => {
              const i = a.cellTypes.indexOf(t);
              if (i < 0)
                throw new ChromflowError('PARAM', `cell type '${t}' is not in the GET inputs`, {
                  field: 'cellTypes',
                  expected: a.cellTypes.join(', '),
                  found: t,
                });
              return i;
            });
      let genesByPair = labelGenes(d.labels, a.nRegions);
      if (p.genes.length === 0) {
        // Default: genes whose TSS lies in a window (those on too-short chromosomes have none).
        const windowed = new Uint8Array(a.nRegions);
        for (const f of a.windowFirsts) windowed.fill(1, f, f + a.windowSize);
        genesByPair = genesByPair.map((g, j) => (windowed[j >> 1] ? g : ''));
      }
      const focuses = geneFocuses(a, d.chroms, genesByPair, { genes: p.genes, strand: p.strand });
      ctx.log.info(
        `${focuses.length} genes × ${types.length} cell types, window ${a.windowSize}, on ${backend.name}`,
      );
      const parts: TypedGeneMotif[] = [];
      const t0 = performance.now();
      for (const [k, t] of types.entries()) {
        parts.push({
          cellType: a.cellTypes[t]!,
          matrix: getGeneMotif(model, a, t, focuses, {
            batchSize: p.batchSize,
            reduce: p.reduce,
            signal: ctx.signal,
            onProgress: (done, total = focuses.length) =>
              ctx.onProgress(k * total + done, types.length * total),
          }),
        });
      }
      const seconds = (performance.now() - t0) / 1000;
      const featPath = ctx.inputs['features']!;
      const featTable = await readTable(featPath);
      const coords = {
        chroms: stringsOf(featTable, 'chrom', featPath),
        starts: int32sOf(featTable, 'start', featPath),
        ends: int32sOf(featTable, 'end', featPath),
      };
      await writeTable(ctx.outputs['gene-motif'] as string, geneMotifToTable(parts, keep));
      await writeTable(
        ctx.outputs['region-importance'] as string,
        regionImportanceToTable(parts, coords),
      );
      await writeH5ad(
        ctx.outputs.h5ad as string,
        geneMotifToAnnData(parts, keep, {
          get_interpret_reduce: p.reduce,
          get_interpret_strand: p.strand,
        }),
      );
      // Motif–motif interactions: Pearson of motif columns across genes (accessibility is no motif),
      // per cell type and pooled (all types' genes stacked); LiNGAM on the pooled matrix (GET's
      // cell-type-agnostic setting).
      const motifCols = keep.filter((f) => f < a.clusters.length);
      const names = motifCols.map((f) => features[f]!);
      const pooled = geneMotifColumns(parts, motifCols);
      const nPooled = parts.length * focuses.length;
      const groups = parts.map((part) => ({
        group: part.cellType,
        values: geneMotifColumns([part], motifCols),
        n: focuses.length,
      }));
      if (parts.length > 1) groups.push({ group: 'pooled', values: pooled, n: nPooled });
      await writeTable(
        ctx.outputs.interactions as string,
        motifInteractionsToTable(
          groups.map((g) => ({
            group: g.group,
            interactions: topInteractions(
              motifCorrelation(g.values, g.n, names.length),
              names,
              p.interactionFraction,
            ),
          })),
        ),
      );
      await writeTable(
        ctx.outputs['interaction-tfs'] as string,
        await interactionTfTable(ctx.inputs, groups, names, p.interactionFraction, ctx.log),
      );
      const lingam = directLingam(pooled, nPooled, names.length, {
        maxVariables: p.lingamMaxVariables,
        signal: ctx.signal,
      });
      await writeTable(ctx.outputs.lingam as string, lingamToTable('pooled', names, lingam));
      const dir = ctx.outputs.tracks as string;
      await mkdir(dir, { recursive: true });
      for (const part of parts) {
        await writeFileAtomic(
          join(dir, `${part.cellType.replace(/[^A-Za-z0-9._-]/g, '_')}.bedGraph`),
          regionImportanceBedGraph(part, coords, `GET region importance ${part.cellType}`),
        );
      }
      ctx.log.info(
        `${((focuses.length * types.length) / Math.max(seconds, 1e-9)).toFixed(1)} Jacobians/s`,
      );
      return { backend: backend.name, metrics: { genes: focuses.length, cellTypes: types.length } };
    } finally {
      model.dispose();
    }
  },
});

/**
 * GET's TF step: for each cell type's kept interactions, the two most
 * expressed TFs of each motif's cluster in that type (tf-structures.ts),
 * joined to the structures of `tf-domains` where given. Clusters come from
 * `motif-clusters`, else one per motif of `motifs`; an empty table where
 * expression or both of those are not wired.
 */
async function interactionTfTable(
  inputs: Record<string, string | undefined>,
  groups: readonly { group: string; values: Float64Array; n: number }[],
  names: readonly string[],
  fraction: number,
  log: { info: (m: string) => void },
): Promise<Table> {
  const exprPath = inputs['expression'];
  const clustersPath = inputs['motif-clusters'];
  const motifsPath = inputs['motifs'];
  if (!exprPath || (!clustersPath && !motifsPath)) {
    log.info(
      'interaction TFs: expression, or motif-clusters and motifs, not wired; table left empty',
    );
    return interactionTfsToTable('', []);
  }
  const annPath = inputs['motif-annotation'];
  const annotation = annPath
    ? motifTfAnnotationFromText((await readLines(annPath)).join('\n'), annPath)
    : undefined;
  const motifs = motifsPath ? (await readMotifs(motifsPath)).motifs : undefined;
  const table = clustersPath ? await readMotifClusters(clustersPath) : motifsAsClusters(motifs!);
  const tfs = clusterTfGenes(table, { annotation, motifs });
  const unknown = names.filter((n) => !tfs.has(n));
  if (unknown.length === names.length)
    throw new ChromflowError('VALUE', 'no motif column of the model is a cluster of the TF table', {
      path: clustersPath ?? motifsPath,
      field: clustersPath ? 'motif-clusters' : 'motifs',
      expected: `clusters such as ${names.slice(0, 3).join(', ')}`,
      found: [...tfs.keys()].slice(0, 3).join(', '),
    });
  if (unknown.length > 0) log.info(`interaction TFs: no TF table entry for ${unknown.join(', ')}`);
  const domainsPath = inputs['tf-domains'];
  const structures = domainsPath
    ? tfStructuresFromTable(await readTable(domainsPath), domainsPath)
    : undefined;
  const expression = await readTable(exprPath);
  const parts = groups
    .filter((g) => g.group !== 'pooled')
    .map((g) => {
      const kept = topInteractions(motifCorrelation(g.values, g.n, names.length), names, fraction);
      const r = interactionTfs(kept, tfs, groupExpression(expression, g.group), { structures });
      if (r.missing.length > 0)
        log.info(`interaction TFs in ${g.group}: no expressed TF for ${r.missing.join(', ')}`);
      return interactionTfsToTable(g.group, r.rows);
    });
  return parts.length === 1 ? parts[0]! : parts.reduce((a, b) => a.concat(b));
}

async function readLines(path: string): Promise<string[]> {
  const out: string[] = [];
  for await (const line of readTextLines(path)) out.push(line);
  return out;
}
