import { ChromflowError, defineStage, readTable, writeTable } from '@chromflow/core';
import {
  GENE_EXPRESSION_ENCODING,
  logCpmFromCounts,
  makeGeneExpressionTable,
  readCellLabels,
  sumCountsByGroup,
} from '../pseudobulk-expression.js';
import { genesFromTable } from '@chromflow/genome-io';
import { countsInputPorts, readCountsInput } from './counts-inputs.js';
import { columnToStrings } from '../anndata-types.js';

export type PseudobulkExpressionParams = {
  label_column: string;
};

/** Raw counts + cell labels (+ genes with TSSs) → log10(1+CPM) per cell type and gene. */
export const pseudobulkExpression = defineStage<PseudobulkExpressionParams>({
  name: 'cell-embedding.pseudobulk-expression',
  version: '1',
  description:
    'Sums raw scRNA counts per cell type and gives log10(1 + CPM) per gene; joined to a genes table (TSS, strand) when wired.',
  params: {
    type: 'object',
    properties: {
      label_column: {
        type: 'string',
        description: 'Label column of the cell-labels TSV (else its second column).',
        default: 'cell_type',
      },
    },
    additionalProperties: false,
  },
  inputs: {
    ...countsInputPorts,
    'cell-labels': {
      kind: 'file',
      type: 'cell-labels',
      description: 'TSV: barcode + label column.',
    },
    genes: {
      kind: 'table',
      type: 'genes',
      description: 'Genes with TSSs (from a GTF).',
      optional: true,
    },
  },
  outputs: {
    'gene-expression': {
      kind: 'table',
      type: GENE_EXPRESSION_ENCODING,
      description: 'group, gene_id, gene_name, log_cpm (+ chrom, tss, strand with genes).',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const ad = await readCountsInput(ctx.inputs);
    const labelsPath = ctx.inputs['cell-labels']!;
    const labels = await readCellLabels(labelsPath, ctx.params.label_column);
    const perCell = ad.obs.index.map((b) => labels.get(b));
    const labelled = perCell.filter((l) => l !== undefined).length;
    if (labelled === 0) {
      throw new ChromflowError('VALUE', 'no counts barcode has a label', {
        path: labelsPath,
        field: 'barcode',
        expected: `barcodes like ${ad.obs.index.slice(0, 2).join(', ')}`,
        found: [...labels.keys()].slice(0, 2).join(', '),
      });
    }
    if (labelled < perCell.length)
      ctx.log.warn(`${perCell.length - labelled} cells have no label and are left out`);
    const groups = new Set(perCell.filter((l) => l !== undefined)).size;
    // A label column holding one value per cell (e.g. ArchR's `cell`) gives one-cell groups.
    if (labelled > 1 && groups === labelled)
      ctx.log.warn(
        `every one of the ${labelled} labelled cells is its own group (label column '${ctx.params.label_column}'): is this the right label column? Set label_column`,
      );
    const pb = sumCountsByGroup(ad.X, perCell);
    const genesPath = ctx.inputs['genes'];
    const names = ad.var.columns['gene_name']
      ? columnToStrings(ad.var.columns['gene_name'])
      : ad.var.index;
    const { table, unmatchedGenes } = makeGeneExpressionTable(
      pb,
      logCpmFromCounts(pb),
      ad.var.index,
      names,
      genesPath ? genesFromTable(await readTable(genesPath), genesPath) : undefined,
    );
    if (unmatchedGenes > 0)
      ctx.log.warn(`${unmatchedGenes} genes are not in the genes table and are left out`);
    await writeTable(ctx.outputs['gene-expression']!, table);
    return {
      metrics: { groups: pb.groups.length, rows: table.numRows, unmatched_genes: unmatchedGenes },
    };
  },
});
