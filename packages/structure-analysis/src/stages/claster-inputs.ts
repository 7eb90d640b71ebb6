import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ChromflowError, defineStage, writeFileAtomic, writeTable } from '@chromflow/core';
import { readGenes } from '@chromflow/genome-io';
import { CLASTER_TRACKS } from '../claster-layout.js';
import { type ClasterGene, makeClasterSamples } from '../claster-samples.js';
import {
  adoptLengths,
  findTrackFiles,
  fragmentsTrackSource,
  openTrackSources,
} from '../claster-track-sources.js';
import { makeClasterWindowPadded } from '../claster-window.js';
import { openCooler } from '../cooler.js';
import { encodeNpy } from '../npy.js';

export type ClasterInputsParams = {
  tracks: string[];
  validation_chroms: string[];
  test_chroms: string[];
  landscape_bin: number;
  landscape_bins: number;
  target_bin: number;
  target_bins: number;
  biotypes: string[];
  contact_half_window: number;
  contact_form: 'rotated' | 'square';
  balance: boolean;
  fragments_track: string;
};

/**
 * CLASTER's samples from tracks, genes, an optional contact map and an
 * optional nascent-transcription track: the `claster-samples` table and, in
 * the `arrays` folder, `.npy` arrays (numpy / torch load them as they are).
 */
