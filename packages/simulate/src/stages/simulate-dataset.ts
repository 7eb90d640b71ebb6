import { defineStage } from '@chromflow/core';
import { DEFAULT_SIMULATION, scaleSimulation, simulateDataset } from '../dataset.js';
import { writeDatasetFiles } from '../write-dataset.js';

// A type alias (not an interface) so it is assignable to Stage's Record<string, unknown> params.
export type SimulateDatasetParams = {
  seed: number;
  scale: number;
};

/** Generates the default simulated multiome data set (the `test-data/` layout) for a seed. */
export const simulateDatasetStage = defineStage<SimulateDatasetParams>({
  name: 'simulate.dataset',
  version: '1',
  description:
    'Simulates a small multiome data set with planted truth: genome, genes, motif-driven cell-type peaks, scATAC fragments, scRNA counts and truth.json.',
  params: {
    type: 'object',
    properties: {
      seed: {
        type: 'integer',
        description: 'Seed of the generator; the same seed gives the same files.',
        default: 1,
        minimum: 0,
        maximum: 4294967295,
      },
      scale: {
        type: 'number',
        description:
          'Times the genome, peaks and per-cell depth of the default design (same cells); 1 = test-data/.',
        default: 1,
        exclusiveMinimum: 0,
        maximum: 100,
      },
    },
    additionalProperties: false,
  },
  inputs: {},
  outputs: {
    genome: {
      kind: 'file',
      type: 'fasta',
      extension: '.fa',
      description: 'Soft-masked genome FASTA (.fai beside).',
    },
    genes: {
      kind: 'file',
      type: 'gtf',
      extension: '.gtf',
      description: 'Genes, transcripts and exons.',
    },
    motifs: {
      kind: 'file',
      type: 'motifs',
      extension: '.meme',
      description: 'Driver and decoy PWMs (MEME).',
    },
    peaks: { kind: 'file', type: 'bed', extension: '.bed', description: 'Peak set (BED4).' },
    fragments: {
      kind: 'file',
      type: 'fragments',
      extension: '.tsv.gz',
      description: '10x fragments, BGZF with .tbi beside.',
    },
    cells: {
      kind: 'file',
      type: 'cell-labels',
      extension: '.tsv',
      description: 'barcode, cell_type.',
    },
    rna: {
      kind: 'directory',
      type: '10x-mtx',
      description: 'scRNA counts (10x MTX, features × cells).',
    },
    truth: {
      kind: 'file',
      type: 'json',
      extension: '.json',
      description: 'Planted truth and AUROC bounds.',
    },
  },
  resources: { cpu: 1, memoryGb: 1 },
  async run(ctx) {
    const { seed, scale } = ctx.params;
    const ds = simulateDataset({ ...scaleSimulation(DEFAULT_SIMULATION, scale), seed });
    const o = ctx.outputs;
    await writeDatasetFiles(
      {
        genome: o['genome']!,
        genes: o['genes']!,
        motifs: o['motifs']!,
        peaks: o['peaks']!,
        fragments: o['fragments']!,
        cells: o['cells']!,
        rna: o['rna']!,
        truth: o['truth']!,
      },
      ds,
    );
    return {
      metrics: {
        cells: ds.cells.length,
        peaks: ds.peaks.length,
        fragments: ds.fragments.starts.length,
        genes: ds.genes.length,
      },
    };
  },
});
