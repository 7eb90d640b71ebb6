import { ChromflowError, readTable, requireEncoding } from '@chromflow/core';
import type { XChromConfig } from '../xchrom/config.js';
import { codesFromSequenceTable, joinCellEmbedding } from './read-xchrom-tables.js';

/**
 * Reads what a trained XChrom predicts from — sequence windows and cells' RNA
 * embeddings — and checks both against the model's configuration (window
 * length, embedding width), naming the file that does not fit.
 */
export async function readXChromPredictionInputs(
  config: Pick<XChromConfig, 'seqLength' | 'cellInputDim'>,
  sequencesPath: string,
  embeddingPath: string,
): Promise<{
  seq: ReturnType<typeof codesFromSequenceTable>;
  barcodes: string[];
  emb: ReturnType<typeof joinCellEmbedding>;
}> {
  const seqT = await readTable(sequencesPath);
  requireEncoding(seqT, 'sequence-codes', sequencesPath);
  const seq = codesFromSequenceTable(seqT, sequencesPath);
  if (seq.seqLength !== config.seqLength) {
    throw new ChromflowError(
      'VALUE',
      'the sequence windows differ in length from the training windows',
      {
        path: sequencesPath,
        expected: `${config.seqLength} bp`,
        found: `${seq.seqLength} bp`,
      },
    );
  }
  const embT = await readTable(embeddingPath);
  requireEncoding(embT, 'cell-embedding', embeddingPath);
  const barcodes = Array.from({ length: embT.numRows }, (_, i) =>
    String(embT.getChild('barcode')?.get(i)),
  );
  const emb = joinCellEmbedding(embT, barcodes, embeddingPath);
  if (emb.embeddingDim !== config.cellInputDim) {
    throw new ChromflowError(
      'SCHEMA',
      'the cell embedding has a different width than in training',
      {
        path: embeddingPath,
        expected: `pc1…pc${config.cellInputDim}`,
        found: `pc1…pc${emb.embeddingDim}`,
      },
    );
  }
  return { seq, barcodes, emb };
}
