import {
  ChromflowError,
  defineStage,
  readTable,
  requireEncoding,
  writeTable,
} from '@chromflow/core';
import {
  type AbcContactMap,
  ABC_SCORES_ENCODING,
  abcScoresToTable,
  computeAbcScores,
} from '../abc-scores.js';
import { openCooler, type Cooler } from '../cooler.js';
import {
  POWER_LAW_DEFAULTS,
  contactDecay,
  fitPowerLaw,
  powerLawFromDecayTable,
} from '../contact-decay.js';

export type AbcScoresParams = {
  window: number;
  activity: 'cpm' | 'accessibility' | 'count';
  gamma: number;
  scale: number;
  min_distance: number;
  pseudocount_distance: number;
  balance: boolean;
  fit_min_distance: number;
  fit_max_distance: number;
};

/** Pseudobulk accessibility × contact (map or power law) → ABC enhancer–gene scores. */
export const abcScores = defineStage<AbcScoresParams>({
  name: 'structure-analysis.abc-scores',
  version: '1',
  description:
    'ABC-style enhancer-gene scores per group: activity x contact (observed map where wired, else the power law), normalised per gene over candidates within the window.',
  params: {
    type: 'object',
    properties: {
      window: {
        type: 'integer',
        description: 'Candidate regions lie closer than this to the TSS (bp); ABC 5 Mb.',
        default: 5_000_000,
        minimum: 1,
      },
      activity: {
        type: 'string',
        description: 'Pseudobulk column used as activity.',
        enum: ['cpm', 'accessibility', 'count'],
        default: 'cpm',
      },
      gamma: {
        type: 'number',
        description: 'Power-law exponent where there is no map.',
        default: POWER_LAW_DEFAULTS.gamma,
        exclusiveMinimum: 0,
      },
      scale: {
        type: 'number',
        description: 'Power-law scale (log intercept) where there is no map.',
        default: POWER_LAW_DEFAULTS.scale,
      },
      min_distance: {
        type: 'integer',
        description: 'Distances below this are clipped for the power law (bp); ABC 5 kb.',
        default: 5000,
        minimum: 0,
      },
      pseudocount_distance: {
        type: 'integer',
        description:
          'With a map, add min(powerlaw(d), powerlaw(this)) to observed contacts; ABC 1 Mb.',
        default: 1_000_000,
        minimum: 1,
      },
      balance: {
        type: 'boolean',
        description: 'Use balanced map values (bins/weight).',
        default: false,
      },
      fit_min_distance: {
        type: 'integer',
        description: 'Fit range start when the map has no contact_decay table (bp).',
        default: 5000,
        minimum: 0,
      },
      fit_max_distance: {
        type: 'integer',
        description: 'Fit range end when the map has no contact_decay table (bp).',
        default: 1_000_000,
        minimum: 1,
      },
    },
    additionalProperties: false,
  },
  inputs: {
    pseudobulk: {
      kind: 'table',
      type: 'pseudobulk',
      description: 'group, region, count, cpm, accessibility.',
    },
    regions: {
      kind: 'table',
      type: 'regions',
      description: 'Candidate regions (rows referenced by pseudobulk.region).',
    },
    genes: { kind: 'table', type: 'genes', description: 'Genes with their TSS.' },
    contacts: {
      kind: 'file',
      type: 'cool',
      description: 'Contact map; without it the power law is used.',
      optional: true,
    },
    contact_decay: {
      kind: 'table',
      type: 'contact-decay',
      description: 'Power-law fit of the map (else fitted here).',
      optional: true,
    },
  },
  outputs: {
    'abc-scores': {
      kind: 'table',
      type: ABC_SCORES_ENCODING,
      description:
        'group, region, region_name, gene_id, gene_name, distance, activity, contact, score, contact_source.',
    },
  },
  resources: { cpu: 1, memoryGb: 4 },
  async run(ctx) {
    const p = ctx.params;
    const read = async (port: string, type: string) => {
      const path = ctx.inputs[port]!;
      const t = await readTable(path);
      requireEncoding(t, type, path);
      return t;
    };
    const [pseudobulk, regions, genes] = await Promise.all([
      read('pseudobulk', 'pseudobulk'),
      read('regions', 'regions'),
      read('genes', 'genes'),
    ]);
    let cool: Cooler | undefined;
    let contacts: AbcContactMap | undefined;
    try {
      if (ctx.inputs['contacts']) {
        cool = await openCooler(ctx.inputs['contacts']);
        let fit = ctx.inputs['contact_decay']
          ? powerLawFromDecayTable(await read('contact_decay', 'contact-decay'))
          : undefined;
        if (!fit) {
          const all = contactDecay(cool, { balance: p.balance }).find((c) => c.chrom === 'all')!;
          fit = fitPowerLaw(all, p.fit_min_distance, p.fit_max_distance);
        }
        if (!(fit.gamma > 0)) {
          throw new ChromflowError('VALUE', 'the fitted power law does not decay with distance', {
            path: ctx.inputs['contacts'],
            field: 'gamma',
            found: String(fit.gamma),
          });
        }
        contacts = { cool, balance: p.balance, gamma: fit.gamma, scale: fit.scale };
        ctx.log.info(
          `contact map power law: gamma ${fit.gamma.toFixed(4)}, scale ${fit.scale.toFixed(4)}`,
        );
      } else {
        ctx.log.info(`no contact map: power law with gamma ${p.gamma}, scale ${p.scale}`);
      }
      const scores = computeAbcScores(
        { pseudobulk, regions, genes },
        {
          window: p.window,
          activity: p.activity,
          gamma: p.gamma,
          scale: p.scale,
          minDistance: p.min_distance,
          pseudocountDistance: p.pseudocount_distance,
          contacts,
          signal: ctx.signal,
        },
      );
      await writeTable(ctx.outputs['abc-scores']!, abcScoresToTable(scores));
      return { metrics: { pairs: scores.scores.length, contact: contacts ? 'map' : 'power-law' } };
    } finally {
      cool?.close();
    }
  },
});
