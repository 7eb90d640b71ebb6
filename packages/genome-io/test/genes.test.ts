import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataFile } from '@chromflow/core';
import { genesFromTable, genesToTable, readAnnotation, readBed, readGenes } from '../src/index.js';
import { run, tempDir } from './tools.js';

const GTF = sharedDataFile('annotation', 'ensembl_vep_test_GRCh38_chr21.gtf.gz');
const MYT1L = sharedDataFile('annotation', 'hg38_MYT1L_MANE_AND_PE.bed');

describe.skipIf(!GTF)('Ensembl GRCh38 chr21 GTF subset', () => {
  it('has the 42 genes awk finds, with 0-based starts, and strand-aware TSS', async () => {
    const genes = await readGenes(GTF!);
    // oracle: the gene lines as awk sees them (1-based inclusive)
    const awk = run('sh', [
      '-c',
      `gzip -dc '${GTF!}' | awk -F'\\t' '$3=="gene"{match($9,/gene_id "[^"]+"/); id=substr($9,RSTART+9,RLENGTH-10); print id"\\t"$1"\\t"$4"\\t"$5"\\t"$7}'`,
    ])
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(genes.length).toBe(42);
    expect(awk.length).toBe(42);
    const byId = new Map(genes.geneIds.map((id, i) => [id, i]));
    for (const [id, chrom, s, e, strand] of awk) {
      const i = byId.get(id!)!;
      expect(i).toBeDefined();
      expect(genes.chroms[i]).toBe(chrom);
      expect(genes.starts[i]).toBe(Number(s) - 1);
      expect(genes.ends[i]).toBe(Number(e));
      expect(genes.strands[i]).toBe(strand);
      expect(genes.tsses[i]).toBe(strand === '+' ? Number(s) - 1 : Number(e) - 1);
    }
    const ap = byId.get('ENSG00000226996')!;
    expect(genes.geneNames[ap]).toBe('AP000477.3');
    expect(genes.biotypes[ap]).toBe('lincRNA');
  });

  it('filters by biotype and reads transcripts', async () => {
    const { genes, transcripts } = await readAnnotation(GTF!, { biotypes: ['lincRNA'] });
    expect(genes.length).toBeGreaterThan(0);
    expect(genes.biotypes.every((b) => b === 'lincRNA')).toBe(true);
    const tx = transcripts.transcriptIds.indexOf('ENST00000415269');
    expect(tx).toBeGreaterThanOrEqual(0);
    expect([transcripts.starts[tx], transcripts.ends[tx], transcripts.tsses[tx]]).toEqual([
      24043256, 24043626, 24043256,
    ]);
  });

  it('round-trips through the genes table', async () => {
    const genes = await readGenes(GTF!);
    expect(genesFromTable(genesToTable(genes))).toEqual(genes);
  });
});

describe('GFF3', () => {
  it('reads genes with ID/Name/biotype and minus-strand TSS at end - 1', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.gff3');
    writeFileSync(
      path,
      [
        '##gff-version 3',
        'chr2\tensembl\tgene\t1789113\t2331275\t.\t-\t.\tID=gene:ENSG00000186487;Name=MYT1L;biotype=protein_coding',
        'chr2\tensembl\tmRNA\t1789113\t2331275\t.\t-\t.\tID=transcript:ENST00000647738;Parent=gene:ENSG00000186487',
        'chr2\tensembl\texon\t2331000\t2331275\t.\t-\t.\tParent=transcript:ENST00000647738',
        '',
      ].join('\n'),
    );
    const { genes, transcripts } = await readAnnotation(path);
    expect(genes.geneIds).toEqual(['ENSG00000186487']);
    expect(genes.geneNames).toEqual(['MYT1L']);
    expect([genes.starts[0], genes.ends[0], genes.tsses[0]]).toEqual([1789112, 2331275, 2331274]);
    expect(transcripts.transcriptIds).toEqual(['ENST00000647738']);
  });

  it.skipIf(!MYT1L)('agrees with the MANE BED12 of MYT1L (0-based, minus strand)', async () => {
    const bed = await readBed(MYT1L!);
    expect(bed.names[0]).toBe('ENST00000647738.2');
    expect([bed.starts[0], bed.ends[0]]).toEqual([1789112, 2331275]);
    expect(bed.columns['strand']).toEqual(['-', '.']);
    expect(bed.columns['blockCount']?.[0]).toBe(25);
  });

  it('names file and line for a broken line', async () => {
    const dir = tempDir();
    const path = join(dir, 'bad.gtf');
    writeFileSync(path, 'chr1\tx\tgene\t10\t5\t.\t+\t.\tgene_id "A";\n');
    await expect(readGenes(path)).rejects.toMatchObject({ code: 'VALUE', path, line: 1 });
    writeFileSync(path, 'chr1\tx\tgene\t10\n');
    await expect(readGenes(path)).rejects.toMatchObject({ code: 'PARSE', path, line: 1 });
  });
});
