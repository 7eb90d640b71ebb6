import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  intScoreOfWindow,
  intScoreThreshold,
  makeMotifScanner,
  scanMotifs,
  scanMotifsInThread,
} from '../src/index.js';
import type { Motif, MotifHits, MotifScanner, SequenceBatch } from '../src/index.js';

/**
 * Oracle: score every window of every region on both strands one base at a
 * time (no 5-mer tables, no early abandoning, no threads) and keep those at or
 * above the p-value threshold; a window with an N never scores.
 */
function naiveHits(scanner: MotifScanner, batch: SequenceBatch): string[] {
  const out: string[] = [];
  const n = batch.offsets.length - 1;
  for (let r = 0; r < n; r++) {
    const a = batch.offsets[r]!;
    const b = batch.offsets[r + 1]!;
    scanner.motifs.forEach((m, mi) => {
      const pwms = scanner.bothStrands
        ? [scanner.forward[mi]!, scanner.reverse[mi]!]
        : [scanner.forward[mi]!];
      pwms.forEach((pwm, strand) => {
        const t = intScoreThreshold(pwm, scanner.pValue);
        for (let p = a; p + m.width <= b; p++) {
          let hasN = false;
          for (let i = 0; i < m.width; i++) if (batch.codes[p + i]! > 3) hasN = true;
          if (hasN) continue;
          const s = intScoreOfWindow(pwm, batch.codes, p);
          if (s >= t) out.push(`${r}:${mi}:${strand}:${p - a}:${p - a + m.width}`);
        }
      });
    });
  }
  return out;
}

const keys = (h: MotifHits): string[] =>
  Array.from(
    { length: h.count },
    (_, i) => `${h.regions[i]}:${h.motifs[i]}:${h.strands[i]}:${h.starts[i]}:${h.ends[i]}`,
  );

const row = fc
  .array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 })
  .map((xs) => {
    const s = xs.reduce((a, b) => a + b, 0);
    return s > 0 ? xs.map((x) => x / s) : [0.25, 0.25, 0.25, 0.25];
  });
const motifs = fc.array(
  fc.array(row, { minLength: 1, maxLength: 14 }).map((rows): Motif => ({
    id: `m${rows.length}`,
    altName: '',
    width: rows.length,
    probabilities: Float64Array.from(rows.flat()),
    nsites: 20,
  })),
  { minLength: 1, maxLength: 4 },
);
const batches = fc
  .array(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 60 }), {
    minLength: 1,
    maxLength: 5,
  })
  .map((regions): SequenceBatch => {
    const offsets = new Int32Array(regions.length + 1);
    regions.forEach((r, i) => (offsets[i + 1] = offsets[i]! + r.length));
    return { codes: Uint8Array.from(regions.flat()), offsets };
  });

describe('scanning', () => {
  it('finds exactly the windows a one-base-at-a-time scorer finds, in region, motif, strand, start order', () => {
    fc.assert(
      fc.property(
        motifs,
        batches,
        fc.constantFrom(0.5, 0.05, 1e-3),
        fc.boolean(),
        (ms, batch, pValue, bothStrands) => {
          const scanner = makeMotifScanner(ms, {
            pValue,
            bothStrands,
            background: [0.3, 0.2, 0.2, 0.3],
          });
          const hits = scanMotifsInThread(scanner, batch);
          expect(keys(hits)).toEqual(naiveHits(scanner, batch));
          for (let i = 0; i < hits.count; i++) expect(hits.pValues[i]!).toBeLessThanOrEqual(pValue);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gives the same hits on 2 worker threads as in this thread', async () => {
    const ms = fc
      .sample(motifs, { numRuns: 1, seed: 3 })[0]!
      .concat(fc.sample(motifs, { numRuns: 1, seed: 4 })[0]!);
    const unique = ms.map((m, i) => ({ ...m, id: `m${i}` }));
    let x = 99;
    const codes = Uint8Array.from(
      { length: 20_000 },
      () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) % 5,
    );
    const batch = { codes, offsets: Int32Array.of(0, 7000, 7001, 20_000) };
    const scanner = makeMotifScanner(unique, { pValue: 1e-2 });
    const one = scanMotifsInThread(scanner, batch);
    const two = await scanMotifs(scanner, batch, { threads: 2 });
    expect(one.count).toBeGreaterThan(0);
    expect(two).toEqual(one);
  });

  it('rejects offsets that do not cover the codes', () => {
    const scanner = makeMotifScanner([
      { id: 'a', altName: '', width: 1, probabilities: Float64Array.of(1, 0, 0, 0), nsites: 20 },
    ]);
    expect(() =>
      scanMotifsInThread(scanner, { codes: new Uint8Array(4), offsets: Int32Array.of(0, 3) }),
    ).toThrow(/offsets/);
    expect(() => makeMotifScanner([], { pValue: 0 })).toThrow(/p-value/);
  });
});
