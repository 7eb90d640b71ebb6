import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Int64, Table, Utf8, makeVector, tableToIPC, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  ChromflowError,
  parquetFromTable,
  readTable,
  sharedDataFile,
  writeTable,
  type StageContext,
} from '@chromflow/core';
import {
  readRegionsFile,
  regionsFromTable,
  regionsToTable,
  sniffRegionsFormat,
  stages,
} from '../src/index.js';
import { tempDir } from './tools.js';

// Oracle: the file text itself, split by hand (chrom, start, end of each record line).
function recordsOfText(text: string): { chrom: string; start: number; end: number }[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('track'))
    .map((l) => {
      const f = l.split('\t');
      return { chrom: f[0]!, start: Number(f[1]), end: Number(f[2]) };
    });
}

async function runRegionsStage(
  peaks: string,
  params: Record<string, unknown> = {},
): Promise<{ table: Table; info: string[]; metrics: Record<string, unknown> }> {
  const s = stages.find((x) => x.name === 'genome-io.regions')!;
  const dir = tempDir();
  const info: string[] = [];
  const ctx: StageContext<Record<string, unknown>> = {
    params: { format: 'auto', ...params },
    inputs: { peaks },
    outputs: { regions: join(dir, 'regions.parquet') },
    tempDir: dir,
    log: { info: (m) => info.push(m), warn: (m) => info.push(`warn: ${m}`) },
    onProgress: () => undefined,
    signal: new AbortController().signal,
  };
  const r = await s.run(ctx);
  return { table: await readTable(ctx.outputs['regions']!), info, metrics: r?.metrics ?? {} };
}

const asRecords = (t: Table): { chrom: string; start: number; end: number }[] => {
  const r = regionsFromTable(t);
  return Array.from(r.starts, (s, i) => ({
    chrom: r.chromNames[r.chromIds[i]!]!,
    start: s,
    end: r.ends[i]!,
  }));
};

const MUON_PEAKS = sharedDataFile('multiome', 'muon_pbmc_10x_multiome', 'peaks.bed');

describe('genome-io.regions: a user’s peaks in any common format → a regions table', () => {
  it.skipIf(!MUON_PEAKS)(
    'the muon multiome peaks.bed (BED3, 174 peaks) as read from the text',
    async () => {
      const { table, info, metrics } = await runRegionsStage(MUON_PEAKS!);
      expect(asRecords(table)).toEqual(recordsOfText(readFileSync(MUON_PEAKS!, 'utf8')));
      expect(metrics).toMatchObject({ regions: 174, format: 'bed', skippedLines: 0 });
      expect(info[0]).toMatch(/^read 174 regions on \d+ chromosomes from .*peaks\.bed as bed$/);
    },
  );

  it('narrowPeak with a track line: format, the narrowPeak columns, and the skipped line named', async () => {
    const dir = tempDir();
    const path = join(dir, 'peaks.narrowPeak');
    // Two records in the ENCODE narrowPeak layout (BED6+4).
    const text =
      'track type=narrowPeak name="example"\n' +
      'chr1\t9356548\t9356648\t.\t0\t.\t182\t5.0945\t-1\t50\n' +
      'chr1\t9358722\t9358822\t.\t0\t.\t91\t4.6052\t-1\t40\n';
    writeFileSync(path, text);
    expect(await sniffRegionsFormat(path)).toBe('narrowPeak');
    const { table, info, metrics } = await runRegionsStage(path);
    expect(asRecords(table)).toEqual(recordsOfText(text));
    expect([...table.getChild('signalValue')!]).toEqual([182, 91]);
    expect([...table.getChild('peak')!]).toEqual([50, 40]);
    expect(metrics).toMatchObject({ format: 'narrowPeak', skippedLines: 1 });
    expect(info[1]).toBe(
      'skipped 1 line without a region (line 1: "track type=narrowPeak name=\\"example\\"")',
    );
  });

  it('a TSV with a header (other column order, extra columns, a comment) reads by column name', async () => {
    const path = join(tempDir(), 'peaks.tsv');
    writeFileSync(
      path,
      '# exported from R\nname\tscore\tchrom\tstart\tend\np1\t3.5\tchr5\t218232\t218733\np2\t7\tchr11\t271483\t271984\n',
    );
    expect(await sniffRegionsFormat(path)).toBe('tsv');
    const { regions, skipped } = await readRegionsFile(path);
    expect(regions.names).toEqual(['p1', 'p2']);
    expect(Array.from(regions.starts)).toEqual([218232, 271483]);
    expect(Array.from(regions.ends)).toEqual([218733, 271984]);
    expect(regions.chromNames).toEqual(['chr5', 'chr11']);
    expect(skipped.map((l) => l.lineNumber)).toEqual([1]);
  });

  it('a TSV without an end column, or with start ≥ end, is an error naming the line and field', async () => {
    const dir = tempDir();
    const noEnd = join(dir, 'no-end.tsv');
    writeFileSync(noEnd, 'chrom\tstart\tstop\nchr1\t10\t20\n');
    const e1 = await readRegionsFile(noEnd).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ChromflowError);
    expect(e1).toMatchObject({
      code: 'SCHEMA',
      line: 1,
      field: 'end',
      found: 'chrom, start, stop',
    });
    const swapped = join(dir, 'swapped.tsv');
    writeFileSync(swapped, 'chrom\tstart\tend\nchr1\t10\t20\nchr1\t30\t25\n');
    const e2 = await readRegionsFile(swapped).catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: 'VALUE', line: 3, field: 'start', found: 'start 30, end 25' });
  });

  it('a plain Parquet (int64 columns, a pandas index column, no chromflow metadata) and an Arrow IPC file', async () => {
    const dir = tempDir();
    // What pandas' DataFrame.to_parquet writes: int64 coordinates, __index_level_0__.
    const plain = new Table({
      chrom: vectorFromArray(['chr2', 'chr2', 'chrX'], new Utf8()),
      start: makeVector({ type: new Int64(), data: BigInt64Array.from([5n, 100n, 0n]) }),
      end: makeVector({ type: new Int64(), data: BigInt64Array.from([10n, 250n, 1n]) }),
      __index_level_0__: makeVector({ type: new Int64(), data: BigInt64Array.from([0n, 1n, 2n]) }),
    });
    const pq = join(dir, 'peaks.parquet');
    writeFileSync(pq, await parquetFromTable(plain));
    const want = [
      { chrom: 'chr2', start: 5, end: 10 },
      { chrom: 'chr2', start: 100, end: 250 },
      { chrom: 'chrX', start: 0, end: 1 },
    ];
    const fromParquet = await runRegionsStage(pq);
    expect(fromParquet.metrics['format']).toBe('parquet');
    expect(asRecords(fromParquet.table)).toEqual(want);
    const arrow = join(dir, 'peaks.feather');
    writeFileSync(arrow, tableToIPC(plain, 'file'));
    const fromArrow = await runRegionsStage(arrow);
    expect(fromArrow.metrics['format']).toBe('arrow');
    expect(asRecords(fromArrow.table)).toEqual(want);
    // A chromflow regions table round-trips as it is.
    const own = join(dir, 'own.parquet');
    await writeTable(own, regionsToTable((await readRegionsFile(pq)).regions));
    expect(asRecords((await runRegionsStage(own)).table)).toEqual(want);
  });
});
