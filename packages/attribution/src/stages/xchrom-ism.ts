import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import {
  ChromflowError,
  defineStage,
  readTable,
  withEncoding,
  writeFileAtomic,
  writeTable,
} from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { writeBigWig } from '@chromflow/genome-io';
import { readCellLabels } from '@chromflow/atac-pseudobulk';
import { readXChromPredictionInputs } from '@chromflow/models';
import { loadXChromForCells, wiredInput, xchromExplainPorts } from './xchrom-stage-inputs.js';
import { evaluateHead, inSilicoMutagenesisMulti } from '../in-silico-mutagenesis.js';
import { gradientTimesInputPerPosition, ismScores, spanCodes } from '../xchrom-ism.js';
import { xchromGroupLogits } from '../xchrom-cell-type-head.js';
import { bedGraphFromTrack, trackFromSpans } from '../ism-tracks.js';

export type XChromIsmParams = {
  peaks: string[];
  topPeaks: number;
  cellTypes: string[];
  labelColumn: string;
  window: number;
  batchSize: number;
};

const STAGE = 'attribution.xchrom-ism';
const BASES = ['A', 'C', 'G', 'T', 'N'];

/** A cell type as a file name: anything but letters, digits, '.', '_' and '-' becomes '_'. */
export function trackFileStem(cellType: string): string {
  return cellType.replace(/[^A-Za-z0-9._-]/g, '_');
}

