import { Table, Utf8, makeVector, vectorFromArray } from 'apache-arrow';
import { ChromflowError, requireColumns, requireEncoding, withEncoding } from '@chromflow/core';
import type { LongRunOptions } from '@chromflow/core';
import { Gff3Hierarchy } from './gff3-hierarchy.js';
import { int32sOf, stringsOf } from './tables.js';
import { readLineBatches } from './text-source.js';

/**
 * Genes and transcripts from GTF (GENCODE/Ensembl, `key "value";` attributes)
 * or GFF3 (`key=value;` attributes, URL-escaped), plain or gzip. The 1-based
 * inclusive file coordinates [s, e] become 0-based half-open [s-1, e); the TSS
 * is the 0-based position of the first transcribed base: `start` on `+`,
 * `end - 1` on `-`.
 */

/** One row per gene; coordinates 0-based half-open, `tsses` 0-based. */
export interface Genes {
  geneIds: string[];
  geneNames: string[];
  chroms: string[];
  /** 0-based starts. */
  starts: Int32Array;
  /** Exclusive ends. */
  ends: Int32Array;
  strands: ('+' | '-')[];
  /** 0-based position of the TSS base (strand-aware). */
  tsses: Int32Array;
  /** `gene_biotype` / `gene_type` / GFF3 `biotype`, or '' when absent. */
  biotypes: string[];
  length: number;
}

/** One row per transcript, same conventions; `geneIds` links to the gene. */
export interface Transcripts extends Genes {
  transcriptIds: string[];
}

export interface ReadGenesOptions extends LongRunOptions {
  /** Keep only genes whose biotype is listed (e.g. ['protein_coding']); default all. */
  biotypes?: readonly string[];
  /** `gtf`, `gff3`, or guessed from the file (default). */
  format?: 'gtf' | 'gff3';
}

// GTF only (its spec fixes `gene`/`transcript`/`exon`; the other names are kept for GTFs
// converted from GFF3). GFF3 genes are found by their ID/Parent links instead: gff3-hierarchy.ts.
const GENE_TYPES = new Set(['gene', 'ncRNA_gene', 'pseudogene']);
const TRANSCRIPT_TYPES = new Set([
  'transcript',
  'mRNA',
  'lnc_RNA',
  'ncRNA',
  'miRNA',
  'snRNA',
  'snoRNA',
  'rRNA',
  'tRNA',
  'pseudogenic_transcript',
  'primary_transcript',
  'unconfirmed_transcript',
  'scRNA',
  'V_gene_segment',
  'C_gene_segment',
  'J_gene_segment',
  'D_gene_segment',
]);

function parseGtfAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([^\s;]+)\s+(?:"([^"]*)"|([^;\s]+))\s*;?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const key = m[1]!;
    if (!out.has(key)) out.set(key, m[2] ?? m[3] ?? '');
  }
  return out;
}

function parseGff3Attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return out;
}

interface Feature {
  chrom: string;
  start: number;
  end: number;
  strand: '+' | '-';
  attrs: Map<string, string>;
}

function stripPrefix(id: string): string {
  const c = id.indexOf(':');
  return c > 0 && /^(gene|transcript)$/.test(id.slice(0, c)) ? id.slice(c + 1) : id;
}

