import { defineStage } from '@chromflow/core';
import {
  DEFAULT_CLASTER_PROGRAM,
  scaleClasterProgram,
  simulateClasterProgram,
} from '../claster-program.js';
import { writeClasterProgramFiles } from '../write-claster-program.js';

// A type alias (not an interface) so it is assignable to Stage's Record<string, unknown> params.
export type SimulateClasterProgramParams = {
  seed: number;
  scale: number;
};

/**
 * Writes the CLASTER program (`simulate --program claster`) into the cache, so
 * workflows run on it without files in test-data/.
 */
export const simulateClasterProgramStage = defineStage<SimulateClasterProgramParams>({
  name: 'simulate.claster-program',
  // v2: truth.json adds landscapeReference (the rule without the annotation)
  version: '2',
  description:
    'Simulates the CLASTER program: four marks at 100 bp (bigWig), a 1.6 kb contact map with ICE weights (.cool), genes (GTF) and EU-seq at 1 kbp (bigWig) from a stated rule, with truth.json (reference Pearson with and without the annotation, planted perturbations, locality).',
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
          'Times the chromosome lengths and genes per chromosome (default 5 × 1.2 Mbp, 300 genes).',
        default: 1,
        exclusiveMinimum: 0,
        maximum: 100,
      },
    },
    additionalProperties: false,
  },
  inputs: {},
  outputs: {
    tracks: {
      kind: 'directory',
      type: 'bigwig-tracks',
      description: 'ATAC.bw, H3K4me3.bw, H3K27ac.bw, H3K27me3.bw (observed, 100 bp).',
    },
    contacts: {
      kind: 'file',
      type: 'cool',
      extension: '.cool',
      description: 'Observed contacts at 1.6 kb with bins/weight (ICE, cis-only).',
    },
    genes: { kind: 'file', type: 'gtf', extension: '.gtf', description: 'Genes (GTF).' },
    targets: {
      kind: 'file',
      type: 'bigwig',
      extension: '.bw',
      description: 'Observed EU-seq (nascent transcription) at 1 kbp.',
    },
    truth: {
      kind: 'file',
      type: 'json',
      extension: '.json',
      description: 'The rule, reference and ceiling Pearson, planted perturbations, locality.',
    },
  },
  resources: { cpu: 1, memoryGb: 1 },
  async run(ctx) {
    const { seed, scale } = ctx.params;
    const p = simulateClasterProgram({
      ...scaleClasterProgram(DEFAULT_CLASTER_PROGRAM, scale),
      seed,
    });
    const o = ctx.outputs;
    await writeClasterProgramFiles(
      {
        tracks: o['tracks']!,
        contacts: o['contacts']!,
        genes: o['genes']!,
        targets: o['targets']!,
        truth: o['truth']!,
      },
      p,
    );
    return {
      metrics: {
        chromosomes: p.chroms.length,
        genes: p.genes.length,
        enhancers: p.enhancers.length,
        contactPixels: p.contacts.count.length,
      },
    };
  },
});
