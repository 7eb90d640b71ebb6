import { defineStage, writeTable } from '@chromflow/core';
import { genesToTable, readGenes } from '../genes.js';

export type GenesParams = {
  biotypes: string[];
};

/** GTF/GFF3 annotation → `genes` table with strand-aware TSS. */
export const genesStage = defineStage<GenesParams>({
  name: 'genome-io.genes',
  version: '1',
  description:
    'Genes of a GTF or GFF3 annotation: gene_id, gene_name, 0-based half-open span, strand, 0-based TSS base, biotype.',
  params: {
    type: 'object',
    properties: {
      biotypes: {
        type: 'array',
        description:
          "Keep only genes of these biotypes (e.g. ['protein_coding']); empty keeps all.",
        default: [],
        items: { type: 'string' },
      },
    },
    additionalProperties: false,
  },
  inputs: {
    annotation: { kind: 'file', type: 'gtf', description: 'GTF or GFF3 (plain or gzip).' },
  },
  outputs: {
    genes: { kind: 'table', type: 'genes', description: 'One row per gene.' },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const genes = await readGenes(ctx.inputs['annotation']!, {
      signal: ctx.signal,
      onProgress: ctx.onProgress,
      biotypes: ctx.params.biotypes.length > 0 ? ctx.params.biotypes : undefined,
    });
    await writeTable(ctx.outputs['genes']!, genesToTable(genes));
    return { metrics: { genes: genes.length } };
  },
});
