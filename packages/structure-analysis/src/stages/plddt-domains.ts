import { basename } from 'node:path';
import { defineStage, writeTable } from '@chromflow/core';
import { readStructure } from '../pdb.js';
import { requirePlddt, selectChain } from '../protein-chain.js';
import { PLDDT_DOMAINS_ENCODING, callPlddtDomains, plddtDomainsToTable } from '../plddt-domains.js';

export type PlddtDomainsParams = {
  chain: string;
  protein: string;
  window: number;
  threshold: number;
  merge_gap: number;
  min_length: number;
  convention: 'get' | 'strict';
  include_histidine: boolean;
  dbd_count: number;
};

/** AlphaFold model (PDB/mmCIF) → GET pLDDT segments with a DNA-binding-domain call. */
export const plddtDomains = defineStage<PlddtDomainsParams>({
  name: 'structure-analysis.plddt-domains',
  version: '1',
  description:
    'Segments a predicted protein chain by smoothed pLDDT (GET) and flags the high-confidence segment richest in K/R as the DNA-binding domain.',
  params: {
    type: 'object',
    properties: {
      chain: {
        type: 'string',
        description: 'Chain identifier (PDB column 22 / auth_asym_id); empty = first chain.',
        default: 'A',
      },
      protein: {
        type: 'string',
        description: 'Name written in the protein column; empty = the file name without extension.',
        default: '',
      },
      window: {
        type: 'integer',
        description: 'Moving-average window (residues).',
        default: 10,
        minimum: 1,
      },
      threshold: {
        type: 'number',
        description: 'Smoothed pLDDT / its maximum below this is low confidence.',
        default: 0.6,
        minimum: 0,
        maximum: 1,
      },
      merge_gap: {
        type: 'integer',
        description: 'Low regions closer than this are merged (residues).',
        default: 30,
        minimum: 0,
      },
      min_length: {
        type: 'integer',
        description: 'Pieces shorter than this are dropped (residues).',
        default: 30,
        minimum: 1,
      },
      convention: {
        type: 'string',
        description:
          "'get' reproduces GET's code exactly (quirks included); 'strict' applies the stated rules.",
        enum: ['get', 'strict'],
        default: 'get',
      },
      include_histidine: {
        type: 'boolean',
        description: 'Count H as positively charged besides K and R.',
        default: false,
      },
      dbd_count: {
        type: 'integer',
        description: 'How many top-ranked high-confidence segments are flagged DNA-binding.',
        default: 1,
        minimum: 0,
      },
    },
    additionalProperties: false,
  },
  inputs: {
    structure: {
      kind: 'file',
      type: 'pdb',
      description: 'AlphaFold model, PDB or mmCIF, pLDDT in the B-factor column.',
    },
  },
  outputs: {
    'plddt-domains': {
      kind: 'table',
      type: PLDDT_DOMAINS_ENCODING,
      description: 'Segments with ranges, mean pLDDT, charge ratio and DBD flag.',
    },
  },
  resources: { cpu: 1, memoryGb: 0.5 },
  async run(ctx) {
    const path = ctx.inputs['structure']!;
    const model = await readStructure(path, { signal: ctx.signal, onProgress: ctx.onProgress });
    const chain = selectChain(model, ctx.params.chain || undefined);
    requirePlddt(chain, path);
    const p = ctx.params;
    const domains = callPlddtDomains(chain, {
      window: p.window,
      threshold: p.threshold,
      mergeGap: p.merge_gap,
      minLength: p.min_length,
      convention: p.convention,
      includeHistidine: p.include_histidine,
      dbdCount: p.dbd_count,
    });
    const protein = p.protein || basename(path).replace(/\.(pdb|cif|mmcif|ent)(\.gz)?$/i, '');
    await writeTable(
      ctx.outputs['plddt-domains']!,
      plddtDomainsToTable([{ protein, chain: chain.chainId, domains }]),
    );
    const dbd = domains.find((d) => d.isDbd);
    return {
      metrics: {
        residues: chain.plddt.length,
        segments: domains.length,
        dbd: dbd ? `${dbd.residueStart}-${dbd.residueEnd}` : 'none',
      },
    };
  },
});
