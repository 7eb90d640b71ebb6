import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodingOf, readTable, sharedDataFile } from '@chromflow/core';
import type { Stage, StageContext } from '@chromflow/core';
import {
  codesFromSequence,
  genesFromTable,
  regionsFromTable,
  sequenceCodesFromTable,
  stages,
} from '../src/index.js';
import { hasTool, run, tempDir } from './tools.js';

const GENOME = sharedDataFile('genome', 'hg38_chr2_1-2333275', 'chr2_1-2333275.fa.gz');
const PEAKS71 = sharedDataFile(
  'genome',
  'hg38_chr2_1-2333275',
  'pbmc3k_atac_peaks_in_chr2_1-2333275.bed',
);
const GTF = sharedDataFile('annotation', 'ensembl_vep_test_GRCh38_chr21.gtf.gz');
const HAS_SAMTOOLS = hasTool('samtools');

function stage(name: string): Stage {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
}

function context(
  inputs: Record<string, string>,
  outputs: string[],
  params: Record<string, unknown>,
): StageContext<Record<string, unknown>> {
  const dir = tempDir();
  return {
    params,
    inputs,
    outputs: Object.fromEntries(outputs.map((o) => [o, join(dir, `${o}.parquet`)])),
    tempDir: dir,
    log: { info: () => undefined, warn: () => undefined },
    onProgress: () => undefined,
    signal: new AbortController().signal,
  };
}

describe('stage registry', () => {
  it('lists genome-io.peak-windows and genome-io.genes with closed parameter schemas', () => {
    for (const name of ['genome-io.peak-windows', 'genome-io.genes']) {
      const s = stage(name);
      expect(s.params.additionalProperties).toBe(false);
      for (const p of Object.values(s.params.properties))
        expect(p.description.length).toBeGreaterThan(10);
    }
    expect(stage('genome-io.peak-windows').outputs['sequences']).toMatchObject({
      kind: 'table',
      type: 'sequence-codes',
    });
  });
});

describe.skipIf(!GENOME || !PEAKS71)('genome-io.peak-windows on hg38 chr2 + 71 PBMC peaks', () => {
  it('writes regions and sequence-codes whose codes equal samtools faidx windows', async () => {
    const ctx = context({ genome: GENOME!, peaks: PEAKS71! }, ['regions', 'sequences'], {
      width: 1344,
      edge: 'pad',
      softMasked: 'upper',
    });
    await stage('genome-io.peak-windows').run(ctx);
    const regionsTable = await readTable(ctx.outputs['regions']!);
    expect(encodingOf(regionsTable)?.type).toBe('regions');
    const regions = regionsFromTable(regionsTable);
    expect(regions.length).toBe(71);
    const seqs = sequenceCodesFromTable(await readTable(ctx.outputs['sequences']!));
    expect(seqs.length).toBe(71);
    expect(seqs.codes.length).toBe(71 * 1344);
    if (!HAS_SAMTOOLS) return;
    const text = run('samtools', [
      'faidx',
      GENOME!,
      ...Array.from(seqs.starts, (s, i) => `chr2:${s + 1}-${seqs.ends[i]}`),
    ])
      .split('>')
      .slice(1)
      .map((r) => r.split('\n').slice(1).join(''))
      .join('');
    expect(Buffer.from(seqs.codes).equals(Buffer.from(codesFromSequence(text)))).toBe(true);
  });
});

describe.skipIf(!GTF)('genome-io.genes on the Ensembl chr21 GTF', () => {
  it('writes a genes table of 42 genes, or only the protein-coding ones', async () => {
    const ctx = context({ annotation: GTF! }, ['genes'], { biotypes: [] });
    await stage('genome-io.genes').run(ctx);
    const genes = genesFromTable(await readTable(ctx.outputs['genes']!));
    expect(genes.length).toBe(42);
    const ctx2 = context({ annotation: GTF! }, ['genes'], { biotypes: ['protein_coding'] });
    await stage('genome-io.genes').run(ctx2);
    const pc = genesFromTable(await readTable(ctx2.outputs['genes']!));
    expect(pc.length).toBe(genes.biotypes.filter((b) => b === 'protein_coding').length);
    expect(pc.length).toBeGreaterThan(0);
  });
});
