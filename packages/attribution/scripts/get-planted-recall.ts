/**
 * Planted truth for GET interpretation: on the simulator's GET program
 * (`get-planted.yaml` beside this script), how often each gene's planted
 * driver motifs rank in the top k of its gene × motif row (by |score|), per
 * cell type, against the same rows with the genes shuffled; and where the
 * planted cooperative pairs rank among motif–motif interactions (|r| across
 * genes, per type and pooled; GET keeps the top 5 %).
 *
 *   npx tsx --conditions=@chromflow/source packages/attribution/scripts/get-planted-recall.ts \
 *     <gene-motif.parquet> <truth.json> [k = 5] [shuffles = 200]
 */
import { readFileSync } from 'node:fs';
import { readTable, SeededRandom } from '@chromflow/core';
import { stringsOf } from '@chromflow/genome-io';
import { motifCorrelation } from '../src/motif-interactions.js';

const [gmPath, truthPath, kArg = '5', shufArg = '200'] = process.argv.slice(2);
if (!gmPath || !truthPath)
  throw new Error('usage: get-planted-recall.ts <gene-motif.parquet> <truth.json> [k] [shuffles]');
const k = Number(kArg);
const shuffles = Number(shufArg);

interface Truth {
  leftOutCellType: string;
  motifs: { id: string; tf: string }[];
  cooperativePairs: { motifs: string[]; effect: number }[];
  genes: { geneId: string; drivers: Record<string, string[]> }[];
}
const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as Truth;

const t = await readTable(gmPath);
const genes = stringsOf(t, 'gene', gmPath);
const types = stringsOf(t, 'cell_type', gmPath);
const motifs = stringsOf(t, 'motif', gmPath);
const score = t.getChild('score')!.toArray() as Float32Array;

// Columns: the program's motifs by id or TF name (the scan may name clusters either way).
const names = [...new Set(motifs)].filter((m) => m !== 'accessibility');
const toId = new Map<string, string>();
for (const m of truth.motifs) {
  toId.set(m.id, m.id);
  toId.set(m.tf, m.id);
}
const colIds = names.map((n) => toId.get(n) ?? n);
const unknown = names.filter((n) => !toId.has(n));
if (unknown.length > 0)
  console.warn(`columns not among the program's motifs: ${unknown.join(', ')}`);
const col = new Map(names.map((n, j) => [n, j]));
const P = names.length;

// rows[type][gene] = scores over the P motif columns.
const rows = new Map<string, Map<string, Float64Array>>();
for (let i = 0; i < genes.length; i++) {
  const j = col.get(motifs[i]!);
  if (j === undefined) continue;
  let byGene = rows.get(types[i]!);
  if (!byGene) rows.set(types[i]!, (byGene = new Map<string, Float64Array>()));
  let r = byGene.get(genes[i]!);
  if (!r) byGene.set(genes[i]!, (r = new Float64Array(P)));
  r[j] = score[i]!;
}

function topK(r: Float64Array): Set<string> {
  const idx = Array.from({ length: P }, (_, j) => j).sort(
    (a, b) => Math.abs(r[b]!) - Math.abs(r[a]!) || a - b,
  );
  return new Set(idx.slice(0, k).map((j) => colIds[j]!));
}

const drivers = new Map(truth.genes.map((g) => [g.geneId, g.drivers]));
const rng = new SeededRandom(0);
console.log(
  `recall@${k} of planted drivers (|gene × motif| rank among ${P} motifs; chance ≈ ${(k / P).toFixed(2)})`,
);
console.log('type\tgenes\tdrivers\trecall\tshuffled genes (mean of ' + shuffles + ')');
const totals = { trained: [0, 0, 0], leftOut: [0, 0, 0] };
for (const [type, byGene] of rows) {
  const list = [...byGene.keys()].filter((g) => (drivers.get(g)?.[type]?.length ?? 0) > 0);
  const recallOf = (rowOf: (i: number) => Float64Array): [number, number] => {
    let hit = 0;
    let all = 0;
    list.forEach((g, i) => {
      const top = topK(rowOf(i));
      for (const d of drivers.get(g)![type]!) {
        all++;
        if (top.has(d)) hit++;
      }
    });
    return [hit, all];
  };
  const [hit, all] = recallOf((i) => byGene.get(list[i]!)!);
  // Baseline: each gene's drivers scored against another gene's row of the same type.
  const pool = [...byGene.values()];
  let shuffled = 0;
  for (let s = 0; s < shuffles; s++) {
    const perm = rng.shuffle(Int32Array.from({ length: pool.length }, (_, i) => i));
    const [h, a] = recallOf((i) => pool[perm[i]!]!);
    shuffled += h / a;
  }
  const base = shuffled / shuffles;
  const tot = type === truth.leftOutCellType ? totals.leftOut : totals.trained;
  tot[0]! += hit;
  tot[1]! += all;
  tot[2]! += base * all;
  console.log(
    `${type}${type === truth.leftOutCellType ? ' (left out)' : ''}\t${list.length}\t${all}\t${(hit / all).toFixed(3)}\t${base.toFixed(3)}`,
  );
}
for (const [label, [h, a, b]] of Object.entries(totals))
  if (a! > 0)
    console.log(
      `${label}: recall@${k} ${(h! / a!).toFixed(3)} (${h}/${a}), shuffled ${(b! / a!).toFixed(3)}`,
    );

// Cooperative pairs: rank by |r| among all motif pairs, per type and pooled.
console.log(
  `\ncooperative pairs: rank by |r| among ${(P * (P - 1)) / 2} pairs (top 5 % = ranks ≤ ${Math.ceil(0.05 * ((P * (P - 1)) / 2))})`,
);
const groups: [string, Float64Array[]][] = [...rows].map(([type, m]) => [type, [...m.values()]]);
groups.push(['pooled', groups.flatMap(([, r]) => r)]);
for (const [group, rs] of groups) {
  const x = new Float64Array(rs.length * P);
  rs.forEach((r, i) => x.set(r, i * P));
  const c = motifCorrelation(x, rs.length, P);
  const pairs: { a: number; b: number; r: number }[] = [];
  for (let a = 0; a < P; a++)
    for (let b = a + 1; b < P; b++)
      if (Number.isFinite(c[a * P + b]!)) pairs.push({ a, b, r: c[a * P + b]! });
  pairs.sort((x, y) => Math.abs(y.r) - Math.abs(x.r));
  const out = truth.cooperativePairs.map((cp) => {
    const [ia, ib] = cp.motifs.map((m) => colIds.indexOf(m));
    const at = pairs.findIndex((p) => (p.a === ia && p.b === ib) || (p.a === ib && p.b === ia));
    return `${cp.motifs.join('+')} rank ${at < 0 ? 'n/a' : at + 1} (r ${at < 0 ? 'NaN' : pairs[at]!.r.toFixed(3)})`;
  });
  console.log(`${group}\t${out.join('\t')}`);
}
