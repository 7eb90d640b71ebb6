import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ChromflowError, defineStage, writeTable } from '@chromflow/core';
import { readStructure } from '../pdb.js';
import { requirePlddt, selectChain } from '../protein-chain.js';
import {
  PLDDT_DOMAINS_ENCODING,
  callPlddtDomains,
  plddtDomainsToTable,
  type PlddtDomain,
} from '../plddt-domains.js';

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

const structureFile = /\.(pdb|cif|mmcif|ent)(\.gz)?$/i;

/**
 * AlphaFold model(s) (PDB/mmCIF) → GET pLDDT segments with a DNA-binding-domain call: one
 * file, or every structure of a folder into one table (e.g. the TFs of an interaction table,
 * for `attribution.get-interpret`'s `tf-domains`).
 */
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
        description:
          'Chain identifier (PDB column 22 / auth_asym_id); empty = first chain. With `structures`, of every file.',
        default: 'A',
      },
      protein: {
        type: 'string',
        description:
          'Name written in the protein column; empty = the file name without extension (always so with `structures`).',
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
      optional: true,
    },
    structures: {
      kind: 'directory',
      type: 'pdb-folder',
      description:
        'Instead of `structure`: a folder of AlphaFold models (.pdb, .cif, .mmcif, .ent, optionally .gz), one protein each, named by its file.',
      optional: true,
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
    const single = ctx.inputs['structure'];
    const folder = ctx.inputs['structures'];
    if ((single === undefined) === (folder === undefined)) {
      throw new ChromflowError(
        'VALUE',
        'structure-analysis.plddt-domains reads one structure or one folder of them',
        {
          field: 'inputs',
          expected: 'exactly one of structure (a file) and structures (a folder)',
          found: single === undefined ? 'neither' : 'both',
        },
      );
    }
    const files =
      single !== undefined
        ? [single]
        : (await readdir(folder!))
            .filter((f) => structureFile.test(f))
            .sort()
            .map((f) => join(folder!, f));
    if (files.length === 0) {
      throw new ChromflowError('VALUE', 'the structures folder holds no structure file', {
        path: folder,
        expected: 'files ending .pdb, .cif, .mmcif or .ent (optionally .gz)',
        found: 'none',
      });
    }
    const p = ctx.params;
    const entries: { protein: string; chain: string; domains: PlddtDomain[] }[] = [];
    let residues = 0;
    for (const [i, path] of files.entries()) {
      const model = await readStructure(path, {
        signal: ctx.signal,
        ...(single !== undefined ? { onProgress: ctx.onProgress } : {}),
      });
      const chain = selectChain(model, p.chain || undefined);
      requirePlddt(chain, path);
      const domains = callPlddtDomains(chain, {
        window: p.window,
        threshold: p.threshold,
        mergeGap: p.merge_gap,
        minLength: p.min_length,
        convention: p.convention,
        includeHistidine: p.include_histidine,
        dbdCount: p.dbd_count,
      });
      const protein =
        single !== undefined && p.protein ? p.protein : basename(path).replace(structureFile, '');
      entries.push({ protein, chain: chain.chainId, domains });
      residues += chain.plddt.length;
      if (folder !== undefined) ctx.onProgress(i + 1, files.length, 'structures');
    }
    await writeTable(ctx.outputs['plddt-domains']!, plddtDomainsToTable(entries));
    // One structure: its DBD's residues; a folder: how many proteins have one.
    const dbdOf = (e: { domains: PlddtDomain[] }) => e.domains.find((d) => d.isDbd);
    const first = dbdOf(entries[0]!);
    const dbd =
      entries.length > 1
        ? `${entries.filter((e) => dbdOf(e) !== undefined).length} of ${entries.length} proteins`
        : first
          ? `${first.residueStart}-${first.residueEnd}`
          : 'none';
    return {
      metrics: {
        structures: entries.length,
        residues,
        segments: entries.reduce((n, e) => n + e.domains.length, 0),
        dbd,
      },
    };
  },
});
