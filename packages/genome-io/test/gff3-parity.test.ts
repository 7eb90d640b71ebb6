import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { type Genes, readAnnotation } from '../src/index.js';
import { run, tempDir } from './tools.js';

const GTF = sharedDataFile('annotation', 'ensembl_vep_test_GRCh38_chr21.gtf.gz');

/** GTF attributes `key "value";` → Map (first value of a key wins). */
function gtfAttrs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/(\S+) "([^"]*)";/g)) if (!out.has(m[1]!)) out.set(m[1]!, m[2]!);
  return out;
}

/**
 * Gene and transcript types as Ensembl GFF3 releases have written them. The
 * point is that the names vary: `lincRNA_gene` (releases up to 96), `pseudogene`
 * used for a gene *and* for its transcript, transcript types that a fixed list
 * would not know (`NMD_transcript_variant`, `processed_transcript`).
 */
const GENE_TYPE: Record<string, string> = {
  protein_coding: 'gene',
  lincRNA: 'lincRNA_gene',
  processed_pseudogene: 'pseudogene',
};
const TRANSCRIPT_TYPE: Record<string, string> = {
  protein_coding: 'mRNA',
  lincRNA: 'lincRNA',
  processed_pseudogene: 'pseudogene',
  nonsense_mediated_decay: 'NMD_transcript_variant',
  retained_intron: 'processed_transcript',
  antisense: 'antisense_RNA',
};

/**
 * The GTF's genes written as an Ensembl-layout GFF3 (`ID=gene:…`, `Parent=`,
 * `Name`, `biotype`, `gene_id`/`transcript_id`; exons without ID, CDS with a
 * shared `ID=CDS:…`; `###` after each gene; `chromosome` and
 * `biological_region` lines that are no genes). Genes are written before their
 * transcripts, transcripts before their parts, as Ensembl does.
 */
function gff3FromGtf(gtf: string): string {
  type Row = { f: string[]; a: Map<string, string> };
  const rows: Row[] = gtf
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'))
    .map((f) => ({ f, a: gtfAttrs(f[8]!) }));
  const col = (r: Row): string => `${r.f[0]}\tensembl\t`;
  const pos = (r: Row): string => `${r.f[3]}\t${r.f[4]}\t${r.f[5]}\t${r.f[6]}\t${r.f[7]}`;
  const out = [
    '##gff-version 3',
    '##sequence-region   21 1 46709983',
    '21\tGRCh38\tchromosome\t1\t46709983\t.\t.\t.\tID=chromosome:21;Alias=CM000683.2,chr21,NC_000021.9',
  ];
  for (const g of rows.filter((r) => r.f[2] === 'gene')) {
    const gid = g.a.get('gene_id')!;
    const biotype = g.a.get('gene_biotype')!;
    const name = g.a.get('gene_name');
    out.push(
      `${col(g)}${GENE_TYPE[biotype] ?? 'ncRNA_gene'}\t${pos(g)}\tID=gene:${gid};` +
        (name ? `Name=${name};` : '') +
        `biotype=${biotype};gene_id=${gid};version=${g.a.get('gene_version')}`,
    );
    for (const t of rows.filter((r) => r.f[2] === 'transcript' && r.a.get('gene_id') === gid)) {
      const tid = t.a.get('transcript_id')!;
      const tb = t.a.get('transcript_biotype')!;
      out.push(
        `${col(t)}${TRANSCRIPT_TYPE[tb] ?? tb}\t${pos(t)}\tID=transcript:${tid};Parent=gene:${gid};` +
          `Name=${t.a.get('transcript_name')};biotype=${tb};transcript_id=${tid}`,
      );
      // The VEP subset shares some parts between two transcripts (`transcript_id "A,B"`):
      // in GFF3 that is one line with two parents, written under the first.
      for (const p of rows.filter((r) => r.a.get('transcript_id')?.split(',')[0] === tid)) {
        const parent = `Parent=${p.a
          .get('transcript_id')!
          .split(',')
          .map((t) => `transcript:${t}`)
          .join(',')}`;
        if (p.f[2] === 'exon') {
          const exon = p.a.get('exon_id');
          out.push(`${col(p)}exon\t${pos(p)}\t${parent};Name=${exon};exon_id=${exon}`);
        } else if (p.f[2] === 'CDS') {
          const pid = p.a.get('protein_id')!;
          out.push(`${col(p)}CDS\t${pos(p)}\tID=CDS:${pid};${parent};protein_id=${pid}`);
        } else if (p.f[2] === 'five_prime_utr' || p.f[2] === 'three_prime_utr') {
          const type = p.f[2] === 'five_prime_utr' ? 'five_prime_UTR' : 'three_prime_UTR';
          out.push(`${col(p)}${type}\t${pos(p)}\t${parent}`);
        }
      }
    }
    out.push('###');
  }
  out.push('21\t.\tbiological_region\t24043000\t24043100\t0.99\t.\t.\tlogic_name=cpg');
  return out.join('\n') + '\n';
}