export const clasterInputsStage = defineStage<ClasterInputsParams>({
  name: 'structure-analysis.claster-inputs',
  version: '1',
  description:
    'CLASTER samples: per protein-coding TSS the tracks binned at 100 bp over ±500 kbp (10,001 bins, gene orientation, off-chromosome bins padded and masked), optional 45°-rotated log10 contact windows from a balanced .cool, and the EU-seq target in 401 × 1 kbp; splits by chromosome.',
  params: {
    type: 'object',
    properties: {
      tracks: {
        type: 'array',
        items: { type: 'string' },
        minItems: 1,
        description:
          'Track names, in array order; each is <name>.bw|.bigWig|.bedGraph|.bg in the tracks folder.',
        default: [...CLASTER_TRACKS],
      },
      validation_chroms: {
        type: 'array',
        items: { type: 'string' },
        description: 'Chromosomes whose genes form the validation split (CLASTER: chr17).',
        default: ['chr17'],
      },
      test_chroms: {
        type: 'array',
        items: { type: 'string' },
        description: 'Chromosomes whose genes form the test split (CLASTER: chr4).',
        default: ['chr4'],
      },
      landscape_bin: {
        type: 'integer',
        description: 'Landscape bin size in bp (even).',
        default: 100,
        minimum: 2,
      },
      landscape_bins: {
        type: 'integer',
        description: 'Landscape bins, odd, TSS in the middle one (CLASTER: 10,001).',
        default: 10001,
        minimum: 1,
      },
      target_bin: {
        type: 'integer',
        description: 'Target bin size in bp (even).',
        default: 1000,
        minimum: 2,
      },
      target_bins: {
        type: 'integer',
        description: 'Target bins, odd (CLASTER: 401).',
        default: 401,
        minimum: 1,
      },
      biotypes: {
        type: 'array',
        items: { type: 'string' },
        description: 'Gene biotypes kept (CLASTER: protein-coding genes); [] keeps all.',
        default: ['protein_coding'],
      },
      contact_half_window: {
        type: 'integer',
        description: 'Contact window half-width in bp (CLASTER: 500,000 → 626 bins at 1.6 kb).',
        default: 500000,
        minimum: 1,
      },
      contact_form: {
        type: 'string',
        enum: ['rotated', 'square'],
        description: "'rotated' (CLASTER's 45° half-map) or the 'square' window.",
        default: 'rotated',
      },
      balance: {
        type: 'boolean',
        description: 'Balanced contacts (needs bins/weight in the .cool), as CLASTER.',
        default: true,
      },
      fragments_track: {
        type: 'string',
        description:
          'With a fragments input, the track made from it (Tn5 insertions per base, all barcodes) instead of a file.',
        default: 'ATAC',
      },
    },
    additionalProperties: false,
  },
  inputs: {
    tracks: {
      kind: 'directory',
      type: 'bigwig-tracks',
      description: 'Folder with one bigWig or bedGraph per track, named <track>.<ext>.',
    },
    genes: { kind: 'file', type: 'gtf', description: 'Gene annotation (GTF or GFF3).' },
    fragments: {
      kind: 'file',
      type: 'fragments',
      description: 'Optional 10x fragments: the `fragments_track` (ATAC) from Tn5 insertions.',
      optional: true,
    },
    contacts: {
      kind: 'file',
      type: 'cool',
      description: 'Contact map (.cool) at CLASTER’s 1.6 kb.',
      optional: true,
    },
    targets: {
      kind: 'file',
      type: 'bigwig',
      description: 'Nascent transcription (EU-seq), bigWig or bedGraph.',
      optional: true,
    },
  },
  outputs: {
    samples: {
      kind: 'table',
      type: 'claster-samples',
      description:
        'One row per gene: gene, chromosome, strand, tss, split, masked_bins (row i = index i of the arrays).',
    },
    arrays: {
      kind: 'directory',
      type: 'claster-arrays',
      description:
        'landscape.npy (n, tracks, bins) f4, landscape_mask.npy (n, bins) u1, targets.npy (n, 401) f4 and targets_mask.npy, contacts.npy (n, rows, cols) f4, arrays.json.',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const p = ctx.params;
    const tracksDir = ctx.inputs['tracks']!;
    const fragmentsPath = ctx.inputs['fragments'];
    if (fragmentsPath && !p.tracks.includes(p.fragments_track)) {
      throw new ChromflowError('PARAM', 'fragments were given for a track not in the list', {
        field: 'fragments_track',
        expected: `one of ${p.tracks.join(', ')}`,
        found: p.fragments_track,
      });
    }
    const fromFiles = p.tracks.filter((t) => !fragmentsPath || t !== p.fragments_track);
    const files = await findTrackFiles(tracksDir, fromFiles);
    const targetPath = ctx.inputs['targets'];
    // one call, so a bedGraph (tracks or target) adopts the lengths of a bigWig among them
    const sources = await openTrackSources(
      targetPath ? [...files, targetPath] : files,
      targetPath ? [...fromFiles, 'targets'] : fromFiles,
    );
    const target = targetPath ? sources[files.length] : undefined;
    const byName = new Map(sources.slice(0, files.length).map((t) => [t.name, t]));
    if (fragmentsPath) {
      const f = await fragmentsTrackSource(fragmentsPath, p.fragments_track);
      if (sources[0]) adoptLengths(f, sources[0]);
      byName.set(p.fragments_track, f);
    }
    const tracks = p.tracks.map((t) => byName.get(t)!);
    const annotation = await readGenes(ctx.inputs['genes']!, {
      biotypes: p.biotypes.length ? p.biotypes : undefined,
    });
    if (annotation.length === 0) {
      throw new ChromflowError('VALUE', 'no genes to sample', {
        path: ctx.inputs['genes'],
        field: 'biotypes',
        expected: `genes of biotype ${p.biotypes.join(', ') || 'any'}`,
        found: '0 genes',
      });
    }
    const genes: ClasterGene[] = annotation.geneIds.map((id, i) => ({
      gene: id,
      chrom: annotation.chroms[i]!,
      strand: annotation.strands[i]!,
      tss: annotation.tsses[i]!,
    }));
    const contactsPath = ctx.inputs['contacts'];
    const cool = contactsPath ? await openCooler(contactsPath) : undefined;
    if (cool && p.balance && !cool.weights) {
      cool.close();
      throw new ChromflowError(
        'VALUE',
        'balanced contacts were asked for but the .cool has no weights',
        {
          path: contactsPath,
          field: 'bins/weight',
          expected: 'a balanced cooler (bins/weight)',
          found: 'no bins/weight',
          hint: 'run structure-analysis.ice-balance or `cooler balance`, or set balance: false',
        },
      );
    }
    const s = await makeClasterSamples(genes, tracks, target, {
      validationChroms: p.validation_chroms,
      testChroms: p.test_chroms,
      landscape: { binSize: p.landscape_bin, nBins: p.landscape_bins },
      target: { binSize: p.target_bin, nBins: p.target_bins },
    }).catch((e: unknown) => {
      cool?.close();
      throw e;
    });
    const n = genes.length;
    const dir = ctx.outputs['arrays']!;
    await mkdir(dir, { recursive: true });
    const describe: Record<string, unknown> = {
      format: 'chromflow-claster-arrays',
      version: 1,
      genes: n,
      tracks: p.tracks,
      landscape: {
        file: 'landscape.npy',
        shape: [n, s.nTracks, s.nBins],
        binSize: p.landscape_bin,
      },
      landscapeMask: { file: 'landscape_mask.npy', shape: [n, s.nBins] },
      windowsOffChromosome: s.windowsOffChromosome,
      orientation: 'gene orientation: bin 0 upstream; − strand windows reversed',
    };
    await writeFileAtomic(
      join(dir, 'landscape.npy'),
      encodeNpy(s.landscape, [n, s.nTracks, s.nBins]),
    );
    await writeFileAtomic(
      join(dir, 'landscape_mask.npy'),
      encodeNpy(s.landscapeMask, [n, s.nBins]),
    );
    let targetsOff = 0;
    if (s.targets && s.targetMask) {
      await writeFileAtomic(join(dir, 'targets.npy'), encodeNpy(s.targets, [n, p.target_bins]));
      await writeFileAtomic(
        join(dir, 'targets_mask.npy'),
        encodeNpy(s.targetMask, [n, p.target_bins]),
      );
      for (let g = 0; g < n; g++) {
        if (s.targetMask.subarray(g * p.target_bins, (g + 1) * p.target_bins).includes(0))
          targetsOff++;
      }
      describe['targets'] = {
        file: 'targets.npy',
        shape: [n, p.target_bins],
        binSize: p.target_bin,
      };
      describe['targetsMask'] = { file: 'targets_mask.npy', shape: [n, p.target_bins] };
      describe['targetWindowsOffChromosome'] = targetsOff;
    }
    let contactsPadded = 0;
    if (cool) {
      try {
        let out: Float32Array | undefined;
        let shape: [number, number] = [0, 0];
        for (let g = 0; g < n; g++) {
          const gene = genes[g]!;
          const w = makeClasterWindowPadded(cool, gene.chrom, gene.tss, {
            halfWindow: p.contact_half_window,
            balance: p.balance,
            rotate: p.contact_form === 'rotated',
          });
          if (w.paddedBins > 0) contactsPadded++;
          const m =
            p.contact_form === 'rotated'
              ? w.rotated!
              : { nRows: w.nRows, nCols: w.nCols, forward: w.forward, reverse: w.reverse };
          if (!out) {
            shape = [m.nRows, m.nCols];
            out = new Float32Array(n * m.nRows * m.nCols);
          }
          out.set(gene.strand === '+' ? m.forward : m.reverse, g * shape[0] * shape[1]);
          ctx.onProgress(g + 1, n, 'contact windows');
        }
        await writeFileAtomic(join(dir, 'contacts.npy'), encodeNpy(out!, [n, ...shape]));
        describe['contacts'] = {
          file: 'contacts.npy',
          shape: [n, ...shape],
          binSize: cool.binSize,
          form: p.contact_form,
          values: 'log10 of balanced contacts, NaN and 0 imputed by the smallest weight',
        };
        describe['contactWindowsPadded'] = contactsPadded;
      } finally {
        cool.close();
      }
    }
    await writeFileAtomic(join(dir, 'arrays.json'), JSON.stringify(describe, null, 2) + '\n');
    await writeTable(ctx.outputs['samples']!, s.table);
    ctx.log.info(
      `${n} genes; landscape windows padded and masked at a chromosome end: ${s.windowsOffChromosome}` +
        (s.targets ? `; target windows: ${targetsOff}` : '') +
        (contactsPath ? `; contact windows: ${contactsPadded}` : ''),
    );
    const split = s.table.getChild('split')!.toArray() as string[];
    return {
      metrics: {
        genes: n,
        train: split.filter((x) => x === 'train').length,
        validation: split.filter((x) => x === 'validation').length,
        test: split.filter((x) => x === 'test').length,
        windowsOffChromosome: s.windowsOffChromosome,
        targetWindowsOffChromosome: targetsOff,
        contactWindowsPadded: contactsPadded,
      },
    };
  },
});
