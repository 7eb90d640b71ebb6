import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@chromflow/core';
import { writeBed, writeFasta, writeFragments } from '@chromflow/genome-io';
import { formatGtf } from './gene-model.js';
import { baseFrequencies, sliceText } from './genome-model.js';
import type { GetProgram } from './get-program.js';
import { makeGetProgramTruth } from './get-program-truth.js';
import { formatMeme } from './motif-models.js';
import { formatMatrixMarket } from './rna-model.js';
import { formatTruthJson } from './truth.js';
import type { WrittenFile } from './write-dataset.js';
import { DATASET_FILES, datasetPathsIn, gzipText } from './write-dataset.js';

/**
 * Writes the GET program in the `test-data/` layout (`DATASET_FILES`), so the
 * same workflow runs on it: genome, GTF, MEME, regions as peaks.bed,
 * fragments (+ .tbi), cells.tsv, the 10x MTX folder, and its own truth.json.
 */
export async function writeGetProgram(dir: string, p: GetProgram): Promise<WrittenFile[]> {
  const paths = datasetPathsIn(dir);
  await mkdir(paths.rna, { recursive: true });
  await writeFasta(
    paths.genome,
    p.chroms.map((c) => ({ name: c.name, sequence: sliceText(c.seq, 0, c.seq.length) })),
  );
  await writeFileAtomic(paths.genes, formatGtf(p.genes, 'chromflow-sim-get'));
  await writeFileAtomic(paths.motifs, formatMeme(p.options.motifs, baseFrequencies(p.chroms)));
  const chromNames = p.chroms.map((c) => c.name);
  await writeBed(paths.peaks, {
    chromNames,
    chromIds: Int32Array.from(p.regions, (r) => chromNames.indexOf(r.chrom)),
    starts: Int32Array.from(p.regions, (r) => r.start),
    ends: Int32Array.from(p.regions, (r) => r.end),
    names: p.regions.map((r) => r.name),
    columns: {},
    length: p.regions.length,
  });
  await writeFragments(
    paths.fragments,
    p.fragments.map((f) => ({
      chrom: chromNames[f.chrom]!,
      start: f.start,
      end: f.end,
      barcode: p.cells[f.cell]!.barcode,
      count: 1,
    })),
  );
  const types = p.options.cellTypes;
  await writeFileAtomic(
    paths.cells,
    `barcode\tcell_type\n${p.cells.map((c) => `${c.barcode}\t${types[c.type]!.name}\n`).join('')}`,
  );
  await writeFileAtomic(
    join(paths.rna, 'matrix.mtx.gz'),
    gzipText(formatMatrixMarket(p.umis, p.cells.length, p.genes.length)),
  );
  await writeFileAtomic(
    join(paths.rna, 'barcodes.tsv.gz'),
    gzipText(p.cells.map((c) => `${c.barcode}\n`).join('')),
  );
  await writeFileAtomic(
    join(paths.rna, 'features.tsv.gz'),
    gzipText(p.genes.map((g) => `${g.geneId}\t${g.geneName}\tGene Expression\n`).join('')),
  );
  await writeFileAtomic(paths.truth, formatTruthJson(makeGetProgramTruth(p)));
  const out: WrittenFile[] = [];
  for (const f of DATASET_FILES) out.push({ path: f, bytes: (await stat(join(dir, f))).size });
  return out;
}
