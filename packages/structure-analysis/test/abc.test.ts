import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodingOf, makeTable, readTable, sharedDataFile, writeTable } from '@chromflow/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { abcScores } from '../src/stages/abc-scores.js';
import { computeAbcScores, openCooler, powerLawContact } from '../src/index.js';
import { runStage } from './stage-context.js';

const coolPath = sharedDataFile(
  'hic',
  'cooler_gm12878_mboi_2000kb_hg19',
  'hg19.GM12878-MboI.matrix.2000kb.cool',
);
const cooPath = sharedDataFile(
  'hic',
  'cooler_gm12878_mboi_2000kb_hg19',
  'hg19.GM12878-MboI.matrix.2000kb.coo.txt',
);

/** ABC's published formula (get_powerlaw_at_distance), written out independently of the package. */
const abcPowerLaw = (d: number, gamma: number, scale: number): number =>
  Math.exp(scale + -1 * gamma * Math.log(Math.max(d, 5000) + 1));

function tables(
  regions: [string, number, number][],
  genes: [string, string, number][],
  acts: [string, number, number][],
) {
  return {
    regions: makeTable(
      {
        chrom: regions.map((r) => r[0]),
        start: Int32Array.from(regions.map((r) => r[1])),
        end: Int32Array.from(regions.map((r) => r[2])),
        name: regions.map((_, i) => `r${i}`),
      },
      'regions',
    ),
    genes: makeTable(
      {
        gene_id: genes.map((g) => `ENSG${g[1]}`),
        gene_name: genes.map((g) => g[1]),
        chrom: genes.map((g) => g[0]),
        start: Int32Array.from(genes.map((g) => g[2])),
        end: Int32Array.from(genes.map((g) => g[2] + 1000)),
        strand: genes.map(() => '+'),
        tss: Int32Array.from(genes.map((g) => g[2])),
      },
      'genes',
    ),
    pseudobulk: makeTable(
      {
        group: acts.map((a) => a[0]),
        region: Int32Array.from(acts.map((a) => a[1])),
        count: Float64Array.from(acts.map((a) => a[2])),
        cpm: Float64Array.from(acts.map((a) => a[2] * 10)),
        accessibility: Float64Array.from(acts.map((a) => a[2] / 100)),
        accessible: acts.map((a) => a[2] > 0),
      },
      'pseudobulk',
    ),
  };
}