/** Reads genes and transcripts of a GTF or GFF3 file. */
export async function readAnnotation(
  path: string,
  options: ReadGenesOptions = {},
): Promise<{ genes: Genes; transcripts: Transcripts }> {
  let format = options.format;
  const genes = new Map<string, Feature>();
  const geneSpans = new Map<string, Feature>(); // from transcripts/exons when no gene line
  const transcripts = new Map<string, Feature & { geneId: string }>();
  const gff3 = new Gff3Hierarchy();
  for await (const batch of readLineBatches(path, options)) {
    for (const line of batch) {
      const t = line.text;
      if (t === '') continue;
      if (t.startsWith('#')) {
        if (t.startsWith('##gff-version 3')) format ??= 'gff3';
        if (t === '##FASTA') return finish();
        continue;
      }
      const f = t.split('\t');
      const fail = (
        message: string,
        col: number,
        more: { expected?: string; found?: string; field?: string } = {},
      ): never => {
        throw new ChromflowError('PARSE', message, {
          path,
          line: line.lineNumber,
          column: f.slice(0, col).reduce((a, x) => a + x.length + 1, 1),
          source: t,
          ...more,
        });
      };
      if (f.length !== 9) {
        fail(`annotation line has ${f.length} tab-separated columns`, 0, {
          expected: '9 columns (seqid source type start end score strand phase attributes)',
          found: `${f.length}`,
        });
      }
      format ??= /^\s*\w+\s+"/.test(f[8]!) ? 'gtf' : 'gff3';
      const type = f[2]!;
      // GTF types are fixed by its spec; GFF3 genes are found by ID/Parent (gff3-hierarchy.ts).
      const gtfType = GENE_TYPES.has(type) || TRANSCRIPT_TYPES.has(type) || type === 'exon';
      if (format === 'gtf' && !gtfType) continue;
      if (!/^\d+$/.test(f[3]!) || !/^\d+$/.test(f[4]!)) {
        fail('start/end are not positive integers', /^\d+$/.test(f[3]!) ? 4 : 3, {
          field: 'start/end',
        });
      }
      const start = Number(f[3]) - 1;
      const end = Number(f[4]);
      if (start < 0 || start >= end) {
        throw new ChromflowError(
          'VALUE',
          `start ${start + 1} is after end ${end} (1-based inclusive)`,
          {
            path,
            line: line.lineNumber,
            source: t,
            expected: '1 ≤ start ≤ end',
          },
        );
      }
      const strand = f[6]!;
      if (format === 'gff3') {
        const attrs = parseGff3Attributes(f[8]!);
        gff3.add({ type, chrom: f[0]!, start, end, strand, attrs, lineNumber: line.lineNumber });
        continue;
      }
      if (strand !== '+' && strand !== '-') {
        if (type === 'exon') continue;
        throw new ChromflowError('VALUE', `${type} has strand '${strand}': a TSS needs + or -`, {
          path,
          line: line.lineNumber,
          field: 'strand',
          source: t,
          hint: 'filter unstranded features out of the annotation first',
        });
      }
      const attrs = parseGtfAttributes(f[8]!);
      const feat: Feature = { chrom: f[0]!, start, end, strand, attrs };
      if (GENE_TYPES.has(type)) {
        const id = attrs.get('gene_id') ?? stripPrefix(attrs.get('ID') ?? '');
        if (!id) fail('gene has no gene_id (GTF) or ID (GFF3) attribute', 8, { field: 'gene_id' });
        genes.set(id, feat);
      } else {
        const geneId = attrs.get('gene_id') ?? stripPrefix(attrs.get('Parent') ?? '');
        if (!geneId)
          fail(`${type} has no gene_id (GTF) or Parent (GFF3) attribute`, 8, { field: 'gene_id' });
        const span = geneSpans.get(geneId);
        if (!span) geneSpans.set(geneId, { ...feat });
        else {
          span.start = Math.min(span.start, start);
          span.end = Math.max(span.end, end);
        }
        if (type !== 'exon') {
          const tid = attrs.get('transcript_id') ?? stripPrefix(attrs.get('ID') ?? '');
          if (tid) transcripts.set(tid, { ...feat, geneId });
        }
      }
    }
  }
  return finish();

  function finish(): { genes: Genes; transcripts: Transcripts } {
    if (format === 'gff3') {
      const found = gff3.classify(path);
      for (const g of found.genes) genes.set(g.id, g as Feature);
      for (const t of found.transcripts) transcripts.set(t.id, t as Feature & { geneId: string });
    }
    // Genes without a gene line take the span of their transcripts/exons (GTFs from some pipelines).
    for (const [id, span] of geneSpans) if (!genes.has(id)) genes.set(id, span);
    if (genes.size === 0) {
      throw new ChromflowError('EMPTY', 'annotation holds no gene, transcript or exon', {
        path,
        expected:
          format === 'gff3'
            ? 'GFF3 genes: top-level features whose children (transcripts) have children (exons)'
            : 'GTF lines of type gene/transcript/exon',
      });
    }
    const biotypeOf = (a: Map<string, string>): string =>
      a.get('gene_biotype') ?? a.get('gene_type') ?? a.get('biotype') ?? '';
    const nameOf = (id: string): string => {
      const g = genes.get(id)?.attrs;
      return (
        g?.get('gene_name') ?? g?.get('Name') ?? geneSpans.get(id)?.attrs.get('gene_name') ?? id
      );
    };
    const keep = options.biotypes ? new Set(options.biotypes) : undefined;
    const geneRows = [...genes].filter(([, g]) => !keep || keep.has(biotypeOf(g.attrs)));
    const keptIds = new Set(geneRows.map(([id]) => id));
    const txRows = [...transcripts].filter(([, t]) => keptIds.has(t.geneId));
    const build = (rows: [string, Feature][], idOf: (k: string, f: Feature) => string): Genes => ({
      geneIds: rows.map(([k, f]) => idOf(k, f)),
      geneNames: rows.map(([k, f]) => nameOf(idOf(k, f))),
      chroms: rows.map(([, f]) => f.chrom),
      starts: Int32Array.from(rows, ([, f]) => f.start),
      ends: Int32Array.from(rows, ([, f]) => f.end),
      strands: rows.map(([, f]) => f.strand),
      tsses: Int32Array.from(rows, ([, f]) => (f.strand === '+' ? f.start : f.end - 1)),
      biotypes: rows.map(([k, f]) => biotypeOf(genes.get(idOf(k, f))?.attrs ?? f.attrs)),
      length: rows.length,
    });
    const txGenes = build(txRows, (_k, f) => (f as Feature & { geneId: string }).geneId);
    return {
      genes: build(geneRows, (k) => k),
      transcripts: { ...txGenes, transcriptIds: txRows.map(([k]) => k) },
    };
  }
}

