import { ChromflowError, defineStage, readTable, writeTable } from '@chromflow/core';
import { readCellLabels } from '@chromflow/cell-embedding';
import { regionMotifFromTable, regionsFromTable, stringsOf } from '@chromflow/genome-io';
import { accessibilityFromPredictions, accessibilityFromPseudobulk } from '../get/accessibility.js';
import type { AccessibilityColumns } from '../get/accessibility.js';
import { geneTssExpressionFromTable, makeGetInputs } from '../get/inputs.js';
import { getFeaturesToTable, getLabelsToTable, getWindowsToTable } from '../get/tables.js';

export interface GetInputsParams {
  accessibility: 'quantitative' | 'binary';
  windowSize: number;
  stride: number;
  tssFlank: number;
  shortChromosomes: 'error' | 'skip';
  xchromCellTypes: string[];
  cellTypes: string[];
  labelColumn: string;
}

/** `models.get-inputs`: region × motif features, accessibility, expression labels and windows for GET. */
export const getInputs = defineStage<GetInputsParams>({
  name: 'models.get-inputs',
  version: '1',
  description:
    "GET's inputs as tables: regions in genomic order with motif-cluster features and one accessibility column per cell type (ATAC pseudobulk, or XChrom's predictions averaged over a type's cells), expression labels per region and strand (genes whose TSS ±300 bp overlaps the region) with the TSS mask, and windows of consecutive regions per chromosome.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      accessibility: {
        type: 'string',
        enum: ['quantitative', 'binary'],
        default: 'quantitative',
        description:
          "'quantitative': log10(count/total·1e5+1)/max of the pseudobulk (mean probability / max from XChrom); 'binary': accessible (mean probability ≥ 0.5 from XChrom)",
      },
      windowSize: {
        type: 'integer',
        minimum: 1,
        default: 200,
        description: 'regions per window (GET: 200 for fine-tuning, 900 in pretraining)',
      },
      stride: {
        type: 'integer',
        minimum: 1,
        default: 100,
        description: 'regions between window starts (GET tutorial: 100)',
      },
      tssFlank: {
        type: 'integer',
        minimum: 0,
        default: 300,
        description: 'a region is labelled by genes whose TSS ± this many bp overlaps it',
      },
      shortChromosomes: {
        type: 'string',
        enum: ['error', 'skip'],
        default: 'error',
        description:
          'a chromosome with fewer regions than windowSize: an error, or left out of the windows',
      },
      xchromCellTypes: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description:
          "cell types whose accessibility comes from XChrom's per-cell predictions (RNA-only types); needs the predictions and cell-labels inputs",
      },
      cellTypes: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description:
          'cell types to use (default: every RNA type; each must then have ATAC or be in xchromCellTypes)',
      },
      labelColumn: {
        type: 'string',
        default: 'cell_type',
        description: 'label column of the cell-labels TSV',
      },
    },
  },
  inputs: {
    regions: {
      kind: 'table',
      type: 'regions',
      description: 'the regions (rows of the counts and motif features)',
    },
    'region-motif': {
      kind: 'table',
      type: 'region-motif',
      description:
        'region × motif-cluster features (genome-io.motif-scan or models.get-motif-features)',
    },
    pseudobulk: {
      kind: 'table',
      type: 'pseudobulk',
      description: 'ATAC pseudobulk per cell type (atac-pseudobulk.pseudobulk)',
      optional: true,
    },
    expression: {
      kind: 'table',
      type: 'gene-expression',
      description:
        'pseudobulk expression with TSSs (cell-embedding.pseudobulk-expression with genes)',
    },
    predictions: {
      kind: 'table',
      type: 'xchrom-predictions',
      description: 'XChrom per-cell predictions (models.xchrom-predict), for xchromCellTypes',
      optional: true,
    },
    'cell-labels': {
      kind: 'file',
      type: 'cell-labels',
      description: 'barcode → cell type TSV, for averaging the predictions',
      optional: true,
    },
  },
  outputs: {
    windows: {
      kind: 'table',
      type: 'get-windows',
      description: 'one row per window: chrom, first row, n_regions, start, end',
    },
    features: {
      kind: 'table',
      type: 'get-features',
      description: 'regions in genomic order × (motif clusters, accessibility:<type>)',
    },
    labels: {
      kind: 'table',
      type: 'get-labels',
      description:
        'cell type × region: expression and TSS mask per strand, genes behind each label',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const p = ctx.params;
    const path = (port: string): string => {
      const v = ctx.inputs[port];
      if (!v)
        throw new ChromflowError('STAGE', `input '${port}' is not wired`, {
          stage: 'models.get-inputs',
          field: port,
        });
      return v;
    };
    const regionsPath = path('regions');
    const regions = regionsFromTable(await readTable(regionsPath), regionsPath);
    const motifPath = path('region-motif');
    const motifTable = await readTable(motifPath);
    const motif = regionMotifFromTable(motifTable, motifPath);
    const atacPath = ctx.inputs['pseudobulk'];
    const atac = atacPath
      ? accessibilityFromPseudobulk(
          await readTable(atacPath),
          regions.length,
          p.accessibility,
          atacPath,
        )
      : undefined;
    let predicted: AccessibilityColumns | undefined;
    const predictionsPath = ctx.inputs['predictions'];
    if (p.xchromCellTypes.length > 0 && predictionsPath) {
      const labelsPath = path('cell-labels');
      predicted = accessibilityFromPredictions(
        await readTable(predictionsPath),
        regions.names,
        await readCellLabels(labelsPath, p.labelColumn),
        p.xchromCellTypes,
        p.accessibility,
        predictionsPath,
      );
    }
    const expressionPath = path('expression');
    const inputs = makeGetInputs(
      {
        regions,
        regionsPath,
        motif,
        motifRegionNames: stringsOf(motifTable, 'name', motifPath),
        motifPath,
        atac,
        atacPath,
        predicted,
        predictionsPath,
        expression: geneTssExpressionFromTable(await readTable(expressionPath), expressionPath),
        expressionPath,
      },
      {
        accessibilityMode: p.accessibility,
        xchromCellTypes: p.xchromCellTypes,
        cellTypes: p.cellTypes,
        windowSize: p.windowSize,
        stride: p.stride,
        shortChromosomes: p.shortChromosomes,
        tssFlank: p.tssFlank,
      },
    );
    // All three tables are built before any is written, so a failure writes nothing.
    const tables = {
      windows: getWindowsToTable(inputs),
      features: getFeaturesToTable(inputs),
      labels: getLabelsToTable(inputs),
    };
    for (const [port, table] of Object.entries(tables)) await writeTable(ctx.outputs[port]!, table);
    const labelled = inputs.labels.tssMask.reduce((a, b) => a + b, 0);
    ctx.log.info(
      `${inputs.windows.firsts.length} windows of ${inputs.windows.size} over ${regions.length} regions × ${motif.clusters.length} clusters; ${inputs.cellTypes.length} cell types (${inputs.cellTypes.filter((_, i) => inputs.accessibilitySource[i] === 'xchrom').join(', ') || 'none'} from XChrom); ${labelled} labelled (region, strand) pairs from ${inputs.labels.genesPlaced} genes`,
    );
    return {
      metrics: {
        regions: regions.length,
        clusters: motif.clusters.length,
        windows: inputs.windows.firsts.length,
        cellTypes: inputs.cellTypes.length,
        tssLabels: labelled,
        genesPlaced: inputs.labels.genesPlaced,
      },
    };
  },
});
