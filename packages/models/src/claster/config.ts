import { ChromflowError } from '@chromflow/core';

/**
 * CLASTER's network (`../../../shared/notes/atacformer-claster-reference.md`,
 * from its EIR configuration): a residual CNN over the chromatin landscape,
 * optionally one over the rotated Micro-C map, a residual-MLP fusion and a
 * linear layer to the 401 nascent-transcription bins; SmoothL1, AdamW.
 */
export interface ClasterCnnConfig {
  /** Channels of the first stage; stage i has channelBase·2^i (EIR: 2^5). */
  channelBase: number;
  /** Residual blocks per stage (landscape [4, 4], contacts [1, 2]). */
  blocks: number[];
  /** First convolution's kernel [h, w]: the landscape's spans every track ([tracks, 10]). */
  firstKernel: [number, number];
  /** Kernel of the blocks' convolutions ([1, 10]; contacts [5, 5]). */
  kernel: [number, number];
  /** Down-stride of the first convolution and of each block's first convolution ([1, 2]; [2, 2]). */
  stride: [number, number];
  /** Dilation of each block's second convolution ([1, 2]; [2, 2]). */
  dilation: [number, number];
  /** Channel dropout inside each residual block (EIR `rb_do` 0.3). */
  dropout: number;
  /** Stochastic depth: per example, a block's residual branch is dropped with this probability (0.1). */
  stochasticDepth: number;
  /** Flattened output → this many features (landscape 512). */
  features: number;
}

export interface ClasterContactsConfig extends ClasterCnnConfig {
  /** Rotated, cropped map shape (CLASTER: 129 × 626 at 1.6 kb). */
  rows: number;
  cols: number;
}

export interface ClasterFusionConfig {
  /** Residual-MLP width (256). */
  width: number;
  /** Residual blocks (2). */
  layers: number;
  dropout: number;
  stochasticDepth: number;
}

export interface ClasterConfig {
  /** Landscape tracks (ATAC, H3K4me3, H3K27ac, H3K27me3). */
  tracks: number;
  /** Landscape bins the network sees (10,001 × 100 bp; a centred crop of the samples' when fewer). */
  bins: number;
  /** Target bins (401 × 1 kbp). */
  outputs: number;
  landscape: ClasterCnnConfig;
  /** The optional Micro-C branch (`contacts` variant). */
  contacts?: ClasterContactsConfig;
  fusion: ClasterFusionConfig;
  /**
   * The CNN branches' normalisation: `layer` (default) — LayerNorm over the
   * channels at each position; `batch` — batch norm per channel over the batch
   * and positions, as EIR has it (moving statistics, momentum 0.1, for
   * inference; with data-parallel `workers` each shard normalises over its own
   * examples). LayerNorm rescales every position to unit spread, so a strong
   * and a weak mark of the same shape look alike; batch norm keeps their ratio.
   * The fusion MLP keeps LayerNorm.
   */
  norm?: 'layer' | 'batch';
  /** LayerNorm and batch-norm ε (PyTorch's 1e-5). */
  epsilon: number;
  /** SmoothL1 β (PyTorch's default 1). */
  smoothL1Beta: number;
  /**
   * `log1p`: the network sees log(1 + landscape) and is trained on log(1 +
   * target), its outputs mapped back by expm1 (`predictClaster`); raw counts
   * span orders of magnitude. `none` (default): values as given.
   */
  transform?: 'none' | 'log1p';
}

/**
 * Bins of a centred crop of ±`halfWidthKb` kbp out of a window of `nBins`
 * (odd, ±500 kbp: 100 bp per bin at CLASTER's 10,001). The whole window
 * when the half-width reaches its edge.
 */
export function clasterCropBins(nBins: number, halfWidthKb: number): number {
  const binBp = 1_000_000 / (nBins - 1);
  const half = Math.round((halfWidthKb * 1000) / binBp);
  if (!(half >= 1) || halfWidthKb > 500) {
    throw new ChromflowError('PARAM', 'landscape half-width outside the samples’ window', {
      field: 'landscapeHalfWidthKb',
      expected: `${binBp / 1000} … 500 kbp`,
      found: String(halfWidthKb),
    });
  }
  return Math.min(nBins, 2 * half + 1);
}

export type ClasterSize = 'published' | 'small' | 'tiny';
export type ClasterVariant = 'landscape' | 'contacts';

interface SizeSpec {
  landscape: Pick<ClasterCnnConfig, 'channelBase' | 'blocks' | 'features'>;
  contacts: Pick<ClasterCnnConfig, 'channelBase' | 'blocks' | 'features'>;
  fusion: Pick<ClasterFusionConfig, 'width' | 'layers'>;
  /** [block dropout, block stochastic depth, fusion dropout, fusion stochastic depth]. */
  regularisation: [number, number, number, number];
}

const sizes: Record<ClasterSize, SizeSpec> = {
  /** The paper's EIR configuration. */
  published: {
    landscape: { channelBase: 32, blocks: [4, 4], features: 512 },
    contacts: { channelBase: 32, blocks: [1, 2], features: 512 },
    fusion: { width: 256, layers: 2 },
    regularisation: [0.3, 0.1, 0.4, 0.5],
  },
  /** The default run: same layout, narrower and shallower (about a minute on 2 cores). */
  small: {
    landscape: { channelBase: 8, blocks: [2, 2, 2], features: 64 },
    contacts: { channelBase: 8, blocks: [1, 1], features: 64 },
    fusion: { width: 64, layers: 2 },
    // A narrow network trained briefly underfits under the paper's rates.
    regularisation: [0.1, 0.05, 0.1, 0.1],
  },
  /** For tests. */
  tiny: {
    landscape: { channelBase: 4, blocks: [1, 1], features: 8 },
    contacts: { channelBase: 4, blocks: [1], features: 8 },
    fusion: { width: 8, layers: 2 },
    regularisation: [0, 0, 0, 0],
  },
};