export const xchromIsmStage = defineStage<XChromIsmParams>({
  name: STAGE,
  version: '1',
  description:
    'In-silico mutagenesis and gradient × input of chosen peaks per cell type on a trained XChrom (ADR 0001: mean logit over the type’s cells, ISM centred per position, track score = centred value at the reference base). Peaks default to the top N by predicted logit of each type. Writes a long Parquet table and per-type bedGraph and bigWig tracks.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      peaks: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description:
          "peak names (the sequences table's name column); empty: topPeaks per cell type",
      },
      topPeaks: {
        type: 'integer',
        minimum: 1,
        default: 2,
        description:
          'with no peaks given: the N peaks of highest predicted mean logit of each cell type (their union)',
      },
      cellTypes: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description: 'cell types (labels) to explain; empty: every label with cells',
      },
      labelColumn: {
        type: 'string',
        default: '',
        description: "label column of the cell table; '' = the first column after barcode",
      },
      window: {
        type: 'integer',
        minimum: 0,
        default: 0,
        description:
          'bases mutated around the window centre (from ⌊(L − w)/2⌋); 0 = the whole window',
      },
      batchSize: {
        type: 'integer',
        minimum: 1,
        default: 256,
        description: 'mutant sequences per forward pass',
      },
    },
  },
  inputs: {
    ...xchromExplainPorts,
    sequences: {
      kind: 'table',
      type: 'sequence-codes',
      description: 'the peak windows (genome-io.peak-windows)',
    },
    'cell-labels': {
      kind: 'file',
      type: 'cell-labels',
      description: 'cell table (barcode + label); cells absent from the embedding are ignored',
    },
  },
  outputs: {
    ism: {
      kind: 'table',
      type: 'xchrom-ism',
      description:
        'long table cell_type, peak, chrom, position, ref, delta_A…T (centred), score, grad_x_input',
    },
    tracks: {
      kind: 'directory',
      type: 'ism-tracks',
      description:
        'per cell type <type>.ism.bedGraph/.bw (centred ISM at the reference base) and <type>.gxi.bedGraph/.bw (gradient × input)',
    },
  },
  resources: { cpu: 2, memoryGb: 4, gpu: true },
  async run(ctx) {
    const backend = await initBackend({ quiet: true });
    const need = (port: string): string => wiredInput(ctx.inputs, port, STAGE);
    const { model } = await loadXChromForCells(need('checkpoint'));
    const seqPath = need('sequences');
    const { seq, barcodes, emb } = await readXChromPredictionInputs(
      model.config,
      seqPath,
      need('embedding'),
    );
    const seqT = await readTable(seqPath);
    const chromOf = (i: number): string => String(seqT.getChild('chrom')?.get(i));
    const startOf = (i: number): number => Number(seqT.getChild('start')?.get(i));
    const L = seq.seqLength;

    // Cell types: the labels of the embedding's cells.
    const labelsPath = need('cell-labels');
    const table = await readCellLabels(
      labelsPath,
      ctx.params.labelColumn === '' ? {} : { labelColumn: ctx.params.labelColumn },
    );
    if (!table.labels) {
      throw new ChromflowError('SCHEMA', 'the cell table has no label column', {
        path: labelsPath,
        expected: 'a header with barcode and a label column (e.g. cell_type)',
      });
    }
    const labelOf = new Map(table.barcodes.map((b, i) => [b, table.labels![i] as string]));
    const members = new Map<string, number[]>();
    barcodes.forEach((b, c) => {
      const label = labelOf.get(b);
      if (!label) return;
      if (!members.has(label)) members.set(label, []);
      members.get(label)!.push(c);
    });
    const types = ctx.params.cellTypes.length > 0 ? ctx.params.cellTypes : [...members.keys()];
    for (const t of types) {
      if (!members.has(t)) {
        throw new ChromflowError('VALUE', `cell type '${t}' has no cell in the embedding`, {
          path: labelsPath,
          field: 'cellTypes',
          expected: `one of ${[...members.keys()].join(', ')}`,
          found: t,
        });
      }
    }
    if (types.length === 0) {
      throw new ChromflowError('EMPTY', 'no cell of the embedding has a label', {
        path: labelsPath,
        expected: 'barcodes shared with the cell embedding',
      });
    }
    const heads = await xchromGroupLogits(
      model,
      emb.cellInputs,
      emb.depth,
      types.map((t) => members.get(t)!),
    );
    const K = types.length;

    // Peaks: named, or the top N of each type by predicted mean logit.
    const rowOf = new Map(seq.names.map((n, i) => [n, i]));
    let rows: number[];
    if (ctx.params.peaks.length > 0) {
      rows = ctx.params.peaks.map((name) => {
        const r = rowOf.get(name);
        if (r === undefined)
          throw new ChromflowError('VALUE', `peak '${name}' is not in the sequences table`, {
            path: seqPath,
            field: 'peaks',
            expected: `a name of the table's ${seq.names.length} windows (e.g. ${seq.names.slice(0, 3).join(', ')})`,
            found: name,
          });
        return r;
      });
    } else {
      const nAll = seq.names.length;
      const z = await evaluateHead(heads.f, K, seq.codes, nAll, L, 64, ctx.signal);
      const chosen = new Set<number>();
      for (let g = 0; g < K; g++) {
        const order = Array.from({ length: nAll }, (_, i) => i).sort(
          (a, b) => (z[b * K + g] as number) - (z[a * K + g] as number) || a - b,
        );
        order.slice(0, ctx.params.topPeaks).forEach((r) => chosen.add(r));
      }
      rows = [...chosen];
    }
    const n = rows.length;
    const codes = new Uint8Array(n * L);
    rows.forEach((r, i) => codes.set(seq.codes.subarray(r * L, (r + 1) * L), i * L));
    const w = ctx.params.window === 0 ? L : Math.min(ctx.params.window, L);
    const start = Math.floor((L - w) / 2);
    const end = start + w;
    ctx.log.info(
      `${n} peaks × ${K} cell types, ${w} bases each (${n * w * 3} mutants) on ${backend.name}`,
    );
    const raws = await inSilicoMutagenesisMulti(heads.f, K, codes, n, L, {
      batchSize: ctx.params.batchSize,
      positions: { start, end },
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    });
    const ref = spanCodes(codes, n, L, start, end);

    // Long table and tracks, one cell type at a time.
    const out = {
      cell_type: [] as string[],
      peak: [] as string[],
      chrom: [] as string[],
      position: [] as number[],
      ref: [] as string[],
      delta_A: [] as number[],
      delta_C: [] as number[],
      delta_G: [] as number[],
      delta_T: [] as number[],
      score: [] as number[],
      grad_x_input: [] as number[],
    };
    const dir = ctx.outputs['tracks'] as string;
    await mkdir(dir, { recursive: true });
    for (let g = 0; g < K; g++) {
      const s = ismScores(raws[g] as Float32Array, ref, n, start);
      const gxi = await gradientTimesInputPerPosition(heads.scalar(g), codes, n, L, start, end);
      const type = types[g] as string;
      for (let i = 0; i < n; i++) {
        const r = rows[i] as number;
        for (let p = 0; p < w; p++) {
          const j = i * w + p;
          out.cell_type.push(type);
          out.peak.push(seq.names[r] as string);
          out.chrom.push(chromOf(r));
          out.position.push(startOf(r) + start + p);
          out.ref.push(BASES[ref[j] as number] as string);
          out.delta_A.push(s.centred[j * 4] as number);
          out.delta_C.push(s.centred[j * 4 + 1] as number);
          out.delta_G.push(s.centred[j * 4 + 2] as number);
          out.delta_T.push(s.centred[j * 4 + 3] as number);
          out.score.push(s.referenceScore[j] as number);
          out.grad_x_input.push(gxi[j] as number);
        }
      }
      const spans = (values: Float32Array) =>
        rows.map((r, i) => ({
          chrom: chromOf(r),
          start: startOf(r) + start,
          values: values.subarray(i * w, (i + 1) * w),
        }));
      const stem = join(dir, trackFileStem(type));
      const ismTrack = trackFromSpans(spans(s.referenceScore));
      const gxiTrack = trackFromSpans(spans(gxi));
      await writeFileAtomic(`${stem}.ism.bedGraph`, bedGraphFromTrack(ismTrack, `${type} ISM`));
      await writeFileAtomic(
        `${stem}.gxi.bedGraph`,
        bedGraphFromTrack(gxiTrack, `${type} grad×input`),
      );
      await writeBigWig(`${stem}.ism.bw`, ismTrack);
      await writeBigWig(`${stem}.gxi.bw`, gxiTrack);
    }
    heads.dispose();
    model.dispose();
    await writeTable(
      ctx.outputs['ism'] as string,
      withEncoding(
        tableFromArrays({
          cell_type: out.cell_type,
          peak: out.peak,
          chrom: out.chrom,
          position: Int32Array.from(out.position),
          ref: out.ref,
          delta_A: Float32Array.from(out.delta_A),
          delta_C: Float32Array.from(out.delta_C),
          delta_G: Float32Array.from(out.delta_G),
          delta_T: Float32Array.from(out.delta_T),
          score: Float32Array.from(out.score),
          grad_x_input: Float32Array.from(out.grad_x_input),
        }),
        'xchrom-ism',
        '1',
      ),
    );
    return {
      backend: backend.name,
      metrics: { peaks: n, cellTypes: K, basesPerPeak: w, mutants: n * w * 3 },
    };
  },
});
