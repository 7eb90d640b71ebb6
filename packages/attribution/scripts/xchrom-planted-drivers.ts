/**
 * Planted truth for XChrom motif activity (issue 14): does the activity rank
 * each cell type's planted driver motifs first for the cells of that type?
 * Reads the `attribution.xchrom-motif-activity` table of a run on the
 * simulator's data, the cell labels and truth.json's `motifDrivesCellType`.
 * Per type it prints each motif's mean Δlogit and mean z over the type's
 * cells, the rank of each driver (by mean z, 1 = first), whether the drivers
 * fill the top places, and the share of the type's cells whose own top motif
 * (by z) is one of the type's drivers; then the driver ranks by mean Δlogit
 * centred per motif over all cells (z without the division by the motif's
 * sd, which lifts motifs whose Δ barely varies). CTCF, planted in every type, is no
 * driver of any one type: per-motif z-scores leave it near 0 everywhere.
 *
 *   npx tsx --conditions=@chromflow/source packages/attribution/scripts/xchrom-planted-drivers.ts \
 *     <activity.parquet> <cells.tsv> <truth.json>
 */
import { readFileSync } from 'node:fs';
import { readTable } from '@chromflow/core';
import { stringsOf } from '@chromflow/genome-io';

const [actPath, cellsPath, truthPath] = process.argv.slice(2);
if (!actPath || !cellsPath || !truthPath)
  throw new Error('usage: xchrom-planted-drivers.ts <activity.parquet> <cells.tsv> <truth.json>');

const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as {
  motifDrivesCellType: Record<string, Record<string, number>>;
};
const labelOf = new Map<string, string>();
const [header, ...rows] = readFileSync(cellsPath, 'utf8').trim().split('\n');
const cols = header!.split('\t');
const bi = cols.indexOf('barcode');
const ti = cols.indexOf('cell_type');
if (bi < 0 || ti < 0) throw new Error(`${cellsPath}: needs barcode and cell_type columns`);
for (const r of rows) {
  const f = r.split('\t');
  labelOf.set(f[bi]!, f[ti]!);
}

const t = await readTable(actPath);
const barcodes = stringsOf(t, 'barcode', actPath);
const motifCol = stringsOf(t, 'motif', actPath);
const delta = t.getChild('delta_logit')!.toArray() as Float32Array;
const z = t.getChild('zscore')!.toArray() as Float32Array;
const motifs = [...new Set(motifCol)];
const M = motifs.length;
const C = barcodes.length / M;
const cellBarcodes = Array.from({ length: C }, (_, c) => barcodes[c * M]!);

// A driver of a type: planted with weight > 0 in it and not in every type (CTCF).
const driversOf = (type: string): string[] =>
  motifs.filter((m) => {
    const w = truth.motifDrivesCellType[m];
    if (!w || (w[type] ?? 0) <= 0) return false;
    return !Object.values(w).every((v) => v > 0);
  });

const centre = new Float64Array(M);
for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) centre[m]! += delta[c * M + m]! / C;

const types = [...new Set(cellBarcodes.map((b) => labelOf.get(b) ?? '(unlabelled)'))].sort();
let allFirst = true;
for (const type of types) {
  const cells = cellBarcodes.flatMap((b, c) => (labelOf.get(b) === type ? [c] : []));
  const meanZ = new Float64Array(M);
  const meanD = new Float64Array(M);
  for (const c of cells)
    for (let m = 0; m < M; m++) {
      meanZ[m]! += z[c * M + m]! / cells.length;
      meanD[m]! += delta[c * M + m]! / cells.length;
    }
  const order = motifs.map((_, m) => m).sort((a, b) => meanZ[b]! - meanZ[a]!);
  const byDelta = motifs
    .map((_, m) => m)
    .sort((a, b) => meanD[b]! - centre[b]! - (meanD[a]! - centre[a]!));
  const drivers = driversOf(type);
  const rank = (name: string) => order.findIndex((m) => motifs[m] === name) + 1;
  const rankDelta = (name: string) => byDelta.findIndex((m) => motifs[m] === name) + 1;
  const ranks = drivers.map((d) => ({ d, r: rank(d) }));
  const first = ranks.every(({ r }) => r <= drivers.length);
  if (drivers.length > 0) allFirst &&= first;
  let cellHits = 0;
  for (const c of cells) {
    let best = 0;
    for (let m = 1; m < M; m++) if (z[c * M + m]! > z[c * M + best]!) best = m;
    if (drivers.includes(motifs[best]!)) cellHits++;
  }
  console.log(
    `${type} (${cells.length} cells): drivers ${ranks.map(({ d, r }) => `${d} rank ${r}`).join(', ') || 'none'}` +
      ` | drivers first: ${first ? 'yes' : 'no'} | cells whose top motif is a driver: ${cellHits}/${cells.length}` +
      ` | by centred Δ: ${drivers.map((d) => `${d} rank ${rankDelta(d)}`).join(', ') || 'none'}`,
  );
  console.log(
    '  ' +
      order
        .map((m) => `${motifs[m]} z ${meanZ[m]!.toFixed(2)} Δ ${meanD[m]!.toFixed(3)}`)
        .join(', '),
  );
}
console.log(`every type's drivers ranked first: ${allFirst ? 'yes' : 'no'}`);