/** Genes of a GTF/GFF3 file (see `readAnnotation`). */
export async function readGenes(path: string, options: ReadGenesOptions = {}): Promise<Genes> {
  return (await readAnnotation(path, options)).genes;
}

export const GENES_ENCODING_VERSION = '1';

/**
 * `genes` table: `gene_id`, `gene_name`, `chrom` utf8, `start` int32 (0-based),
 * `end` int32 (exclusive), `strand` utf8 ('+'|'-'), `tss` int32 (0-based TSS
 * base), `biotype` utf8.
 */
export function genesToTable(genes: Genes): Table {
  const u = (v: string[]) => vectorFromArray(v, new Utf8());
  const t = new Table({
    gene_id: u(genes.geneIds),
    gene_name: u(genes.geneNames),
    chrom: u(genes.chroms),
    start: makeVector(genes.starts),
    end: makeVector(genes.ends),
    strand: u(genes.strands),
    tss: makeVector(genes.tsses),
    biotype: u(genes.biotypes),
  });
  return withEncoding(t, 'genes', GENES_ENCODING_VERSION);
}

/** The opposite of `genesToTable` (`biotype` optional). */
export function genesFromTable(table: Table, path?: string): Genes {
  requireEncoding(table, 'genes', path);
  requireColumns(table, ['gene_id', 'gene_name', 'chrom', 'start', 'end', 'strand', 'tss'], path);
  const strands = stringsOf(table, 'strand', path).map((s, i) => {
    if (s !== '+' && s !== '-') {
      throw new ChromflowError('SCHEMA', `genes row ${i} has strand '${s}'`, {
        path,
        field: 'strand',
        expected: "'+' or '-'",
      });
    }
    return s;
  });
  return {
    geneIds: stringsOf(table, 'gene_id', path),
    geneNames: stringsOf(table, 'gene_name', path),
    chroms: stringsOf(table, 'chrom', path),
    starts: int32sOf(table, 'start', path),
    ends: int32sOf(table, 'end', path),
    strands,
    tsses: int32sOf(table, 'tss', path),
    biotypes: table.getChild('biotype') ? stringsOf(table, 'biotype', path) : strands.map(() => ''),
    length: table.numRows,
  };
}
