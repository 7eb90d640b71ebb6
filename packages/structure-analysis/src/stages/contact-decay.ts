import { ChromflowError, defineStage, writeTable } from '@chromflow/core';
import { openCooler } from '../cooler.js';
import {
  CONTACT_DECAY_ENCODING,
  POWER_LAW_DEFAULTS,
  contactDecay,
  contactDecayToTable,
} from '../contact-decay.js';

export type ContactDecayParams = {
  balance: boolean;
  min_distance: number;
  max_distance: number;
  chroms: string[];
};

/** Contact map (.cool) → contact frequency by distance per chromosome with ABC's power-law fit. */
export const contactDecayStage = defineStage<ContactDecayParams>({
  name: 'structure-analysis.contact-decay',
  version: '1',
  description:
    "Contact frequency versus genomic distance per chromosome (and 'all') from a .cool map, with ABC's log-log power-law fit (gamma, scale).",
  params: {
    type: 'object',
    properties: {
      balance: {
        type: 'boolean',
        description: 'Use balanced contacts (bins/weight must exist).',
        default: false,
      },
      min_distance: {
        type: 'integer',
        description: 'Smallest distance (bp) in the fit; ABC default 5 kb.',
        default: POWER_LAW_DEFAULTS.fitMinDistance,
        minimum: 0,
      },
      max_distance: {
        type: 'integer',
        description:
          'Largest distance (bp) in the fit; ABC default 1 Mb (raise it for maps with bins of 1 Mb or more).',
        default: POWER_LAW_DEFAULTS.fitMaxDistance,
        minimum: 1,
      },
      chroms: {
        type: 'array',
        description: 'Chromosomes to use; empty = all in the map.',
        items: { type: 'string' },
        default: [],
      },
    },
    additionalProperties: false,
  },
  inputs: {
    contacts: { kind: 'file', type: 'cool', description: 'Hi-C / Micro-C contact map (cooler).' },
  },
  outputs: {
    'contact-decay': {
      kind: 'table',
      type: CONTACT_DECAY_ENCODING,
      description:
        'chrom, distance, n_pairs, n_pixels, contact_sum, contact_mean, in_fit, gamma, scale, r.',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const path = ctx.inputs['contacts']!;
    const cool = await openCooler(path);
    try {
      const p = ctx.params;
      if (p.max_distance <= p.min_distance) {
        throw new ChromflowError('PARAM', 'max_distance must exceed min_distance', {
          field: 'max_distance',
          found: `${p.max_distance} <= ${p.min_distance}`,
        });
      }
      const curves = contactDecay(cool, {
        chroms: p.chroms.length ? p.chroms : undefined,
        balance: p.balance,
        signal: ctx.signal,
      });
      const table = contactDecayToTable(curves, p.min_distance, p.max_distance);
      const gammas = table.getChild('gamma')!;
      const fitted = new Set<string>();
      for (let i = 0; i < table.numRows; i++)
        if (Number.isFinite(Number(gammas.get(i))))
          fitted.add(String(table.getChild('chrom')!.get(i)));
      if (!fitted.has('all')) {
        ctx.log.warn(
          `no power law could be fitted in [${p.min_distance}, ${p.max_distance}] bp at ${cool.binSize} bp bins; raise max_distance`,
        );
      }
      await writeTable(ctx.outputs['contact-decay']!, table);
      return {
        metrics: {
          chromosomes: curves.length - 1,
          fitted: fitted.size,
          bin_size: cool.binSize ?? 0,
        },
      };
    } finally {
      cool.close();
    }
  },
});
