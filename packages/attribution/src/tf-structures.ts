import { ChromflowError, makeTable, requireColumns, requireEncoding } from '@chromflow/core';
import {
  int32sOf,
  motifClusterKeys,
  stringsOf,
  type Motif,
  type MotifClusterTable,
} from '@chromflow/genome-io';
import { tfSymbolsOfMotifName } from '@chromflow/models';
import type { Table } from 'apache-arrow';

/**
 * GET's last interpretation step: for each motif–motif interaction, the TFs
 * of each motif cluster with the highest expression in the cell type (two per
 * cluster in the paper), joined to their AlphaFold pLDDT domains and DNA-binding
 * domain call (`@chromflow/structure-analysis`'s `callPlddtDomains`) where a
 * structure is given.
 */

export const INTERACTION_TFS_ENCODING = 'interaction-tfs';
export const INTERACTION_TFS_VERSION = '1';

/** The fields of structure-analysis's `PlddtDomain` used here (any PlddtDomain fits). */
export interface TfDomain {
  residueStart: number;
  residueEnd: number;
  confidence: 'high' | 'low';
  meanPlddt: number;
  positiveRatio: number;
  isDbd: boolean;
}

export interface TfStructure {
  /** Protein or file label (e.g. the UniProt accession). */
  protein: string;
  domains: readonly TfDomain[];
}

export interface InteractionTf {
  motifA: string;
  motifB: string;
  r: number;
  /** Which motif of the pair this TF stands for. */
  side: 'A' | 'B';
  motif: string;
  /** 1 = most expressed TF of the motif's cluster in the cell type. */
  tfRank: number;
  tf: string;
  expression: number;
  /** Structure join; undefined where no structure was given for the TF. */
  structure?: {
    protein: string;
    highConfidenceDomains: number;
    dbd?: TfDomain;
    /** Every domain as `start-end:high|low` (1-based inclusive residues), `;`-separated. */
    domains: string;
  };
}

/**
 * Motif → TF symbol annotation from a TSV with a header naming the motif
 * column (`motif` or `Model`) and the TF column (`tf` or `Transcription
 * factor`): HOCOMOCO v11's `*_annotation_HUMAN_mono.tsv`, Jolma 2013's
 * `annotation.txt`. Symbols are upper-cased.
 */
export function motifTfAnnotationFromText(text: string, path?: string): Map<string, string> {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const header = (lines[0] ?? '').split('\t').map((c) => c.trim().toLowerCase());
  const m = header.findIndex((c) => c === 'motif' || c === 'model');
  const t = header.findIndex((c) => c === 'tf' || c === 'transcription factor');
  if (m < 0 || t < 0) {
    throw new ChromflowError('SCHEMA', 'the motif annotation has no motif or TF column', {
      path,
      line: 1,
      expected: "a header with 'motif' (or 'Model') and 'tf' (or 'Transcription factor')",
      found: lines[0]?.slice(0, 120) ?? '',
    });
  }
  const out = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const cols = line.split('\t');
    const motif = cols[m]?.trim();
    const tf = cols[t]?.trim();
    if (motif && tf) out.set(motif, tf.toUpperCase());
  }
  return out;
}

/**
 * TF symbols of one motif name: the annotation's symbol; a HOCOMOCO model of
 * another species (`PO5F1_MOUSE.H11MO.0.A`) through the annotated human model
 * with the same protein id; else the name's own symbols (`Pou5f1+Sox2_MA0142.1`
 * → POU5F1, SOX2; Jolma `Lhx8.mouse_homeodomain_3` → LHX8).
 */
function tfsOfMotif(
  motif: string,
  annotation: ReadonlyMap<string, string>,
  byProtein: ReadonlyMap<string, string>,
  altNames: ReadonlyMap<string, string>,
): string[] {
  const direct = annotation.get(motif);
  if (direct) return [direct];
  const hoco = /^([A-Z0-9]+)_[A-Z]+\.H\d+MO\./.exec(motif);
  if (hoco) {
    const viaHuman = byProtein.get(hoco[1]!);
    if (viaHuman) return [viaHuman];
  }
  const alt = altNames.get(motif);
  if (alt) {
    const symbols = alt
      .split(/::|\+/)
      .map((t) => t.trim().toUpperCase())
      .filter((t) => t !== '');
    if (symbols.length > 0) return symbols;
  }
  return tfSymbolsOfMotifName(motif).map((s) => s.replace(/\.MOUSE$/, ''));
}

/**
 * The motif → cluster table of a motif file scanned without one (genome-io's
 * motif-scan then writes one column per motif, named by its id): each motif
 * is its own cluster.
 */
