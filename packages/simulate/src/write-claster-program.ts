import { mkdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '@chromflow/core';
import { type SignalIntervals, writeBigWig } from '@chromflow/genome-io';
import { writeCooler } from '@chromflow/structure-analysis';
import { CLASTER_PROGRAM_MARKS, type ClasterProgram } from './claster-program.js';
import { makeClasterProgramTruth } from './claster-program-truth.js';
import { formatGtf } from './gene-model.js';
import { formatTruthJson } from './truth.js';
import type { WrittenFile } from './write-dataset.js';

/** Where the CLASTER program's files go. */
export interface ClasterProgramPaths {
  /** Folder of `<mark>.bw` (ATAC, H3K4me3, H3K27ac, H3K27me3). */
  tracks: string;
  contacts: string;
  genes: string;
  targets: string;
  truth: string;
}

export function clasterProgramPathsIn(dir: string): ClasterProgramPaths {
  return {
    tracks: join(dir, 'tracks'),
    contacts: join(dir, 'contacts.cool'),
    genes: join(dir, 'genes.gtf'),
    targets: join(dir, 'eu-seq.bw'),
    truth: join(dir, 'truth.json'),
  };
}

/** A grid track as bigWig intervals: runs of equal non-zero values merged, zeros left as gaps. */
export function gridToIntervals(
  values: ArrayLike<number>,
  bin: number,
  length: number,
): SignalIntervals {
  const s: number[] = [];
  const e: number[] = [];
  const v: number[] = [];
  for (let k = 0; k < values.length; k++) {
    const x = Math.fround(values[k]!);
    if (x === 0) continue;
    const lo = k * bin;
    const hi = Math.min((k + 1) * bin, length);
    if (v.length > 0 && e[e.length - 1] === lo && v[v.length - 1] === x) e[e.length - 1] = hi;
    else {
      s.push(lo);
      e.push(hi);
      v.push(x);
    }
  }
  return { starts: Int32Array.from(s), ends: Int32Array.from(e), values: Float32Array.from(v) };
}

/**
 * Writes the program: observed marks as bigWig (100 bp), the observed contact
 * map as `.cool` with ICE weights, genes as GTF, observed EU-seq as bigWig
 * (1 kbp), and truth.json.
 */
export async function writeClasterProgramFiles(
  paths: ClasterProgramPaths,
  p: ClasterProgram,
): Promise<void> {
  const o = p.options;
  const chroms = p.chroms.map((c) => ({ name: c.name, length: c.length }));
  await mkdir(paths.tracks, { recursive: true });
  for (let m = 0; m < CLASTER_PROGRAM_MARKS.length; m++) {
    await writeBigWig(join(paths.tracks, `${CLASTER_PROGRAM_MARKS[m]}.bw`), {
      chroms,
      intervals: new Map(
        p.chroms.map((c) => [c.name, gridToIntervals(c.observedMarks[m]!, o.trackBin, c.length)]),
      ),
    });
  }
  await writeCooler(paths.contacts, {
    chroms,
    binSize: o.contactBin,
    bin1: p.contacts.bin1,
    bin2: p.contacts.bin2,
    count: p.contacts.count,
    weights: p.contacts.weights,
    assembly: 'chromflow-sim-claster',
  });
  await writeFileAtomic(paths.genes, formatGtf(p.genes, 'chromflow-sim-claster'));
  await writeBigWig(paths.targets, {
    chroms,
    intervals: new Map(
      p.chroms.map((c, i) => [c.name, gridToIntervals(p.observedEu[i]!, o.targetBin, c.length)]),
    ),
  });
  await writeFileAtomic(paths.truth, formatTruthJson(makeClasterProgramTruth(p)));
}

/** Writes the program into `dir` (layout of {@link clasterProgramPathsIn}); lists the files. */
export async function writeClasterProgram(dir: string, p: ClasterProgram): Promise<WrittenFile[]> {
  const paths = clasterProgramPathsIn(dir);
  await writeClasterProgramFiles(paths, p);
  const files = [
    ...CLASTER_PROGRAM_MARKS.map((m) => join(paths.tracks, `${m}.bw`)),
    paths.contacts,
    paths.genes,
    paths.targets,
    paths.truth,
  ];
  const out: WrittenFile[] = [];
  for (const f of files) out.push({ path: relative(dir, f), bytes: (await stat(f)).size });
  return out;
}
