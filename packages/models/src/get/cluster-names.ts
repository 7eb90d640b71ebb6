import { motifClusterKeys } from '@chromflow/genome-io';
import type { Motif, MotifClusterTable } from '@chromflow/genome-io';

/**
 * GET's archetype names (`AP1/1`, `CTCF`, … 282 of them) against the numeric
 * Vierstra v1.0 clusters (1…286). The id → name table (the Vierstra web
 * annotation) is not public, so names are joined only where the motif table
 * itself decides: a GET name without a `/k` family number and without `+`
 * is matched to a cluster when that name is the TF symbol of member motifs
 * of exactly one cluster, and no other name claims that cluster. A member's
 * TF symbols are read from its name in the table (`CTCF_MA0139.1`,
 * `AHR_HUMAN.H11MO.0.B`) and, where `motifs` are given, from the motif
 * file's alt name (`MOTIF SIM.CTCF CTCF`; `FOS::JUN` gives FOS and JUN). On the
 * v1.0 table this names 53 clusters (CTCF, AHR, EBF1, SRF, YY1, ZNF143 …);
 * family names (`HD/3`, `KLF/SP/2`) and the rest keep their numeric id.
 */

/** TF symbol(s) of a motif name in the Vierstra table, upper-cased (`Ahr+Arnt_MA0006.1` → AHR, ARNT). */
export function tfSymbolsOfMotifName(motif: string): string[] {
  const head = motif.split('_')[0] ?? motif;
  return head
    .split('+')
    .map((s) => s.toUpperCase())
    .filter((s) => s !== '');
}

/** Cluster label → GET name, for the clusters the rule above can name. */
export function matchGetClusterNames(
  table: MotifClusterTable,
  getNames: readonly string[],
  motifs: readonly Motif[] = [],
): Map<string, string> {
  const altNames = new Map<string, string>();
  for (const motif of motifs) {
    if (!motif.altName) continue;
    for (const k of motifClusterKeys(motif)) altNames.set(k, motif.altName);
  }
  const clustersOfTf = new Map<string, Set<string>>();
  table.motifs.forEach((m, i) => {
    const alt = altNames.get(m) ?? '';
    const symbols = [
      ...tfSymbolsOfMotifName(m),
      ...alt
        .split(/::|\+/)
        .map((s) => s.toUpperCase())
        .filter((s) => s !== ''),
    ];
    for (const tf of new Set(symbols)) {
      let s = clustersOfTf.get(tf);
      if (!s) clustersOfTf.set(tf, (s = new Set()));
      s.add(table.clusters[i]!);
    }
  });
  const claims = new Map<string, string[]>();
  for (const name of getNames) {
    if (name.includes('/') || name.includes('+')) continue;
    const candidates = clustersOfTf.get(name.toUpperCase());
    if (candidates?.size !== 1) continue;
    const cluster = [...candidates][0]!;
    claims.set(cluster, [...(claims.get(cluster) ?? []), name]);
  }
  const out = new Map<string, string>();
  for (const [cluster, names] of claims) if (names.length === 1) out.set(cluster, names[0]!);
  return out;
}
