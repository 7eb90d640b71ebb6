import { readFileSync } from 'node:fs';
import { sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MOTIFS,
  formatMeme,
  maxScore,
  reverseComplement,
  sampleSite,
  scoreSite,
} from '../src/motif-models.js';
import { Random } from '../src/random.js';

/** A MEME file's matrices by motif id and alt name, read with a regex (independent of genome-io). */
function parseMeme(text: string): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  const blocks = text.split(/^MOTIF /m).slice(1);
  for (const b of blocks) {
    const [id, alt] = b.split('\n')[0]!.trim().split(/\s+/);
    const rows = b
      .split('\n')
      .filter((l) => /^\s*[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s*$/.test(l))
      .map((l) => l.trim().split(/\s+/).map(Number));
    out.set(id!, rows);
    if (alt) out.set(alt, rows);
  }
  return out;
}

function pearson(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length;
  const mb = b.reduce((s, x) => s + x, 0) / b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

/** Best mean column Pearson correlation over ungapped alignments (≥ 6 overlapping columns) on both strands. */
function similarity(a: number[][], b: number[][]): number {
  const rc = b.map((c) => [c[3]!, c[2]!, c[1]!, c[0]!]).reverse();
  let best = -1;
  for (const bb of [b, rc]) {
    for (let off = -(bb.length - 6); off <= a.length - 6; off++) {
      const cors: number[] = [];
      for (let i = 0; i < a.length; i++) {
        const j = i - off;
        if (j >= 0 && j < bb.length) cors.push(pearson(a[i]!, bb[j]!));
      }
      if (cors.length >= 6) best = Math.max(best, cors.reduce((s, x) => s + x, 0) / cors.length);
    }
  }
  return best;
}

describe('motif models', () => {
  it('have columns that are probability vectors', () => {
    for (const m of DEFAULT_MOTIFS) {
      for (const col of m.pwm) {
        expect(col.every((p) => p > 0 && p < 1)).toBe(true);
        expect(col.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      }
    }
  });

  it('write a MEME file whose matrices read back exactly (6 decimals)', () => {
    const text = formatMeme(DEFAULT_MOTIFS, [0.3, 0.2, 0.2, 0.3]);
    const parsed = parseMeme(text);
    for (const m of DEFAULT_MOTIFS) {
      const rows = parsed.get(m.id)!;
      expect(rows.length).toBe(m.pwm.length);
      rows.forEach((r, i) => r.forEach((p, k) => expect(p).toBeCloseTo(m.pwm[i]![k]!, 6)));
      expect(text).toContain(`letter-probability matrix: alength= 4 w= ${m.pwm.length}`);
    }
  });

  it('sample sites with the PWM mismatch rate (15 % at strong positions)', () => {
    const spi1 = DEFAULT_MOTIFS.find((m) => m.tf === 'SPI1')!;
    const rng = new Random(11);
    const n = 20_000;
    const strong = [...spi1.consensus]
      .map((c, i) => (c >= 'A' && c <= 'Z' && 'ACGT'.includes(c) ? i : -1))
      .filter((i) => i >= 0);
    let mismatches = 0;
    for (let k = 0; k < n; k++) {
      const site = sampleSite(spi1, rng);
      for (const i of strong) if (site[i] !== spi1.consensus[i]) mismatches++;
    }
    expect(mismatches / (n * strong.length)).toBeCloseTo(0.15, 2);
    expect(scoreSite(spi1, spi1.consensus.toUpperCase().replace(/[WR]/g, 'A'))).toBeCloseTo(
      maxScore(spi1),
      9,
    );
    expect(reverseComplement('AACGTN')).toBe('NACGTT');
  });

  const jaspar = sharedDataFile(
    'motifs',
    'JASPAR2018_CORE_vertebrates_non-redundant_pfms_meme.txt',
  );
  it.skipIf(!jaspar)(
    'resemble the JASPAR 2018 profile of the same factor, and not those of the others',
    () => {
      const db = parseMeme(readFileSync(jaspar!, 'utf8'));
      const names: Record<string, string> = {
        SPI1: 'SPI1',
        GATA1: 'Gata1',
        CEBPB: 'CEBPB',
        'FOS::JUN': 'FOS::JUN',
        EBF1: 'EBF1',
        CTCF: 'CTCF',
        HNF1A: 'HNF1A',
        REST: 'REST',
        RUNX1: 'RUNX1',
      };
      for (const m of DEFAULT_MOTIFS) {
        const own = db.get(names[m.tf]!);
        expect(own, m.tf).toBeDefined();
        const sOwn = similarity(m.pwm, own!);
        expect(sOwn, `${m.id} vs JASPAR ${names[m.tf]}`).toBeGreaterThan(0.75);
        for (const other of DEFAULT_MOTIFS) {
          if (other.tf === m.tf) continue;
          expect(
            similarity(m.pwm, db.get(names[other.tf]!)!),
            `${m.id} vs JASPAR ${other.tf}`,
          ).toBeLessThan(sOwn);
        }
      }
    },
  );
});