export function motifsAsClusters(motifs: readonly Motif[]): MotifClusterTable {
  const ids = motifs.map((m) => m.id);
  return { motifs: ids, clusters: [...ids] };
}

/**
 * Cluster → TF symbols (sorted, unique) from a motif → cluster table and
 * motif annotations. `names` renames clusters (cluster label → the column name
 * used in the gene × motif matrix, e.g. GET's archetype name); unnamed
 * clusters keep their label. `motifs` (the motif file) gives a table motif
 * found under any of its `motifClusterKeys` the symbols of its alt name
 * (`FOS::JUN` → FOS, JUN) when the annotation has none: ids such as
 * `SIM.AP1` or `MA0099.3` name no TF themselves.
 */
export function clusterTfGenes(
  table: MotifClusterTable,
  options: {
    annotation?: ReadonlyMap<string, string>;
    names?: ReadonlyMap<string, string>;
    motifs?: readonly Motif[];
  } = {},
): Map<string, string[]> {
  const annotation = options.annotation ?? new Map<string, string>();
  const byProtein = new Map<string, string>();
  for (const [motif, tf] of annotation) {
    const hoco = /^([A-Z0-9]+)_HUMAN\.H\d+MO\./.exec(motif);
    if (hoco) byProtein.set(hoco[1]!, tf);
  }
  const altNames = new Map<string, string>();
  for (const m of options.motifs ?? [])
    if (m.altName) for (const k of motifClusterKeys(m)) altNames.set(k, m.altName);
  const sets = new Map<string, Set<string>>();
  table.motifs.forEach((motif, i) => {
    const label = table.clusters[i]!;
    const key = options.names?.get(label) ?? label;
    let s = sets.get(key);
    if (!s) sets.set(key, (s = new Set()));
    for (const tf of tfsOfMotif(motif, annotation, byProtein, altNames)) s.add(tf);
  });
  return new Map([...sets].map(([k, s]) => [k, [...s].sort()]));
}

/**
 * One cell type's expression (gene name upper-cased → log_cpm) from a
 * `gene-expression` table (cell-embedding's pseudobulk-expression output).
 */
export function groupExpression(table: Table, group: string): Map<string, number> {
  const g = table.getChild('group');
  const name = table.getChild('gene_name');
  const value = table.getChild('log_cpm');
  if (!g || !name || !value) {
    throw new ChromflowError('SCHEMA', 'the expression table lacks group, gene_name or log_cpm', {
      field: 'expression',
      expected: 'a gene-expression table (cell-embedding.pseudobulk-expression)',
      found: table.schema.fields.map((f) => f.name).join(', '),
    });
  }
  const out = new Map<string, number>();
  const groups = new Set<string>();
  for (let i = 0; i < table.numRows; i++) {
    const gi = String(g.get(i));
    groups.add(gi);
    if (gi === group) out.set(String(name.get(i)).toUpperCase(), Number(value.get(i)));
  }
  if (!groups.has(group)) {
    throw new ChromflowError('VALUE', `cell type '${group}' is not in the expression table`, {
      field: 'group',
      expected: [...groups].slice(0, 10).join(', '),
      found: group,
    });
  }
  return out;
}

/**
 * TF structures from a `plddt-domains` table (structure-analysis.plddt-domains,
 * whose `protein` param names the TF; several proteins' rows may share one
 * table): TF symbol (the `protein` column, upper-cased) → its domains. One
 * protein under two chains is ambiguous and a VALUE error.
 */
export function tfStructuresFromTable(table: Table, path?: string): Map<string, TfStructure> {
  requireEncoding(table, 'plddt-domains', path);
  requireColumns(
    table,
    [
      'protein',
      'chain',
      'residue_start',
      'residue_end',
      'confidence',
      'mean_plddt',
      'positive_ratio',
      'is_dbd',
    ],
    path,
  );
  const protein = stringsOf(table, 'protein', path);
  const chain = stringsOf(table, 'chain', path);
  const start = int32sOf(table, 'residue_start', path);
  const end = int32sOf(table, 'residue_end', path);
  const confidence = stringsOf(table, 'confidence', path);
  const plddt = table.getChild('mean_plddt')!;
  const positive = table.getChild('positive_ratio')!;
  const dbd = table.getChild('is_dbd')!;
  const out = new Map<string, TfStructure & { chain: string; domains: TfDomain[] }>();
  for (let i = 0; i < table.numRows; i++) {
    const key = protein[i]!.toUpperCase();
    let s = out.get(key);
    if (!s) out.set(key, (s = { protein: protein[i]!, chain: chain[i]!, domains: [] }));
    if (s.chain !== chain[i]) {
      throw new ChromflowError('VALUE', `protein '${protein[i]}' has domains on two chains`, {
        path,
        field: 'chain',
        expected: `one chain per TF (chain ${s.chain} as before)`,
        found: chain[i]!,
      });
    }
    const c = confidence[i];
    if (c !== 'high' && c !== 'low') {
      throw new ChromflowError('VALUE', `domain row ${i} has confidence '${c}'`, {
        path,
        field: 'confidence',
        expected: "'high' or 'low'",
        found: String(c),
      });
    }
    s.domains.push({
      residueStart: start[i]!,
      residueEnd: end[i]!,
      confidence: c,
      meanPlddt: Number(plddt.get(i)),
      positiveRatio: Number(positive.get(i)),
      isDbd: dbd.get(i) === true,
    });
  }
  return new Map([...out].map(([k, s]) => [k, { protein: s.protein, domains: s.domains }]));
}

