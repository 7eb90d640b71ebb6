import { defineStage, writeTable } from '@chromflow/core';
import { readBed } from '../bed.js';
import { openFasta } from '../fasta.js';
import type { SoftMaskPolicy } from '../sequence-codes.js';
import { regionsToTable, sequenceCodesToTable } from '../tables.js';
import { makeWindows, readWindowCodes } from '../windows.js';
import type { EdgePolicy } from '../windows.js';

export type PeakWindowsParams = {
  width: number;
  edge: EdgePolicy;
  softMasked: SoftMaskPolicy;
};

/** Genome FASTA + peaks BED → the peaks as a `regions` table and their centred windows as `sequence-codes`. */
export const peakWindowsStage = defineStage<PeakWindowsParams>({
  name: 'genome-io.peak-windows',
  version: '1',
  description:
    'Peak-centred fixed-width windows (XChrom rule: mid = floor((start+end)/2), [mid - floor(width/2), +width)), encoded A0 C1 G2 T3 N4.',
  params: {
    type: 'object',
    properties: {
      width: {
        type: 'integer',
        description: 'Window width in bases (XChrom/scBasset: 1344).',
        default: 1344,
        minimum: 1,
        maximum: 1_000_000,
      },
      edge: {
        type: 'string',
        description:
          "Windows past a chromosome end: 'pad' with N (keeps centre and width), 'shift' inside (keeps width), 'clip' (shorter), 'error'.",
        default: 'pad',
        enum: ['pad', 'shift', 'clip', 'error'],
      },
      softMasked: {
        type: 'string',
        description:
          "Soft-masked (lower-case) bases: 'upper' encodes them as their base (XChrom), 'n' as N.",
        default: 'upper',
        enum: ['upper', 'n'],
      },
    },
    additionalProperties: false,
  },
  inputs: {
    genome: {
      kind: 'file',
      type: 'fasta',
      description: 'Genome FASTA (plain, gzip or bgzip; .fai/.gzi beside or built).',
    },
    peaks: {
      kind: 'file',
      type: 'bed',
      description: 'Peaks (BED3+ or narrowPeak), 0-based half-open.',
    },
  },
  outputs: {
    regions: { kind: 'table', type: 'regions', description: 'The peaks as read, in file order.' },
    sequences: {
      kind: 'table',
      type: 'sequence-codes',
      description: 'Row i = the window of peak i and its codes.',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const genomePath = ctx.inputs['genome']!;
    const fasta = await openFasta(genomePath, { signal: ctx.signal, writeIndex: false });
    try {
      const peaks = await readBed(ctx.inputs['peaks']!, {
        signal: ctx.signal,
        chromSizes: fasta.chromSizes,
      });
      const windows = makeWindows(peaks, fasta.chromSizes, {
        width: ctx.params.width,
        edge: ctx.params.edge,
      });
      const codes = await readWindowCodes(fasta, windows, {
        signal: ctx.signal,
        onProgress: ctx.onProgress,
        softMasked: ctx.params.softMasked,
      });
      await writeTable(ctx.outputs['regions']!, regionsToTable(peaks));
      await writeTable(ctx.outputs['sequences']!, sequenceCodesToTable({ ...windows, ...codes }));
      let n = 0;
      for (const c of codes.codes) if (c === 4) n++;
      return {
        metrics: {
          peaks: peaks.length,
          width: ctx.params.width,
          nFraction: n / Math.max(1, codes.codes.length),
        },
      };
    } finally {
      await fasta.close();
    }
  },
});