export const CLASTER_SIZES = Object.keys(sizes) as ClasterSize[];

/** A named size and variant for inputs of `tracks` × `bins` (and a `rows` × `cols` contact map). */
export function clasterConfig(
  size: ClasterSize,
  variant: ClasterVariant,
  shape: { tracks: number; bins: number; outputs: number; rows?: number; cols?: number },
  regularisation?: [number, number, number, number],
): ClasterConfig {
  const named = sizes[size];
  const s = named && regularisation ? { ...named, regularisation } : named;
  if (s === undefined) {
    throw new ChromflowError('PARAM', 'unknown CLASTER size', {
      field: 'size',
      expected: CLASTER_SIZES.join(' | '),
      found: String(size),
    });
  }
  const c: ClasterConfig = {
    tracks: shape.tracks,
    bins: shape.bins,
    outputs: shape.outputs,
    landscape: {
      ...s.landscape,
      blocks: [...s.landscape.blocks],
      firstKernel: [shape.tracks, 10],
      kernel: [1, 10],
      stride: [1, 2],
      dilation: [1, 2],
      dropout: s.regularisation[0],
      stochasticDepth: s.regularisation[1],
    },
    fusion: { ...s.fusion, dropout: s.regularisation[2], stochasticDepth: s.regularisation[3] },
    epsilon: 1e-5,
    smoothL1Beta: 1,
  };
  if (variant === 'contacts') {
    if (shape.rows === undefined || shape.cols === undefined) {
      throw new ChromflowError('PARAM', 'the contacts variant needs a contact-map shape', {
        field: 'variant',
        expected: 'rows and cols of the rotated contact windows',
        found: 'none',
      });
    }
    c.contacts = {
      ...s.contacts,
      blocks: [...s.contacts.blocks],
      rows: shape.rows,
      cols: shape.cols,
      firstKernel: [5, 5],
      kernel: [5, 5],
      stride: [2, 2],
      dilation: [2, 2],
      dropout: s.regularisation[0],
      stochasticDepth: s.regularisation[1],
    };
  }
  checkClasterConfig(c);
  return c;
}

/**
 * Spatial shape [h, w] after a CNN branch (first convolution and every
 * block's down-stride). `spanHeight`: the first kernel covers the whole
 * height unpadded (the landscape's tracks), leaving height 1.
 */
export function cnnOutputShape(
  c: ClasterCnnConfig,
  h: number,
  w: number,
  spanHeight: boolean,
): [number, number] {
  let oh = spanHeight ? 1 : Math.ceil(h / c.stride[0]);
  let ow = Math.ceil(w / c.stride[1]);
  const n = c.blocks.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) {
    oh = Math.ceil(oh / c.stride[0]);
    ow = Math.ceil(ow / c.stride[1]);
  }
  return [oh, ow];
}

/** Channels of each residual block of a branch, in order. */
export function blockChannels(c: ClasterCnnConfig): number[] {
  return c.blocks.flatMap((n, stage) =>
    Array.from({ length: n }, () => c.channelBase * 2 ** stage),
  );
}

export function checkClasterConfig(c: ClasterConfig): void {
  const bad = (field: string, expected: string, found: unknown): never => {
    throw new ChromflowError('PARAM', 'invalid CLASTER configuration', {
      field,
      expected,
      found: String(found),
    });
  };
  const posInt = (field: string, v: number): void => {
    if (!(Number.isInteger(v) && v >= 1)) bad(field, 'a positive integer', v);
  };
  posInt('tracks', c.tracks);
  posInt('bins', c.bins);
  posInt('outputs', c.outputs);
  const branch = (name: string, b: ClasterCnnConfig): void => {
    posInt(`${name}.channelBase`, b.channelBase);
    posInt(`${name}.features`, b.features);
    if (b.blocks.length === 0) bad(`${name}.blocks`, 'at least one stage', '[]');
    b.blocks.forEach((n, i) => posInt(`${name}.blocks[${i}]`, n));
    for (const p of ['dropout', 'stochasticDepth'] as const)
      if (!(b[p] >= 0 && b[p] < 1)) bad(`${name}.${p}`, 'in [0, 1)', b[p]);
  };
  branch('landscape', c.landscape);
  if (c.landscape.firstKernel[0] !== c.tracks)
    bad('landscape.firstKernel', `a height equal to tracks (${c.tracks})`, c.landscape.firstKernel);
  if (c.contacts) {
    branch('contacts', c.contacts);
    posInt('contacts.rows', c.contacts.rows);
    posInt('contacts.cols', c.contacts.cols);
  }
  if (c.norm !== undefined && c.norm !== 'layer' && c.norm !== 'batch')
    bad('norm', 'layer | batch', c.norm);
  posInt('fusion.width', c.fusion.width);
  posInt('fusion.layers', c.fusion.layers);
  for (const p of ['dropout', 'stochasticDepth'] as const)
    if (!(c.fusion[p] >= 0 && c.fusion[p] < 1)) bad(`fusion.${p}`, 'in [0, 1)', c.fusion[p]);
}
