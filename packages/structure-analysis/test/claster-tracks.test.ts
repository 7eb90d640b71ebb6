import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CLASTER_LANDSCAPE,
  CLASTER_TARGET,
  type TrackIntervals,
  binAroundTss,
  tssWindowRange,
} from '../src/index.js';

function numpyPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    try {
      execFileSync(py, ['-c', 'import numpy'], { stdio: 'ignore' });
      return py;
    } catch {
      /* next */
    }
  }
  console.warn('skipping: no python3 with numpy');
  return undefined;
}
const py = numpyPython();

const L = 1_400_000;
/** Seeded random bedGraph-like intervals with gaps over [0, L). */
function randomIntervals(seed: number): TrackIntervals & { values: Float32Array } {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const starts: number[] = [];
  const ends: number[] = [];
  const values: number[] = [];
  let p = 0;
  while (p < L - 500) {
    const len = 1 + Math.floor(rnd() * 400);
    starts.push(p);
    ends.push(p + len);
    values.push(rnd() * 10);
    p += len + (rnd() < 0.6 ? 0 : Math.floor(rnd() * 2000));
  }
  return { starts, ends, values: Float32Array.from(values) };
}

const genes: { tss: number; strand: '+' | '-' }[] = [
  { tss: 700_000, strand: '+' },
  { tss: 700_000, strand: '-' },
  { tss: 123_457, strand: '+' }, // runs off the start
  { tss: 1_350_001, strand: '-' }, // runs off the end
];

describe.skipIf(!py)('CLASTER TSS binning vs a dense numpy oracle', () => {
  it('landscape (10,001 × 100 bp) and target (401 × 1 kbp), both strands, chromosome ends', () => {
    const iv = randomIntervals(11);
    const cases = genes.flatMap((g) => [
      { ...g, b: CLASTER_LANDSCAPE },
      { ...g, b: CLASTER_TARGET },
    ]);
    const script = `
import json, sys, numpy as np
d = json.load(sys.stdin)
L = d["L"]
a = np.zeros(L)
for s, e, v in zip(d["starts"], d["ends"], d["values"]):
    a[s:e] = v
out = []
for c in d["cases"]:
    n, bs, tss = c["nBins"], c["binSize"], c["tss"]
    ws = tss - (n - 1) // 2 * bs - bs // 2
    padded = np.zeros(n * bs)
    lo, hi = max(ws, 0), min(ws + n * bs, L)
    padded[lo - ws:hi - ws] = a[lo:hi]
    vals = padded.reshape(n, bs).mean(axis=1)
    mask = np.array([1 if ws + k * bs >= 0 and ws + (k + 1) * bs <= L else 0 for k in range(n)])
    if c["strand"] == "-":
        vals, mask = vals[::-1], mask[::-1]
    out.append({"values": vals.tolist(), "mask": mask.tolist()})
print(json.dumps(out))`;
    const input = JSON.stringify({
      L,
      starts: iv.starts,
      ends: iv.ends,
      values: Array.from(iv.values),
      cases: cases.map((c) => ({ ...c.b, tss: c.tss, strand: c.strand })),
    });
    const want = JSON.parse(
      execFileSync(py!, ['-c', script], { input, maxBuffer: 1 << 28 }).toString(),
    ) as { values: number[]; mask: number[] }[];
    cases.forEach((c, i) => {
      const got = binAroundTss(iv, L, c.tss, c.strand, c.b);
      const w = want[i]!;
      expect(got.values.length).toBe(c.b.nBins);
      let worst = 0;
      for (let k = 0; k < c.b.nBins; k++)
        worst = Math.max(worst, Math.abs(got.values[k]! - w.values[k]!));
      expect(worst).toBeLessThan(1e-5);
      expect(Array.from(got.mask)).toEqual(w.mask);
      expect(got.maskedBins).toBe(w.mask.filter((m) => m === 0).length);
    });
    // the off-chromosome genes really are masked: 123,457 − 500,050 < 0 → 3,766 bins
    expect(binAroundTss(iv, L, 123_457, '+', CLASTER_LANDSCAPE).maskedBins).toBe(
      Math.ceil((500_050 - 123_457) / 100),
    );
  });

  it('the TSS sits in the middle bin; a − window is the + window reversed', () => {
    const iv = { starts: [999], ends: [1000], values: [100] }; // one base, 0-based 999
    const p = binAroundTss(iv, 10_000, 999, '+', { binSize: 10, nBins: 5 });
    expect(tssWindowRange(999, { binSize: 10, nBins: 5 })).toEqual([974, 1024]);
    expect(Array.from(p.values)).toEqual([0, 0, 10, 0, 0]);
    const q = binAroundTss({ starts: [1020], ends: [1024], values: [5] }, 10_000, 999, '-', {
      binSize: 10,
      nBins: 5,
    });
    expect(Array.from(q.values)).toEqual([2, 0, 0, 0, 0]); // downstream in genome = upstream of a − gene
  });
});
