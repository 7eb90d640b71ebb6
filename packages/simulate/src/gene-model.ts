import type { Chromosome, Interval } from './genome-model.js';
import { overlapsAny } from './genome-model.js';
import type { Random } from './random.js';

/** A simulated gene with one transcript. Coordinates 0-based half-open. */
export interface SimGene {
  geneId: string;
  geneName: string;
  chrom: string;
  start: number;
  end: number;
  strand: '+' | '-';
  /** 0-based position of the TSS base (start on '+', end - 1 on '-'). */
  tss: number;
  /** Exons in genome order, 0-based half-open. */
  exons: Interval[];
}

export interface GeneLayoutOptions {
  /** Intergenic spacing range in bp [min, max). */
  spacing: [number, number];
  /** Gene length range in bp [min, max). */
  length: [number, number];
}

/**
 * Lays genes along each chromosome left to right with random spacing, length
 * and strand, skipping assembly gaps (with 2 kb clearance so a promoter peak
 * never touches an N run). Gene i gets id `SIMG` + 6 digits and name
 * `names[i]` where given, else `SG` + 4 digits.
 */
export function layOutGenes(
  chroms: readonly Chromosome[],
  opts: GeneLayoutOptions,
  rng: Random,
): SimGene[] {
  const genes: SimGene[] = [];
  for (const chrom of chroms) {
    let pos = 0;
    for (;;) {
      pos += rng.int(opts.spacing[0], opts.spacing[1]);
      const len = rng.int(opts.length[0], opts.length[1]);
      if (pos + len + 3000 > chrom.seq.length) break;
      if (overlapsAny(chrom.gaps, pos, pos + len, 3000)) {
        pos += len;
        continue;
      }
      const strand = rng.bernoulli(0.5) ? '+' : '-';
      const n = genes.length + 1;
      genes.push({
        geneId: `SIMG${String(n).padStart(6, '0')}`,
        geneName: `SG${String(n).padStart(4, '0')}`,
        chrom: chrom.name,
        start: pos,
        end: pos + len,
        strand,
        tss: strand === '+' ? pos : pos + len - 1,
        exons: makeExons(pos, pos + len, rng),
      });
      pos += len;
    }
  }
  return genes;
}

/** 2–6 exons: the first and last at the gene ends, internal ones evenly spread, 80–300 bp each. */
function makeExons(start: number, end: number, rng: Random): Interval[] {
  const n = rng.int(2, 7);
  const exons: Interval[] = [];
  const slot = (end - start) / n;
  for (let i = 0; i < n; i++) {
    const len = rng.int(80, 300);
    if (i === 0) exons.push({ start, end: start + len });
    else if (i === n - 1) exons.push({ start: end - len, end });
    else {
      const s = Math.floor(start + i * slot + rng.int(0, Math.max(1, Math.floor(slot - len))));
      exons.push({ start: s, end: s + len });
    }
  }
  return exons;
}

/**
 * GTF (GENCODE-style, 1-based inclusive) for `genes`: a `gene`, a `transcript`
 * and its `exon` lines per gene, exons numbered from the TSS. Attributes:
 * gene_id, gene_name, gene_type, transcript_id, transcript_name, exon_number.
 */
export function formatGtf(genes: readonly SimGene[], source = 'chromflow-sim'): string {
  const out: string[] = ['#description: chromflow simulated genes', '#format: gtf'];
  for (const g of genes) {
    const tid = `${g.geneId}.T1`;
    const geneAttr = `gene_id "${g.geneId}"; gene_name "${g.geneName}"; gene_type "protein_coding";`;
    const txAttr = `${geneAttr} transcript_id "${tid}"; transcript_name "${g.geneName}-201";`;
    const cols = (feature: string, s: number, e: number, attr: string): string =>
      [g.chrom, source, feature, s + 1, e, '.', g.strand, '.', attr].join('\t');
    out.push(cols('gene', g.start, g.end, geneAttr));
    out.push(cols('transcript', g.start, g.end, txAttr));
    const n = g.exons.length;
    g.exons.forEach((ex, i) => {
      const number = g.strand === '+' ? i + 1 : n - i;
      out.push(cols('exon', ex.start, ex.end, `${txAttr} exon_number ${number};`));
    });
  }
  return out.join('\n') + '\n';
}
