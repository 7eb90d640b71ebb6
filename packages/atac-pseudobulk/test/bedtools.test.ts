import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedDataFile } from '@chromflow/core';
import { readBed } from '@chromflow/genome-io';
import { RegionCounter, TileCounter, scanFragments, type CountMethod } from '../src/index.js';

const hasBedtools = spawnSync('bedtools', ['--version']).status === 0;
if (!hasBedtools) console.warn('skipping: bedtools is not installed (apt-get install bedtools)');

/** Column sums of `bedtools intersect -c -a regions -b features` (one count per overlapping feature). */
function bedtoolsCounts(regionsPath: string, featuresPath: string): number[] {
  const out = execFileSync('bedtools', ['intersect', '-c', '-a', regionsPath, '-b', featuresPath], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  return out
    .trim()
    .split('\n')
    .map((l) => Number(l.split('\t').at(-1)));
}

async function ourColumnSums(
  fragmentsPath: string,
  regionsPath: string,
  method: CountMethod,
): Promise<number[]> {
  const regions = await readBed(regionsPath);
  const counter = new RegionCounter(regions, { method });
  await scanFragments(fragmentsPath, [counter]);
  const { matrix } = counter.finish();
  const sums = new Array<number>(matrix.nCols).fill(0);
  for (let k = 0; k < matrix.cols.length; k++) sums[matrix.cols[k]!]! += matrix.values[k]!;
  return sums;
}

const dir = mkdtempSync(join(tmpdir(), 'atac-bedtools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasBedtools)('differential against bedtools intersect -c', () => {
  const pbsmall = sharedDataFile('atac', 'archr_pbsmall_hg19', 'PBSmall.tsv.gz');
  it.skipIf(!pbsmall)(
    'fragment-overlap column sums equal bedtools on ArchR PBSmall peaks',
    async () => {
      const peaks = sharedDataFile('atac', 'archr_pbsmall_hg19', 'peak_matrix_archr_peaks.bed')!;
      const ours = await ourColumnSums(pbsmall!, peaks, 'fragment-overlap');
      const theirs = bedtoolsCounts(peaks, pbsmall!);
      expect(theirs).toHaveLength(2142);
      expect(ours).toEqual(theirs);
    },
  );

  for (const seed of [1, 2, 3]) {
    it(`seeded edge cases (seed ${seed}): overlap and cut-site sums equal bedtools`, async () => {
      let state = seed * 7919;
      const rand = (n: number): number => {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        return state % n;
      };
      // Regions: overlapping, nested, abutting, 1-bp; fragments: 1–600 bp, starting at region edges.
      const regions: { chrom: string; start: number; end: number }[] = [];
      for (const chrom of ['chr1', 'chr2']) {
        for (let i = 0; i < 60; i++) {
          const start = rand(5000);
          const len = [1, 2, 50, 500][rand(4)]!;
          regions.push({ chrom, start, end: start + len });
          if (rand(3) === 0)
            regions.push({ chrom, start: start + len, end: start + len + 1 + rand(30) });
        }
      }
      const edges = regions.flatMap((r) => [r.start, r.end, r.start - 1, r.end - 1]);
      const frags: string[] = [];
      for (const chrom of ['chr1', 'chr2', 'chr3']) {
        const starts: number[] = [];
        for (let i = 0; i < 800; i++)
          starts.push(Math.max(0, rand(2) ? edges[rand(edges.length)]! : rand(5600)));
        starts.sort((a, b) => a - b);
        for (const s of starts)
          frags.push(`${chrom}\t${s}\t${s + 1 + rand(600)}\tBC${rand(20)}\t1`);
      }
      const fragPath = join(dir, `f${seed}.tsv`);
      const regPath = join(dir, `r${seed}.bed`);
      writeFileSync(fragPath, frags.join('\n') + '\n');
      writeFileSync(
        regPath,
        regions.map((r) => `${r.chrom}\t${r.start}\t${r.end}`).join('\n') + '\n',
      );
      expect(await ourColumnSums(fragPath, regPath, 'fragment-overlap')).toEqual(
        bedtoolsCounts(regPath, fragPath),
      );
      // Cut sites as 1-bp BED records (0-based start and end-1) are bedtools' view of insertions.
      const cuts = frags.flatMap((l) => {
        const [c, s, e] = l.split('\t');
        return [`${c}\t${s}\t${Number(s) + 1}`, `${c}\t${Number(e) - 1}\t${e}`];
      });
      const cutPath = join(dir, `c${seed}.bed`);
      writeFileSync(cutPath, cuts.join('\n') + '\n');
      expect(await ourColumnSums(fragPath, regPath, 'cellranger-cutsites')).toEqual(
        bedtoolsCounts(regPath, cutPath),
      );
      // Tiles: bedtools makewindows over the same chromosome sizes, cut sites counted per window.
      const sizes = new Map([
        ['chr1', 6300],
        ['chr2', 6250],
        ['chr3', 7000],
      ]);
      const genomePath = join(dir, `g${seed}.txt`);
      writeFileSync(genomePath, [...sizes].map(([c, n]) => `${c}\t${n}`).join('\n') + '\n');
      const windows = execFileSync('bedtools', ['makewindows', '-g', genomePath, '-w', '500'], {
        encoding: 'utf8',
      });
      const winPath = join(dir, `w${seed}.bed`);
      writeFileSync(winPath, windows);
      const tiles = new TileCounter({ tileSize: 500, chromSizes: sizes });
      await scanFragments(fragPath, [tiles]);
      const t = tiles.finish();
      const tileSums = new Array<number>(t.matrix.nCols).fill(0);
      for (let k = 0; k < t.matrix.cols.length; k++)
        tileSums[t.matrix.cols[k]!]! += t.matrix.values[k]!;
      const tileBed = Array.from(
        t.tiles.starts,
        (st, i) => `${t.tiles.chromNames[t.tiles.chromIds[i]!]}\t${st}\t${t.tiles.ends[i]}`,
      );
      expect(tileBed.join('\n') + '\n').toBe(windows);
      expect(tileSums).toEqual(bedtoolsCounts(winPath, cutPath));
    });
  }
});
