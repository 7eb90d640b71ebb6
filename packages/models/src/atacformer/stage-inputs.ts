import { ChromflowError, readTable } from '@chromflow/core';
import {
  readVocabulary,
  requireVocabularyHash,
  tokenSetsFromTable,
  type TokenSets,
  type TokenSetsInfo,
  type Vocabulary,
} from '@chromflow/atac-pseudobulk';

/** The token-set ports every Atacformer stage reads (atac-pseudobulk.tokenize's outputs). */
export const atacformerTokenPorts = {
  tokens: { kind: 'table', type: 'token-sets', description: 'atac-pseudobulk.tokenize tokens' },
  vocabulary: {
    kind: 'file',
    type: 'token-vocabulary',
    description: 'the vocabulary the tokens were made with',
  },
} as const;

export interface AtacformerTokenInputs {
  tokensPath: string;
  vocabularyPath: string;
  vocabulary: Vocabulary;
  sets: TokenSets & TokenSetsInfo;
}

/**
 * Reads the `tokens` and `vocabulary` inputs of an Atacformer stage and checks
 * the tokens were made with that vocabulary (its sha256); an unwired port is
 * a STAGE error naming it.
 */
export async function readAtacformerTokens(
  inputs: Readonly<Record<string, string | undefined>>,
  stage: string,
): Promise<AtacformerTokenInputs> {
  const path = (port: string): string => {
    const v = inputs[port];
    if (!v)
      throw new ChromflowError('STAGE', `input '${port}' is not wired`, { stage, field: port });
    return v;
  };
  const tokensPath = path('tokens');
  const vocabularyPath = path('vocabulary');
  const vocabulary = await readVocabulary(vocabularyPath);
  const sets = tokenSetsFromTable(await readTable(tokensPath), tokensPath);
  requireVocabularyHash(vocabulary, sets.vocabularyHash, tokensPath);
  return { tokensPath, vocabularyPath, vocabulary, sets };
}