/** Rows of `Genes` as comparable records, by gene id. */
function records(g: Genes): string[] {
  return g.geneIds
    .map((id, i) =>
      [
        id,
        g.geneNames[i],
        g.chroms[i],
        g.starts[i],
        g.ends[i],
        g.strands[i],
        g.tsses[i],
        g.biotypes[i],
      ].join('\t'),
    )
    .sort();
}

describe.skipIf(!GTF)('GFF3 and GTF of the same Ensembl genes (GRCh38 chr21 subset)', () => {
  it('give the same genes and transcripts: ids, names, spans, strands, TSS, biotypes', async () => {
    const gtfText = run('sh', ['-c', `gzip -dc '${GTF!}'`]);
    const gff3Text = gff3FromGtf(gtfText);
    // The fixture holds what the old type list got wrong.
    expect(gff3Text).toMatch(/\tlincRNA_gene\t/);
    expect(gff3Text).toMatch(/\tpseudogene\t.*ID=transcript:/);
    expect(gff3Text).toMatch(/\tNMD_transcript_variant\t/);
    expect(gff3Text).toMatch(/Parent=transcript:ENST00000419219,transcript:ENST00000419219_1/);
    const path = join(tempDir(), 'chr21.gff3');
    writeFileSync(path, gff3Text);
    const fromGtf = await readAnnotation(GTF!);
    const fromGff3 = await readAnnotation(path);
    expect(fromGtf.genes.length).toBe(42);
    expect(records(fromGff3.genes)).toEqual(records(fromGtf.genes));
    // Multi-transcript genes keep every transcript and their own gene span.
    expect(fromGff3.transcripts.length).toBe(103);
    const tx = (t: typeof fromGtf.transcripts): string[] =>
      t.transcriptIds
        .map((id, i) => `${id}\t${t.geneIds[i]}\t${t.starts[i]}\t${t.ends[i]}\t${t.tsses[i]}`)
        .sort();
    expect(tx(fromGff3.transcripts)).toEqual(tx(fromGtf.transcripts));
    // Cut down to gene and transcript lines (no exons, CDS, UTRs), the same genes and transcripts.
    const cut = join(tempDir(), 'chr21.genes-transcripts.gff3');
    writeFileSync(
      cut,
      gff3Text
        .split('\n')
        .filter((l) => !/\t(exon|CDS|five_prime_UTR|three_prime_UTR)\t/.test(l))
        .join('\n'),
    );
    const fromCut = await readAnnotation(cut);
    expect(records(fromCut.genes)).toEqual(records(fromGtf.genes));
    expect(tx(fromCut.transcripts)).toEqual(tx(fromGtf.transcripts));
    const ap = fromGff3.genes.geneIds.indexOf('ENSG00000226996');
    // AP000477.3: two transcripts; the gene spans both, its name is the gene's, not "-001"/"-002".
    expect([
      fromGff3.genes.geneNames[ap],
      fromGff3.genes.starts[ap],
      fromGff3.genes.ends[ap],
    ]).toEqual(['AP000477.3', 24043256, 24050286]);
  });

  it('ignores top-level features without transcripts and names a gene without strand', async () => {
    const path = join(tempDir(), 'bad.gff3');
    writeFileSync(
      path,
      [
        '##gff-version 3',
        '1\t.\tbiological_region\t5\t9\t.\t.\t.\tID=r1',
        '1\t.\tgene\t10\t50\t.\t.\t.\tID=gene:G1',
        '1\t.\tmRNA\t10\t50\t.\t.\t.\tID=transcript:T1;Parent=gene:G1',
        '1\t.\texon\t10\t50\t.\t.\t.\tParent=transcript:T1',
        '',
      ].join('\n'),
    );
    await expect(readAnnotation(path)).rejects.toMatchObject({
      code: 'VALUE',
      path,
      line: 3,
      field: 'strand',
    });
  });
});
