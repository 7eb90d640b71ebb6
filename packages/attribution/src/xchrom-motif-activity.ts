import { ChromflowError, throwIfAborted, type ProgressCallback } from '@chromflow/core';
import { computeCellEmbeddings, computePeakEmbeddings, type XChromModel } from '@chromflow/models';
import { zscoreColumns } from '@chromflow/cell-embedding';
import { insertAtCentre } from './motif-backgrounds.js';

/** A motif as inserted: a name and the site's base codes (A=0 C=1 G=2 T=3). */
export interface MotifSite {
  readonly name: string;
  readonly codes: Uint8Array;
}

export interface MotifActivity {
  readonly motifs: string[];
  readonly nCells: number;
  /** [C · M] row-major: mean over backgrounds of logit(inserted) − logit(background) per cell. */
  readonly deltaLogit: Float32Array;
  /** [C · M]: `deltaLogit` z-scored per motif across cells (cell-embedding's `zscoreColumns`: population sd, 0 where sd = 0). */
  readonly zscore: Float32Array;
}

export interface MotifActivityOptions {
  readonly batchPeaks?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressCallback;
}

/**
 * scBasset-style motif activity on XChrom. XChrom's logit is peak·cell + g(depth),
 * so the per-cell change of the logit caused by an insertion is
 * (ē_inserted − ē_background)·cell: the depth term cancels exactly, and one
 * pass over the backgrounds per motif serves every cell (cells with RNA only too).
 * `backgrounds` is [n · L] with L the model's window; `cellInputs` [C · D] the RNA embedding.
 */
export async function xchromMotifActivity(
  model: XChromModel,
  backgrounds: Uint8Array,
  motifs: readonly MotifSite[],
  cellInputs: Float32Array,
  options: MotifActivityOptions = {},
): Promise<MotifActivity> {
  const L = model.config.seqLength;
  const E = model.config.embeddingDim;
  const D = model.config.cellInputDim;
  const n = backgrounds.length / L;
  if (!Number.isInteger(n) || n < 1) {
    throw new ChromflowError('VALUE', 'backgrounds are not whole windows of the model', {
      expected: `a positive multiple of ${L} codes`,
      found: String(backgrounds.length),
    });
  }
  if (cellInputs.length % D !== 0) {
    throw new ChromflowError('SCHEMA', 'cell inputs do not match the model width', {
      expected: `a multiple of ${D}`,
      found: String(cellInputs.length),
    });
  }
  const batch = options.batchPeaks ?? 64;
  const meanEmbedding = async (codes: Uint8Array): Promise<Float64Array> => {
    const e = await computePeakEmbeddings(model, codes, batch, options.signal);
    const m = new Float64Array(E);
    for (let b = 0; b < n; b++) for (let k = 0; k < E; k++) m[k]! += (e[b * E + k] as number) / n;
    return m;
  };
  const bg = await meanEmbedding(backgrounds);
  const cells = await computeCellEmbeddings(model, cellInputs);
  const C = cellInputs.length / D;
  const M = motifs.length;
  const deltaLogit = new Float32Array(C * M);
  for (let m = 0; m < M; m++) {
    throwIfAborted(options.signal);
    const motif = motifs[m] as MotifSite;
    const ins = await meanEmbedding(insertAtCentre(backgrounds, L, motif.codes));
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let k = 0; k < E; k++)
        s += ((ins[k] as number) - (bg[k] as number)) * (cells[c * E + k] as number);
      deltaLogit[c * M + m] = s;
    }
    options.onProgress?.(m + 1, M);
  }
  return {
    motifs: motifs.map((m) => m.name),
    nCells: C,
    deltaLogit,
    zscore: Float32Array.from(zscoreColumns(deltaLogit, C, M)),
  };
}
