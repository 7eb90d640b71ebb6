import { defineStage, writeTable } from '@chromflow/core';
import { readRegionsFile, REGIONS_FILE_FORMATS, type RegionsFileFormat } from '../regions-file.js';
import { regionsToTable } from '../tables.js';

export type RegionsParams = { format: 'auto' | RegionsFileFormat };

/** A user's peaks (BED, narrowPeak, TSV, Parquet, Arrow) → a chromflow `regions` table. */
export const regionsStage = defineStage<RegionsParams>({
  name: 'genome-io.regions',
  version: '1',
  description:
    'Reads peaks or any regions from BED3+, narrowPeak, a TSV with a header (chrom, start, end[, name]) or a Parquet/Arrow table (chromflow or plain pandas/polars columns) into a regions table, in file order; 0-based half-open coordinates as in BED. Needs no genome.',
  params: {
    type: 'object',
    properties: {
      format: {
        type: 'string',
        description:
          "'auto' (Parquet/Arrow by their magic bytes; a text file with a header is TSV, 10 numeric columns narrowPeak, else BED) or one of the formats.",
        enum: ['auto', ...REGIONS_FILE_FORMATS],
        default: 'auto',
      },
    },
    additionalProperties: false,
  },
  inputs: {
    peaks: {
      kind: 'file',
      type: 'regions-file',
      description:
        'BED3+ / narrowPeak / TSV with a header / Parquet / Arrow IPC (plain or gzip text), 0-based start, exclusive end.',
    },
  },
  outputs: {
    regions: {
      kind: 'table',
      type: 'regions',
      description: 'chrom, start, end, name (+ BED/narrowPeak columns), in file order.',
    },
  },
  resources: { cpu: 1, memoryGb: 1 },
  async run(ctx) {
    const path = ctx.inputs['peaks']!;
    const { regions, format, skipped } = await readRegionsFile(path, {
      format: ctx.params.format === 'auto' ? undefined : ctx.params.format,
      signal: ctx.signal,
    });
    await writeTable(ctx.outputs['regions']!, regionsToTable(regions));
    const chroms = regions.chromNames.length;
    ctx.log.info(
      `read ${regions.length} regions on ${chroms} chromosome${chroms === 1 ? '' : 's'} from ${path} as ${format}`,
    );
    if (skipped.length > 0) {
      const shown = skipped
        .slice(0, 3)
        .map((l) => `line ${l.lineNumber}: ${JSON.stringify(l.text.slice(0, 60))}`)
        .join('; ');
      ctx.log.info(
        `skipped ${skipped.length} line${skipped.length === 1 ? '' : 's'} without a region (${shown}${skipped.length > 3 ? '; …' : ''})`,
      );
    }
    return {
      metrics: {
        regions: regions.length,
        chromosomes: chroms,
        format,
        skippedLines: skipped.length,
      },
    };
  },
});
