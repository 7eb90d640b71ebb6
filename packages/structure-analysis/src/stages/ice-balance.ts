import { defineStage, makeTable, writeTable } from '@chromflow/core';
import { openCooler } from '../cooler.js';
import { iceBalance } from '../ice-balance.js';

export const BIN_WEIGHTS_ENCODING = 'bin-weights';

export type IceBalanceParams = {
  ignore_diags: number;
  min_nnz: number;
  min_count: number;
  mad_max: number;
  tol: number;
  max_iters: number;
  cis_only: boolean;
};

/** Contact map (.cool) → ICE balancing weights per bin, as `cooler balance` computes them. */
export const iceBalanceStage = defineStage<IceBalanceParams>({
  name: 'structure-analysis.ice-balance',
  version: '1',
  description:
    "ICE balancing weights of a .cool map (cooler's algorithm and defaults); NaN for bins the filters drop.",
  params: {
    type: 'object',
    properties: {
      ignore_diags: {
        type: 'integer',
        description: 'Diagonals ignored, the main one included (cooler default 2).',
        default: 2,
        minimum: 0,
      },
      min_nnz: {
        type: 'integer',
        description: 'Drop bins with fewer non-zero pixels (cooler default 10).',
        default: 10,
        minimum: 0,
      },
      min_count: {
        type: 'number',
        description: 'Drop bins with a smaller marginal sum (cooler default 0 = off).',
        default: 0,
        minimum: 0,
      },
      mad_max: {
        type: 'number',
        description:
          'Drop bins whose log marginal is this many MADs below the median; 0 = off (cooler default 5).',
        default: 5,
        minimum: 0,
      },
      tol: {
        type: 'number',
        description: 'Convergence: variance of the marginals (cooler default 1e-5).',
        default: 1e-5,
        minimum: 0,
      },
      max_iters: {
        type: 'integer',
        description: 'Iteration limit; not converging by then is an error (cooler default 200).',
        default: 200,
        minimum: 1,
      },
      cis_only: {
        type: 'boolean',
        description: 'Balance each chromosome alone, ignoring trans contacts.',
        default: false,
      },
    },
    additionalProperties: false,
  },
  inputs: {
    contacts: { kind: 'file', type: 'cool', description: 'Hi-C / Micro-C contact map (cooler).' },
  },
  outputs: {
    'bin-weights': {
      kind: 'table',
      type: BIN_WEIGHTS_ENCODING,
      description: 'chrom, start, end (0-based half-open), weight (NaN = dropped).',
    },
  },
  resources: { cpu: 1, memoryGb: 4 },
  async run(ctx) {
    const cool = await openCooler(ctx.inputs['contacts']!);
    try {
      const p = ctx.params;
      const r = iceBalance(cool, {
        ignoreDiags: p.ignore_diags,
        minNnz: p.min_nnz,
        minCount: p.min_count,
        madMax: p.mad_max,
        tol: p.tol,
        maxIters: p.max_iters,
        cisOnly: p.cis_only,
      });
      ctx.log.info(
        `ICE: ${r.dropped} of ${r.weights.length} bins dropped, ${r.iterations} iterations, variance ${r.variance.toExponential(2)}`,
      );
      const table = makeTable(
        {
          chrom: Array.from(cool.binChroms, (c) => cool.chromNames[c] ?? ''),
          start: cool.binStarts,
          end: cool.binEnds,
          weight: r.weights,
        },
        BIN_WEIGHTS_ENCODING,
        '1',
      );
      await writeTable(ctx.outputs['bin-weights']!, table);
      return { metrics: { bins: r.weights.length, dropped: r.dropped, iterations: r.iterations } };
    } finally {
      cool.close();
    }
  },
});
