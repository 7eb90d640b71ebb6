import { ChromflowError } from '@chromflow/core';

/**
 * Genes and transcripts of a GFF3 file found by its `ID`/`Parent` hierarchy,
 * not by feature type names. Type names vary between releases (Ensembl has
 * typed genes `gene`, `ncRNA_gene`, `lincRNA_gene`, `pseudogene`, … and used
 * `pseudogene` for transcripts too), while the part-of hierarchy that GFF3
 * §"Parent" defines is fixed: exon/CDS/UTR parts → transcript → gene.
 *
 * The rule:
 * - a **transcript** is a feature that has a `Parent` and has children of its
 *   own (its exons, CDS, UTRs) — or, in files cut down to gene and transcript
 *   lines, has no children and is not itself a part (`PART_TYPES`); its gene is
 *   its parent;
 * - a **gene** is a feature without a `Parent` that has at least one transcript
 *   child — i.e. a top-level feature with grandchildren;
 * - everything else is ignored: parts (leaves), top-level features without
 *   children (`chromosome`, `biological_region`, repeats) and top-level features
 *   whose children are leaves only.
 * A gene's span, strand, name and biotype come from its own line, never from
 * a transcript. Ids are `gene_id`/`transcript_id` when present (Ensembl), else
 * `ID` without an Ensembl `gene:`/`transcript:` prefix.
 */

/**
 * Sequence Ontology parts of a transcript (and their GFF3 spellings in
 * Ensembl/GENCODE/NCBI files): a childless feature of these types is never a
 * transcript, even when its parent is top-level.
 */
const PART_TYPES = new Set([
  'exon',
  'CDS',
  'five_prime_UTR',
  'three_prime_UTR',
  'UTR',
  'intron',
  'start_codon',
  'stop_codon',
  'stop_codon_redefined_as_selenocysteine',
  'polyA_site',
  'polyA_signal_sequence',
]);

/** One GFF3 line kept for the hierarchy; coordinates 0-based half-open. */
export interface Gff3Feature {
  type: string;
  chrom: string;
  start: number;
  end: number;
  strand: string;
  attrs: Map<string, string>;
  lineNumber: number;
}

/** A gene or transcript the hierarchy found. */
export interface Gff3Node extends Gff3Feature {
  id: string;
}

function stripPrefix(id: string): string {
  const c = id.indexOf(':');
  return c > 0 && /^(gene|transcript)$/.test(id.slice(0, c)) ? id.slice(c + 1) : id;
}

/** Collects GFF3 features line by line, then classifies them by `ID`/`Parent`. */
export class Gff3Hierarchy {
  /** Features with an `ID`, by ID (a multi-line feature such as a CDS keeps its first line). */
  private readonly byId = new Map<string, Gff3Feature>();
  /** Features with an `ID`, in file order. */
  private readonly order: string[] = [];
  private readonly parentsOf = new Map<string, string[]>();
  /** IDs that some feature names as its `Parent`. */
  private readonly hasChildren = new Set<string>();

  add(feature: Gff3Feature): void {
    const id = feature.attrs.get('ID');
    const parents = feature.attrs.get('Parent')?.split(',') ?? [];
    for (const p of parents) this.hasChildren.add(p);
    if (id === undefined || this.byId.has(id)) return;
    this.byId.set(id, feature);
    this.order.push(id);
    if (parents.length > 0) this.parentsOf.set(id, parents);
  }

  /** Genes and transcripts in file order; `path` names the file in errors. */
  classify(path: string): { genes: Gff3Node[]; transcripts: (Gff3Node & { geneId: string })[] } {
    const geneIds = new Map<string, string>(); // GFF3 ID → gene id
    const transcripts: (Gff3Node & { geneId: string })[] = [];
    const isGene = new Set<string>();
    for (const id of this.order) {
      const parents = this.parentsOf.get(id);
      if (!parents || !this.isTranscriptShaped(id)) continue;
      for (const p of parents) {
        const parent = this.byId.get(p);
        if (parent && !this.parentsOf.has(p)) isGene.add(p);
      }
    }
    const genes: Gff3Node[] = [];
    for (const id of this.order) {
      if (!isGene.has(id)) continue;
      const f = this.byId.get(id)!;
      const geneId = f.attrs.get('gene_id') ?? stripPrefix(id);
      requireStrand(f, 'gene', path);
      geneIds.set(id, geneId);
      genes.push({ ...f, id: geneId });
    }
    for (const id of this.order) {
      const parents = this.parentsOf.get(id);
      if (!parents || !this.isTranscriptShaped(id)) continue;
      const f = this.byId.get(id)!;
      for (const p of parents) {
        const geneId = geneIds.get(p);
        if (geneId === undefined) continue;
        requireStrand(f, 'transcript', path);
        const tid = f.attrs.get('transcript_id') ?? stripPrefix(id);
        transcripts.push({ ...f, id: tid, geneId });
      }
    }
    return { genes, transcripts };
  }

  /** Has parts of its own, or is no part itself (a transcript line without its exons). */
  private isTranscriptShaped(id: string): boolean {
    return this.hasChildren.has(id) || !PART_TYPES.has(this.byId.get(id)!.type);
  }
}

function requireStrand(f: Gff3Feature, role: string, path: string): void {
  if (f.strand === '+' || f.strand === '-') return;
  throw new ChromflowError(
    'VALUE',
    `${f.type} (a ${role} by its ID/Parent links) has strand '${f.strand}': a TSS needs + or -`,
    {
      path,
      line: f.lineNumber,
      field: 'strand',
      hint: 'filter unstranded features out of the annotation first',
    },
  );
}
