import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ChromflowError, readTable } from '@chromflow/core';
import { genesFromTable, readBed, type Genes, type Regions } from '@chromflow/genome-io';
import type { ReportFigure, ReportSection } from '../html-report.js';
import { renderVegaLite } from '../render-svg.js';
import { coverageTracksSpec, type CoverageTrack } from '../figures/coverage-tracks.js';

export interface TracksOptions {
  /** Gene names or ids to show; empty: the genes with the most coverage near their TSS. */
  genes: readonly string[];
  /** Bases shown on each side of the TSS. */
  flank: number;
  /** Genes chosen when `genes` is empty. */
  maxGenes: number;
}

function trackOverlapping(r: Regions, chrom: string, start: number, end: number): CoverageTrack {
  const starts: number[] = [];
  const ends: number[] = [];
  const values: number[] = [];
  const chromId = r.chromNames.indexOf(chrom);
  const v = r.columns['value'];
  for (let i = 0; i < r.length; i++) {
    if (r.chromIds[i] !== chromId || r.ends[i]! <= start || r.starts[i]! >= end) continue;
    starts.push(r.starts[i]!);
    ends.push(r.ends[i]!);
    values.push(v instanceof Float64Array ? v[i]! : 0);
  }
  return { group: '', starts, ends, values };
}

const sum = (t: CoverageTrack): number => {
  let s = 0;
  for (let i = 0; i < t.values.length; i++)
    s += (t.values[i] as number) * ((t.ends[i] as number) - (t.starts[i] as number));
  return s;
};

/** Pseudobulk coverage (bedGraph per group) around chosen genes' TSSs, one browser-like panel per gene. */
export async function tracksSection(
  tracksDir: string,
  genesPath: string,
  o: TracksOptions,
): Promise<ReportSection> {
  const files = (await readdir(tracksDir)).filter((f) => f.endsWith('.bedGraph')).sort();
  if (files.length === 0)
    return {
      title: 'Pseudobulk tracks',
      paragraphs: [`No bedGraph tracks in ${tracksDir} (pseudobulk ran without fragments).`],
    };
  const tracks = await Promise.all(
    files.map(async (f) => ({
      group: basename(f, '.bedGraph'),
      regions: await readBed(join(tracksDir, f), { flavour: 'bedGraph' }),
    })),
  );
  const genes: Genes = genesFromTable(await readTable(genesPath), genesPath);
  const window = (g: number): [string, number, number] => [
    genes.chroms[g]!,
    Math.max(0, genes.tsses[g]! - o.flank),
    genes.tsses[g]! + o.flank + 1,
  ];
  let chosen: number[];
  if (o.genes.length > 0) {
    chosen = o.genes.map((name) => {
      const g = genes.geneNames.indexOf(name);
      const i = g >= 0 ? g : genes.geneIds.indexOf(name);
      if (i < 0)
        throw new ChromflowError('PARAM', `gene '${name}' is not in the genes table`, {
          path: genesPath,
          field: 'genes',
          expected: 'a gene name or id of the annotation',
        });
      return i;
    });
  } else {
    const scored = Array.from({ length: genes.length }, (_, g) => {
      const [chrom, s, e] = window(g);
      return {
        g,
        score: tracks.reduce((a, t) => a + sum(trackOverlapping(t.regions, chrom, s, e)), 0),
      };
    });
    chosen = scored
      .sort((a, b) => b.score - a.score || a.g - b.g)
      .slice(0, o.maxGenes)
      .filter((x) => x.score > 0)
      .map((x) => x.g);
  }
  const figures: ReportFigure[] = [];
  for (const g of chosen) {
    const [chrom, start, end] = window(g);
    const name = genes.geneNames[g] || genes.geneIds[g]!;
    figures.push({
      id: `tracks-${name.replace(/[^A-Za-z0-9_-]+/g, '_')}`,
      title: `${name} (${chrom}:${start + 1}-${end}, ${genes.strands[g]} strand)`,
      svg: await renderVegaLite(
        coverageTracksSpec({
          title: name,
          chrom,
          start,
          end,
          tss: genes.tsses[g]!,
          tracks: tracks.map((t) => ({
            ...trackOverlapping(t.regions, chrom, start, end),
            group: t.group,
          })),
        }),
      ),
      caption: 'Tn5 insertions per base summed over each group’s cells; the red line is the TSS.',
    });
  }
  return {
    title: 'Pseudobulk tracks',
    paragraphs: [
      `${files.length} groups; ${o.genes.length > 0 ? 'genes as asked' : `the ${chosen.length} genes with the most coverage within ±${o.flank} bp of their TSS`}.`,
    ],
    figures,
  };
}