function structureSummary(s: TfStructure): NonNullable<InteractionTf['structure']> {
  return {
    protein: s.protein,
    highConfidenceDomains: s.domains.filter((d) => d.confidence === 'high').length,
    dbd: s.domains.find((d) => d.isDbd),
    domains: s.domains.map((d) => `${d.residueStart}-${d.residueEnd}:${d.confidence}`).join(';'),
  };
}

/**
 * For each interaction, the `perCluster` (default 2) TFs of each motif's
 * cluster with the highest expression (ties: symbol order; TFs absent from the
 * expression map are skipped), with the structure summary where `structures`
 * (TF symbol, upper case → structure) has the TF. `missing` lists the motifs
 * with no TF symbols, or none expressed.
 */
export function interactionTfs(
  interactions: readonly { motifA: string; motifB: string; r: number }[],
  clusterTfs: ReadonlyMap<string, readonly string[]>,
  expression: ReadonlyMap<string, number>,
  options: { perCluster?: number; structures?: ReadonlyMap<string, TfStructure> } = {},
): { rows: InteractionTf[]; missing: string[] } {
  const perCluster = options.perCluster ?? 2;
  const top = new Map<string, { tf: string; expression: number }[]>();
  const missing = new Set<string>();
  const topOf = (motif: string) => {
    let t = top.get(motif);
    if (!t) {
      t = (clusterTfs.get(motif) ?? [])
        .flatMap((tf) => {
          const e = expression.get(tf.toUpperCase());
          return e === undefined ? [] : [{ tf, expression: e }];
        })
        .sort((a, b) => b.expression - a.expression || (a.tf < b.tf ? -1 : a.tf > b.tf ? 1 : 0))
        .slice(0, perCluster);
      top.set(motif, t);
      if (t.length === 0) missing.add(motif);
    }
    return t;
  };
  const rows: InteractionTf[] = [];
  for (const it of interactions) {
    for (const side of ['A', 'B'] as const) {
      const motif = side === 'A' ? it.motifA : it.motifB;
      topOf(motif).forEach((t, i) => {
        const s = options.structures?.get(t.tf.toUpperCase());
        rows.push({
          motifA: it.motifA,
          motifB: it.motifB,
          r: it.r,
          side,
          motif,
          tfRank: i + 1,
          tf: t.tf,
          expression: t.expression,
          ...(s ? { structure: structureSummary(s) } : {}),
        });
      });
    }
  }
  return { rows, missing: [...missing].sort() };
}

/** `interaction-tfs` table (schema in the README); structure columns NaN / '' where no structure was given. */
export function interactionTfsToTable(group: string, rows: readonly InteractionTf[]): Table {
  const num = (f: (r: InteractionTf) => number | undefined) =>
    Float64Array.from(rows, (r) => f(r) ?? NaN);
  return makeTable(
    {
      group: rows.map(() => group),
      motif_a: rows.map((r) => r.motifA),
      motif_b: rows.map((r) => r.motifB),
      r: num((r) => r.r),
      side: rows.map((r) => r.side),
      motif: rows.map((r) => r.motif),
      tf_rank: Int32Array.from(rows, (r) => r.tfRank),
      tf: rows.map((r) => r.tf),
      expression: num((r) => r.expression),
      protein: rows.map((r) => r.structure?.protein ?? ''),
      high_confidence_domains: Int32Array.from(
        rows,
        (r) => r.structure?.highConfidenceDomains ?? -1,
      ),
      dbd_residue_start: num((r) => r.structure?.dbd?.residueStart),
      dbd_residue_end: num((r) => r.structure?.dbd?.residueEnd),
      dbd_mean_plddt: num((r) => r.structure?.dbd?.meanPlddt),
      dbd_positive_ratio: num((r) => r.structure?.dbd?.positiveRatio),
      domains: rows.map((r) => r.structure?.domains ?? ''),
    },
    INTERACTION_TFS_ENCODING,
    INTERACTION_TFS_VERSION,
  );
}
