import { sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { codesFromSequence, makeMotifScanner, readMotifs, scanMotifs } from '../src/index.js';

const jaspar = sharedDataFile('motifs', 'JASPAR2018_CORE_vertebrates_non-redundant_pfms_meme.txt');

// The example of the README's "Motifs" section. Oracle: JASPAR's MA0004.1
// (Arnt) consensus is CACGTG, a palindrome, so it must match on both strands.
describe.skipIf(!jaspar)('README motif example', () => {
  it('finds Arnt on the planted E-box, both strands', async () => {
    const { motifs } = await readMotifs(jaspar!);
    const scanner = makeMotifScanner(motifs, {
      pValue: 1e-3,
      background: [0.275, 0.225, 0.225, 0.275],
    });
    const codes = codesFromSequence('TTTTCACGTGTTTT');
    const hits = await scanMotifs(
      scanner,
      { codes, offsets: Int32Array.of(0, codes.length) },
      { threads: 1 },
    );
    const arnt = motifs.findIndex((m) => m.id === 'MA0004.1');
    const found = Array.from({ length: hits.count }, (_, i) => i)
      .filter((i) => hits.motifs[i] === arnt)
      .map((i) => [hits.starts[i], hits.ends[i], hits.strands[i]]);
    expect(found).toEqual([
      [4, 10, 0],
      [4, 10, 1],
    ]);
  });
});
