import * as tf from '@tensorflow/tfjs-core';
import { ChromflowError, SeededRandom } from '@chromflow/core';
import {
  clipLoss,
  createLinear,
  createLogitScale,
  linear,
  VariableList,
  type EmbeddingBatch,
  type HostBatch,
  type LinearParams,
  type SparseEmbedding,
  type Trainable,
} from '@chromflow/compute';
import type { AtacformerConfig } from './config.js';
import { AtacformerModel, meanPool } from './model.js';

/**
 * CRAFT (contrastive RNA–ATAC fine-tuning,
 * `../../../shared/notes/atacformer-claster-reference.md`): a CLIP-style dual
 * encoder on paired multiome cells. ATAC side: the Atacformer's mean-pooled
 * cell embedding → linear projection. RNA side: a cell's normalised
 * expression (cell-embedding's log1p CP10k) → MLP encoder (Geneformer in the
 * paper; not here) → linear projection. Symmetric CLIP loss with a learnable
 * temperature (compute's `clipLoss`), plus RNA imputation: an MLP decodes the
 * normalised expression from the ATAC projection (MSE, weighted by
 * `imputeWeight`), so imputation needs only ATAC at inference.
 */
export interface CraftConfig {
  atac: AtacformerConfig;
  /** Genes of the RNA input and of the imputed output. */
  genes: number;
  /** Width of the RNA encoder's two hidden layers (ReLU). */
  rnaHidden: number;
  /** Shared space (512 in the paper). */
  projectionDim: number;
  /** Width of the decoder's hidden layer (ReLU). */
  decoderHidden: number;
  /** Weight of the imputation MSE next to the CLIP loss (0: contrastive only). */
  imputeWeight: number;
}

export function validateCraftConfig(c: CraftConfig): void {
  for (const f of ['genes', 'rnaHidden', 'projectionDim', 'decoderHidden'] as const) {
    if (!(Number.isInteger(c[f]) && c[f] >= 1)) {
      throw new ChromflowError('PARAM', 'invalid CRAFT configuration', {
        field: f,
        expected: 'an integer ≥ 1',
        found: String(c[f]),
      });
    }
  }
  if (!(c.imputeWeight >= 0)) {
    throw new ChromflowError('PARAM', 'invalid CRAFT configuration', {
      field: 'imputeWeight',
      expected: '≥ 0',
      found: String(c.imputeWeight),
    });
  }
}

/**
 * A CRAFT batch (`makeCraftBatch`): `tokens` int32 [B·T] padded with 0, `n` =
 * B, `t` = T, `rna` float32 [B·G] (row-major, the same cells in the same order).
 */
export class CraftModel implements Trainable {
  readonly config: CraftConfig;
  /** The ATAC encoder (its own variables and sparse token table). */
  readonly atac: AtacformerModel;
  /** CRAFT's own variables: `rna/…`, `proj/…`, `logit_scale`, `decoder/…`. */
  readonly vars = new VariableList();
  readonly rna: [LinearParams, LinearParams];
  readonly atacProjection: LinearParams;
  readonly rnaProjection: LinearParams;
  readonly logitScale: tf.Variable<tf.Rank.R0>;
  readonly decoder: [LinearParams, LinearParams];

  constructor(config: CraftConfig, seed: number) {
    validateCraftConfig(config);
    this.config = config;
    this.atac = new AtacformerModel(config.atac, seed);
    const rng = new SeededRandom(seed ^ 0xc4af7);
    const { genes, rnaHidden: h, projectionDim: p, decoderHidden: dh } = config;
    this.rna = [
      createLinear(this.vars, rng, 'rna/fc1', genes, h),
      createLinear(this.vars, rng, 'rna/fc2', h, h),
    ];
    this.atacProjection = createLinear(this.vars, rng, 'proj/atac', config.atac.dim, p);
    this.rnaProjection = createLinear(this.vars, rng, 'proj/rna', h, p);
    this.logitScale = createLogitScale(this.vars);
    this.decoder = [
      createLinear(this.vars, rng, 'decoder/fc1', p, dh),
      createLinear(this.vars, rng, 'decoder/fc2', dh, genes),
    ];
  }

  /** The ATAC cells' joint-space embeddings [B, P] (before L2 normalisation). */
  embedAtac(tokens: Int32Array, n: number, t: number, rows?: EmbeddingBatch): tf.Tensor2D {
    return tf.tidy(() => {
      const pooled = meanPool(this.atac.encode(tokens, n, t, rows), tokens);
      return linear(pooled, this.atacProjection) as tf.Tensor2D;
    });
  }

  /** The RNA cells' joint-space embeddings [B, P] from normalised expression [B, G]. */
  embedRna(rna: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const h = tf.relu(linear(tf.relu(linear(rna, this.rna[0])), this.rna[1]));
      return linear(h, this.rnaProjection) as tf.Tensor2D;
    });
  }

  /** Imputed normalised expression [B, G] from ATAC joint embeddings [B, P]. */
  impute(atacJoint: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(
      () => linear(tf.relu(linear(atacJoint, this.decoder[0])), this.decoder[1]) as tf.Tensor2D,
    );
  }

  /** The two parts of the loss (the caller disposes both). */
  losses(batch: HostBatch, rows?: EmbeddingBatch): { clip: tf.Scalar; impute: tf.Scalar } {
    const { tokens, n, t, rna } = batch as {
      tokens: Int32Array;
      n: number;
      t: number;
      rna: Float32Array;
    };
    return tf.tidy(() => {
      const a = this.embedAtac(tokens, n, t, rows);
      const y = tf.tensor2d(rna, [n, this.config.genes]);
      const r = this.embedRna(y);
      const clip = clipLoss(a, r, this.logitScale);
      const impute = tf.mean<tf.Scalar>(tf.squaredDifference(this.impute(a), y));
      return { clip, impute };
    });
  }

  /** CLIP + imputeWeight · MSE; `rows` the batch's gathered table rows (training), else gathered here. */
  loss(batch: HostBatch, rows?: EmbeddingBatch): tf.Scalar {
    return tf.tidy(() => {
      const { clip, impute } = this.losses(batch, rows);
      return tf.add<tf.Scalar>(clip, tf.mul(impute, this.config.imputeWeight));
    });
  }

  trainingLoss(batch: HostBatch): tf.Scalar {
    return this.loss(batch, this.held);
  }

  private held?: EmbeddingBatch;

  trainableVariables(): tf.Variable[] {
    return [...this.atac.trainableVariables(), ...this.vars.trainableVariables()];
  }

  stateVariables(): tf.Variable[] {
    return [];
  }

  sparseTables(): SparseEmbedding[] {
    return this.atac.sparseTables();
  }

  gatherSparseRows(batch: HostBatch): EmbeddingBatch[] {
    const rows = this.atac.gatherSparseRows(batch);
    this.held = rows[0];
    return rows;
  }

  batchSize(batch: HostBatch): number {
    return batch['n'] as number;
  }

  /** The contrastive loss couples every pair in a batch, so a batch is never split. */
  splitBatch(batch: HostBatch): HostBatch[] {
    return [batch];
  }

  dispose(): void {
    this.atac.dispose();
    this.vars.dispose();
  }
}
