/**
 * GET's motif features from the Vierstra v1.0 archetypes on real sequence:
 * the 564 XChrom E18 mouse-brain peaks (1,344 bp), JASPAR 2018 (renamed) +
 * HOCOMOCO v11 human + the six Jolma 2013 tables, clusters.0.70.txt, GET's
 * 282 names. Prints how many clusters get GET's name, the hits, and the
 * throughput (regions × motifs per second) of the whole feature step against
 * genome-io's scan alone, measured in the same run, alternating order.
 *
 *   npx tsx --conditions=@chromflow/source packages/models/scripts/get-vierstra-features.ts
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sharedDataFile } from '@chromflow/core';
import {
  makeMotifScanner,
  readClusterNames,
  readMotifClusters,
  readMotifs,
  scanMotifs,
} from '@chromflow/genome-io';
import { parseFastaCodes } from '../src/data/read-xchrom-e18.js';
import { makeGetMotifFeatures } from '../src/get/motif-features.js';
import type { MotifSources } from '../src/get/motif-features.js';

const motifsDir = sharedDataFile('motifs');
const fasta = sharedDataFile('multiome', 'xchrom_e18_mouse_brain', 'seqs_1344bp.fa');
if (!motifsDir || !fasta) {
  console.warn('skipping: shared/data motifs or the XChrom E18 FASTA not found');
  process.exit(0);
}
const files = [
  'JASPAR2018_CORE_vertebrates_non-redundant_pfms.renamed.meme',
  'HOCOMOCOv11_core_HUMAN_mono_meme_format.meme',
  ...[1, 2, 3, 4, 5, 6].map((i) => `jolma2013/table_s3-${i}.meme`),
];
const sources: MotifSources = { motifs: [], files: [] };
for (const f of files) {
  const set = await readMotifs(join(motifsDir, f));
  sources.motifs.push(...set.motifs);
  sources.files.push(...set.motifs.map(() => f));
}
const table = await readMotifClusters(
  join(motifsDir, 'vierstra_motif_clusters_v1.0/clusters.0.70.txt'),
);
const getNames = await readClusterNames(join(motifsDir, 'get_model_human_motif_cluster_id.txt'));
const seqs = parseFastaCodes(await readFile(fasta, 'utf8'), fasta);
const n = seqs.names.length;
const batch = {
  codes: seqs.codes,
  offsets: Int32Array.from({ length: n + 1 }, (_, i) => i * seqs.length),
};
const pairs = n * sources.motifs.length;
const timesFeatures: number[] = [];
const timesScan: number[] = [];
let result: Awaited<ReturnType<typeof makeGetMotifFeatures>> | undefined;
for (let rep = 0; rep < 2; rep++) {
  for (const which of rep % 2 ? ['scan', 'features'] : ['features', 'scan']) {
    const t0 = performance.now();
    if (which === 'features') {
      result = await makeGetMotifFeatures(batch, sources, table, {
        allowAbsent: /_MOUSE\.H11MO/,
        getNames,
        threads: 2,
      });
      timesFeatures.push((performance.now() - t0) / 1000);
    } else {
      await scanMotifs(makeMotifScanner(sources.motifs, { pValue: 1e-4 }), batch, { threads: 2 });
      timesScan.push((performance.now() - t0) / 1000);
    }
  }
}
const f = result!;
const best = (xs: number[]): number => Math.min(...xs);
const nonZero = f.matrix.values.reduce((a, v) => a + (v > 0 ? 1 : 0), 0);
console.log(
  `${n} regions × ${sources.motifs.length} motifs (${files.length} files) → ${f.clusterIds.length} clusters, ` +
    `${f.getNames.filter((x) => x).length} named as GET names them; ${f.hits.count} hits (p ≤ 1e-4), ` +
    `${((100 * nonZero) / f.matrix.values.length).toFixed(1)} % non-zero features`,
);
console.log(
  `features ${best(timesFeatures).toFixed(2)} s (${Math.round(pairs / best(timesFeatures)).toLocaleString('en')} region×motif/s), ` +
    `scan alone ${best(timesScan).toFixed(2)} s (${Math.round(pairs / best(timesScan)).toLocaleString('en')} region×motif/s), ` +
    `ratio ${(best(timesFeatures) / best(timesScan)).toFixed(2)}`,
);
