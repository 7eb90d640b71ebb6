import { basename } from 'node:path';
import { ChromflowError, defineStage, writeTable } from '@chromflow/core';
import { readRegionsFile } from '@chromflow/genome-io';
import { readCellLabels } from '../cell-labels.js';
import { DEFAULT_CONTEXT_LENGTH, tokenSetsToTable } from '../tokens/token-sets.js';
import { tokenizeFragments, tokenizeRegions, type Tokenized } from '../tokens/tokenize.js';
import { checkUniverse, type UniverseOverlaps } from '../tokens/universe.js';
import {
  readVocabulary,
  vocabularyHash,
  vocabularySize,
  writeVocabulary,
  type Vocabulary,
} from '../tokens/vocabulary.js';
import { FRAGMENTS_INPUT } from './write-counted-cells.js';

export type TokenizeParams = {
  contextLength: number;
  seed: number;
  overlaps: UniverseOverlaps;
};

/** A universe (BED/Arrow/Parquet regions) or a vocabulary file → token ids. */
async function vocabularyOfInputs(
  universePath: string | undefined,
  vocabularyPath: string | undefined,
  overlaps: UniverseOverlaps,
): Promise<Vocabulary> {
  if ((universePath === undefined) === (vocabularyPath === undefined)) {
    throw new ChromflowError('WORKFLOW', 'give the tokenizer either a universe or a vocabulary', {
      field: 'universe',
      expected: 'exactly one of the inputs universe, vocabulary',
      found: universePath ? 'both' : 'neither',
    });
  }
  if (vocabularyPath) {
    const v = await readVocabulary(vocabularyPath);
    checkUniverse(v.regions, vocabularyPath, overlaps);
    return v;
  }
  const { regions } = await readRegionsFile(universePath!);
  checkUniverse(regions, universePath!, overlaps);
  return { regions };
}

/** Fragments or one BED sample + a universe or vocabulary → cells as token sets (Atacformer's input). */
export const tokenizeStage = defineStage<TokenizeParams>({
  name: 'atac-pseudobulk.tokenize',
  version: '2',
  description:
    'Cells as sets of universe-region tokens (a region is a token of a cell when any of its fragments overlaps it by ≥ 1 bp, half-open), subsampled to the context length; writes the vocabulary beside.',
  params: {
    type: 'object',
    properties: {
      contextLength: {
        type: 'integer',
        description: 'Tokens kept per cell; cells with more are subsampled (seeded, per barcode).',
        default: DEFAULT_CONTEXT_LENGTH,
        minimum: 1,
      },
      seed: {
        type: 'integer',
        description: 'Seed of the subsampling.',
        default: 0,
        minimum: 0,
      },
      overlaps: {
        type: 'string',
        description:
          'Universe regions overlapping each other: error, or allow (each its own token). Identical regions are always an error.',
        enum: ['error', 'allow'],
        default: 'error',
      },
    },
    additionalProperties: false,
  },
  inputs: {
    fragments: {
      ...FRAGMENTS_INPUT,
      description: 'Cells: a 10x fragments.tsv.gz, sorted (tabix order). Give this or bed.',
      optional: true,
    },
    bed: {
      kind: 'file',
      type: 'bed',
      description:
        'One bulk sample as a BED file: one "cell" named after the file. Give this or fragments.',
      optional: true,
    },
    universe: {
      kind: 'file',
      type: 'regions-file',
      description:
        'The universe (BED, narrowPeak, regions TSV, Arrow or Parquet); region i is token 7 + i. Give this or vocabulary.',
      optional: true,
    },
    vocabulary: {
      kind: 'file',
      type: 'token-vocabulary',
      description:
        "A vocabulary written by this stage (e.g. a checkpoint's). Give this or universe.",
      optional: true,
    },
    cells: {
      kind: 'file',
      type: 'cell-labels',
      description:
        'Cell table (barcode first); without it every barcode of the fragments is a cell.',
      optional: true,
    },
  },
  outputs: {
    tokens: {
      kind: 'table',
      type: 'token-sets',
      format: 'arrow',
      description:
        'One row per cell: barcode, n_tokens, n_overlapped (before subsampling), tokens (list<int32>, ascending); cells with zero tokens kept. Metadata: the vocabulary sha256.',
    },
    vocabulary: {
      kind: 'file',
      type: 'token-vocabulary',
      extension: '.tsv',
      description:
        'token_id, token, chrom, start, end: 7 special tokens (pad mask cls bos eos sep unk) then the regions.',
    },
  },
  resources: { cpu: 1, memoryGb: 4 },
  async run(ctx) {
    const p = ctx.params;
    const universePath = ctx.inputs['universe'] ?? ctx.inputs['vocabulary'];
    const v = await vocabularyOfInputs(
      ctx.inputs['universe'],
      ctx.inputs['vocabulary'],
      p.overlaps,
    );
    const fragments = ctx.inputs['fragments'];
    const bed = ctx.inputs['bed'];
    if ((fragments === undefined) === (bed === undefined)) {
      throw new ChromflowError('WORKFLOW', 'give the tokenizer either fragments or a bed sample', {
        field: 'fragments',
        expected: 'exactly one of the inputs fragments, bed',
        found: fragments ? 'both' : 'neither',
      });
    }
    const options = {
      contextLength: p.contextLength,
      seed: p.seed,
      universePath,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    };
    let out: Tokenized;
    if (fragments) {
      const cellsPath = ctx.inputs['cells'];
      const cells = cellsPath ? (await readCellLabels(cellsPath)).barcodes : undefined;
      out = await tokenizeFragments(fragments, v, options, cells);
    } else {
      const { regions } = await readRegionsFile(bed!);
      out = tokenizeRegions(regions, basename(bed!), v, { ...options, path: bed! });
    }
    const hash = vocabularyHash(v);
    await writeVocabulary(ctx.outputs['vocabulary']!, v);
    await writeTable(
      ctx.outputs['tokens']!,
      tokenSetsToTable(out, { vocabularyHash: hash, contextLength: p.contextLength, seed: p.seed }),
    );
    const n = out.barcodes.length;
    let empty = 0;
    let subsampled = 0;
    for (let r = 0; r < n; r++) {
      if (out.nOverlapped[r] === 0) empty++;
      if (out.nOverlapped[r]! > p.contextLength) subsampled++;
    }
    ctx.log.info(
      `${out.intervalsRead} intervals → ${n} cells, ${out.tokens.length} tokens (vocabulary ${vocabularySize(v)}); ${empty} cells with zero tokens kept, ${subsampled} subsampled to ${p.contextLength}`,
    );
    if (empty > 0) ctx.log.warn(`${empty} of ${n} cells have zero tokens (kept with n_tokens 0)`);
    return {
      metrics: {
        intervals: out.intervalsRead,
        cells: n,
        tokens: out.tokens.length,
        vocabulary: vocabularySize(v),
        emptyCells: empty,
        subsampledCells: subsampled,
      },
    };
  },
});
