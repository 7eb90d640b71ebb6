import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '@chromflow/core';
import type { Fragment, Regions } from '@chromflow/genome-io';
import { writeBed, writeFasta, writeFragments } from '@chromflow/genome-io';
import type { SimDataset } from './dataset.js';
import { baseFrequencies, sliceText } from './genome-model.js';
import { formatGtf } from './gene-model.js';
import { formatMeme } from './motif-models.js';
import { formatMatrixMarket } from './rna-model.js';
import { formatTruthJson, makeTruth } from './truth.js';

/** The files of a data set, relative to its folder, in the order they are written. */
export const DATASET_FILES = [
  'genome.fa',
  'genome.fa.fai',
  'genes.gtf',
  'motifs.meme',
  'peaks.bed',
  'fragments.tsv.gz',
  'fragments.tsv.gz.tbi',
  'cells.tsv',
  'rna/matrix.mtx.gz',
  'rna/barcodes.tsv.gz',
  'rna/features.tsv.gz',
  'truth.json',
] as const;

/**
 * Gzip with a fixed header (mtime 0, no name), level 9. Byte-identical for
 * the same zlib build; across zlib builds only the decompressed bytes are
 * guaranteed equal (see docs/adr/0001-determinism-of-compressed-files.md).
 */
export function gzipText(text: string): Uint8Array {
  return gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
}

/** 10x fragments records of the data set, in file order (sorted by chrom, start, end, barcode). */
export function* fragmentRecords(ds: SimDataset): Generator<Fragment> {
  const f = ds.fragments;
  for (let i = 0; i < f.starts.length; i++) {
    yield {
      chrom: ds.chroms[f.chroms[i]!]!.name,
      start: f.starts[i]!,
      end: f.ends[i]!,
      barcode: ds.cells[f.cells[i]!]!.barcode,
      count: f.counts[i]!,
    };
  }
}

/** The peaks as genome-io regions (0-based half-open, names `peak…`). */
export function peakRegions(ds: SimDataset): Regions {
  const chromNames = ds.chroms.map((c) => c.name);
  const n = ds.peaks.length;
  return {
    chromNames,
    chromIds: Int32Array.from(ds.peaks, (p) => chromNames.indexOf(p.chrom)),
    starts: Int32Array.from(ds.peaks, (p) => p.start),
    ends: Int32Array.from(ds.peaks, (p) => p.end),
    names: ds.peaks.map((p) => p.name),
    columns: {},
    length: n,
  };
}

/** One written file and its size in bytes. */
export interface WrittenFile {
  path: string;
  bytes: number;
}

/** Where each part of a data set goes (the `.fai` and `.tbi` are written beside their files). */
export interface DatasetPaths {
  genome: string;
  genes: string;
  motifs: string;
  peaks: string;
  fragments: string;
  cells: string;
  /** Directory of the 10x MTX triple. */
  rna: string;
  truth: string;
}

/** The standard layout inside `dir` (the `test-data/` layout). */
export function datasetPathsIn(dir: string): DatasetPaths {
  return {
    genome: join(dir, 'genome.fa'),
    genes: join(dir, 'genes.gtf'),
    motifs: join(dir, 'motifs.meme'),
    peaks: join(dir, 'peaks.bed'),
    fragments: join(dir, 'fragments.tsv.gz'),
    cells: join(dir, 'cells.tsv'),
    rna: join(dir, 'rna'),
    truth: join(dir, 'truth.json'),
  };
}

/**
 * Writes every part of the data set to `paths`, each file atomically:
 * FASTA (+.fai), GTF, MEME, BED, 10x fragments (BGZF + .tbi), cells TSV,
 * 10x MTX folder, truth.json.
 */
export async function writeDatasetFiles(paths: DatasetPaths, ds: SimDataset): Promise<void> {
  await mkdir(paths.rna, { recursive: true });
  await writeFasta(
    paths.genome,
    ds.chroms.map((c) => ({ name: c.name, sequence: sliceText(c.seq, 0, c.seq.length) })),
  );
  await writeFileAtomic(paths.genes, formatGtf(ds.genes));
  await writeFileAtomic(paths.motifs, formatMeme(ds.options.motifs, baseFrequencies(ds.chroms)));
  await writeBed(paths.peaks, peakRegions(ds));
  await writeFragments(paths.fragments, fragmentRecords(ds));
  await writeFileAtomic(
    paths.cells,
    `barcode\tcell_type\n${ds.cells.map((c) => `${c.barcode}\t${c.cellType}\n`).join('')}`,
  );
  await writeFileAtomic(
    join(paths.rna, 'matrix.mtx.gz'),
    gzipText(formatMatrixMarket(ds.rnaCounts, ds.cells.length, ds.genes.length)),
  );
  await writeFileAtomic(
    join(paths.rna, 'barcodes.tsv.gz'),
    gzipText(ds.cells.map((c) => `${c.barcode}\n`).join('')),
  );
  await writeFileAtomic(
    join(paths.rna, 'features.tsv.gz'),
    gzipText(ds.genes.map((g) => `${g.geneId}\t${g.geneName}\tGene Expression\n`).join('')),
  );
  await writeFileAtomic(paths.truth, formatTruthJson(makeTruth(ds)));
}

/**
 * Writes the data set's files into `dir` (created if missing) in the
 * `test-data/` layout (`DATASET_FILES`) and returns each file with its size.
 */
export async function writeDataset(dir: string, ds: SimDataset): Promise<WrittenFile[]> {
  await writeDatasetFiles(datasetPathsIn(dir), ds);
  const out: WrittenFile[] = [];
  for (const f of DATASET_FILES) out.push({ path: f, bytes: (await stat(join(dir, f))).size });
  return out;
}
