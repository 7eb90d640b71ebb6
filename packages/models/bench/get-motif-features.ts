/**
 * GET's motif-feature step (`makeGetMotifFeatures`: scan + sum per (region,
 * cluster) + ÷ max) against genome-io's motif scan alone, in the same run,
 * alternating which goes first, best of `rounds`: regions × motifs per
 * second. Data: test-data/'s peaks (1,344-bp windows) and its MEME motifs,
 * one cluster per motif.
 */
import { fileURLToPath } from 'node:url';
import {
  makeMotifScanner,
  makeWindows,
  openFasta,
  readBed,
  readMotifs,
  readWindowCodes,
  scanMotifs,
} from '@chromflow/genome-io';
import { makeGetMotifFeatures } from '../src/get/motif-features.js';

export interface GetMotifFeaturesBench {
  regions: number;
  motifs: number;
  threads: number;
  features_seconds: number;
  scan_seconds: number;
  features_region_motifs_per_s: number;
  scan_region_motifs_per_s: number;
  /** Feature step time ÷ scan time (1 = the aggregation costs nothing). */
  ratio: number;
}

export async function benchGetMotifFeatures(
  threads = 2,
  rounds = 3,
): Promise<GetMotifFeaturesBench> {
  const data = (f: string): string =>
    fileURLToPath(new URL(`../../../test-data/${f}`, import.meta.url));
  const fasta = await openFasta(data('genome.fa'));
  const windows = makeWindows(await readBed(data('peaks.bed')), fasta.chromSizes, {
    width: 1344,
  });
  const batch = await readWindowCodes(fasta, windows);
  const { motifs } = await readMotifs(data('motifs.meme'));
  const sources = { motifs, files: motifs.map(() => 'motifs.meme') };
  const table = { motifs: motifs.map((m) => m.id), clusters: motifs.map((_, i) => String(i + 1)) };
  const feat: number[] = [];
  const scan: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const which of r % 2 ? ['scan', 'features'] : ['features', 'scan']) {
      const t0 = performance.now();
      if (which === 'features') {
        await makeGetMotifFeatures(batch, sources, table, { threads });
        feat.push((performance.now() - t0) / 1000);
      } else {
        await scanMotifs(makeMotifScanner(motifs, { pValue: 1e-4 }), batch, { threads });
        scan.push((performance.now() - t0) / 1000);
      }
    }
  }
  const pairs = windows.length * motifs.length;
  const f = Math.min(...feat);
  const s = Math.min(...scan);
  return {
    regions: windows.length,
    motifs: motifs.length,
    threads,
    features_seconds: f,
    scan_seconds: s,
    features_region_motifs_per_s: pairs / f,
    scan_region_motifs_per_s: pairs / s,
    ratio: f / s,
  };
}