describe('ABC scores with the power law', () => {
  const t = tables(
    [
      ['chr1', 1000, 2000],
      ['chr1', 50_000, 51_000],
      ['chr1', 7_000_000, 7_001_000],
      ['chr2', 100, 200],
    ],
    [
      ['chr1', 'G1', 10_000],
      ['chr3', 'G3', 10_000],
    ],
    [
      ['A', 0, 3],
      ['A', 1, 5],
      ['A', 2, 7],
      ['B', 1, 2],
    ],
  );
  const gamma = 0.87;
  const scale = -4.8 + 11.63 * 0.87; // ABC's reference pair (predict.py --hic_gamma_reference)

  it('scores = activity × power law, normalised over candidates within the window', () => {
    const s = computeAbcScores(t, { gamma, scale });
    const rows = s.scores.length;
    expect(rows).toBe(3); // A×{r0,r1}, B×{r1}; r2 is 6.9955 Mb away, r3 on another chromosome
    const n0 = 30 * abcPowerLaw(8500, gamma, scale);
    const n1 = 50 * abcPowerLaw(40_500, gamma, scale);
    expect(s.groups).toEqual(['A', 'A', 'B']);
    expect(Array.from(s.regions)).toEqual([0, 1, 1]);
    expect(Array.from(s.distances)).toEqual([8500, 40_500, 40_500]);
    expect(s.scores[0]).toBeCloseTo(n0 / (n0 + n1), 12);
    expect(s.scores[1]).toBeCloseTo(n1 / (n0 + n1), 12);
    expect(s.scores[2]).toBe(1);
    expect(s.contacts[0]).toBeCloseTo(abcPowerLaw(8500, gamma, scale), 14);
  });

  it('a smaller window drops farther candidates; activity can be another column', () => {
    const s = computeAbcScores(t, { gamma, scale, window: 20_000, activity: 'count' });
    expect(Array.from(s.regions)).toEqual([0]);
    expect(s.activities[0]).toBe(3);
    expect(s.scores[0]).toBe(1);
  });

  it('power law clips distances below 5 kb as ABC does', () => {
    expect(powerLawContact(10, gamma, scale)).toBe(powerLawContact(5000, gamma, scale));
    expect(powerLawContact(123_456, gamma, scale)).toBeCloseTo(
      abcPowerLaw(123_456, gamma, scale),
      14,
    );
  });

  it('scores of each gene sum to 1 in each group (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 3_000_000 }),
            fc.integer({ min: 1, max: 5000 }),
            fc.double({ min: 0.01, max: 100, noNaN: true }),
          ),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        fc.integer({ min: 0, max: 3_000_000 }),
        (rs, tss) => {
          const tt = tables(
            rs.map(([s, w]) => ['chr1', s, s + w]),
            [['chr1', 'G', tss]],
            rs.map(([, , a], i) => ['A', i, a]),
          );
          const s = computeAbcScores(tt);
          expect(s.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe.skipIf(!coolPath || !cooPath)('ABC scores with the GM12878 map', () => {
  it('contact = observed count / mean row sum + power-law pseudocount', async () => {
    const cool = await openCooler(coolPath!);
    try {
      // chr22 is bins 1415…1440 in this file (chrom_offset); TSS in bin 1415+8, enhancers 2 and 6 bins away
      const tss = 16_000_001;
      const t = tables(
        [
          ['chr22', 20_000_000, 20_001_000],
          ['chr22', 28_000_000, 28_001_000],
          ['chr22', 16_200_000, 16_201_000],
        ],
        [['chr22', 'G', tss]],
        [
          ['A', 0, 1],
          ['A', 1, 1],
          ['A', 2, 1],
        ],
      );
      const gamma = 1.1;
      const scale = 17;
      const s = computeAbcScores(t, {
        window: 20_000_000,
        contacts: { cool, balance: false, gamma, scale },
      });
      // independent reading of the text dump
      const lo = cool.chromOffsets[cool.chromNames.indexOf('chr22')]!;
      const hi = cool.chromOffsets[cool.chromNames.indexOf('chr22') + 1]!;
      const counts = new Map<string, number>();
      const rowSums = new Map<number, number>();
      for (const l of readFileSync(cooPath!, 'utf8').trim().split('\n')) {
        const [a, b, c] = l.split('\t').map(Number) as [number, number, number];
        if (a < lo || a >= hi || b >= hi) continue;
        counts.set(`${a},${b}`, c);
        rowSums.set(a, (rowSums.get(a) ?? 0) + c);
        if (a !== b) rowSums.set(b, (rowSums.get(b) ?? 0) + c);
      }
      const sums = [...rowSums.values()].filter((v) => v > 0);
      const rowMean = sums.reduce((x, y) => x + y, 0) / sums.length;
      const tb = lo + 8;
      const at = (i: number, j: number): number =>
        counts.get(`${Math.min(i, j)},${Math.max(i, j)}`) ?? 0;
      const expected = [
        at(lo + 10, tb),
        at(lo + 14, tb),
        Math.max(at(tb - 1, tb), at(tb, tb + 1)), // same bin: ABC uses the larger neighbour
      ];
      // ABC add_hic_pseudocount: powerlaw at 1 Mb with min_distance = the map resolution (2 Mb here)
      const pseudo = (d: number): number =>
        Math.min(
          abcPowerLaw(d, gamma, scale),
          Math.exp(scale - gamma * Math.log(Math.max(1e6, 2e6) + 1)),
        );
      expect(Array.from(s.regions)).toEqual([2, 0, 1]); // output follows region midpoints
      s.contacts.forEach((c, k) =>
        expect(c).toBeCloseTo(expected[s.regions[k]!]! / rowMean + pseudo(s.distances[k]!), 12),
      );
      expect(s.contactSources).toEqual(['map', 'map', 'map']);
    } finally {
      cool.close();
    }
  });
});

describe('abc-scores stage', () => {
  it('writes an abc-scores table from parquet inputs (no map: power law)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chromflow-abc-in-'));
    const t = tables(
      [
        ['chr1', 1000, 2000],
        ['chr1', 50_000, 51_000],
      ],
      [['chr1', 'G1', 10_000]],
      [
        ['A', 0, 3],
        ['A', 1, 5],
      ],
    );
    const paths: Record<string, string> = {};
    for (const [k, v] of Object.entries(t)) {
      paths[k] = join(dir, `${k}.parquet`);
      await writeTable(paths[k], v);
    }
    const { outputs } = await runStage(abcScores, paths);
    const out = await readTable(outputs['abc-scores']!);
    expect(encodingOf(out)?.type).toBe('abc-scores');
    expect(out.schema.fields.map((f) => f.name)).toEqual([
      'group',
      'region',
      'region_name',
      'gene_id',
      'gene_name',
      'distance',
      'activity',
      'contact',
      'score',
      'contact_source',
    ]);
    expect(out.numRows).toBe(2);
    const n0 = 30 * abcPowerLaw(8500, 1.024238616787792, 5.9594510043736655);
    const n1 = 50 * abcPowerLaw(40_500, 1.024238616787792, 5.9594510043736655);
    expect(Number(out.getChild('score')!.get(0))).toBeCloseTo(n0 / (n0 + n1), 12);
  });
});
