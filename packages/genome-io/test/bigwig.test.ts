import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChromflowError } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { type BigWigTrack, type SignalIntervals, openBigWig, writeBigWig } from '../src/index.js';

/** Debian's python3 with pyBigWig (apt python3-pybigwig), else undefined. */
function pyBigWig(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    try {
      execFileSync(py, ['-c', 'import pyBigWig'], { stdio: 'ignore' });
      return py;
    } catch {
      /* next */
    }
  }
  console.warn('skipping: no python3 with pyBigWig (apt python3-pybigwig)');
  return undefined;
}
const py = pyBigWig();

/** A seeded random track: gaps and runs of intervals, values in float32. */
function randomTrack(nChroms: number, perChrom: number, seed: number): BigWigTrack {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const chroms: { name: string; length: number }[] = [];
  const intervals = new Map<string, SignalIntervals>();
  for (let c = 0; c < nChroms; c++) {
    const name = c < 3 ? `chr${c + 1}` : `scaffold_${c}_random`;
    const starts: number[] = [];
    const ends: number[] = [];
    const values: number[] = [];
    let pos = Math.floor(rnd() * 50);
    for (let k = 0; k < perChrom; k++) {
      const len = 1 + Math.floor(rnd() * 200);
      starts.push(pos);
      ends.push(pos + len);
      values.push((rnd() - 0.3) * 100);
      pos += len + (rnd() < 0.5 ? 0 : Math.floor(rnd() * 300));
    }
    chroms.push({ name, length: pos + 1000 });
    if (perChrom > 0)
      intervals.set(name, {
        starts: Int32Array.from(starts),
        ends: Int32Array.from(ends),
        values: Float32Array.from(values),
      });
  }
  return { chroms, intervals };
}

/** pyBigWig's chroms(), intervals() per chromosome and header(), as JSON. */
function readWithPyBigWig(path: string) {
  const script = `
import json, sys, pyBigWig
bw = pyBigWig.open(sys.argv[1])
out = {"chroms": bw.chroms(), "header": bw.header(), "intervals": {}}
for c, n in bw.chroms().items():
    iv = bw.intervals(c) or ()
    out["intervals"][c] = [[a, b, v] for a, b, v in iv]
out["mean1"] = bw.stats("chr1", 0, bw.chroms()["chr1"], type="mean", exact=True)[0]
print(json.dumps(out))`;
  return JSON.parse(execFileSync(py!, ['-c', script, path], { maxBuffer: 1 << 28 }).toString()) as {
    chroms: Record<string, number>;
    header: { nBasesCovered: number; minVal: number; maxVal: number; sumData: number };
    intervals: Record<string, [number, number, number][]>;
    mean1: number;
  };
}

describe.skipIf(!py)('bigWig writer read back with pyBigWig', () => {
  const cases = [
    { label: 'one section per 1024 intervals, 3 chromosomes', nChroms: 3, per: 5000, opts: {} },
    {
      label:
        'multi-level R-tree and chromosome B+ tree (blockSize 4, 7 intervals a section, 40 chromosomes)',
      nChroms: 40,
      per: 200,
      opts: { blockSize: 4, itemsPerSlot: 7 },
    },
    { label: 'uncompressed sections', nChroms: 3, per: 300, opts: { compress: false } },
  ];
  for (const c of cases) {
    it(c.label, async () => {
      const track = randomTrack(c.nChroms, c.per, 7 + c.nChroms);
      const path = join(mkdtempSync(join(tmpdir(), 'bw-')), 't.bw');
      await writeBigWig(path, track, c.opts);
      const r = readWithPyBigWig(path);
      expect(Object.keys(r.chroms).sort()).toEqual(track.chroms.map((x) => x.name).sort());
      let bases = 0;
      let sum = 0;
      for (const { name, length } of track.chroms) {
        expect(r.chroms[name]).toBe(length);
        const iv = track.intervals.get(name)!;
        const got = r.intervals[name]!;
        expect(got.length).toBe(iv.starts.length);
        got.forEach(([a, b, v], k) => {
          expect(a).toBe(iv.starts[k]);
          expect(b).toBe(iv.ends[k]);
          expect(v).toBe(iv.values[k]); // float32 exactly
          bases += b - a;
          sum += v * (b - a);
        });
      }
      expect(r.header.nBasesCovered).toBe(bases);
      // pyBigWig's header() gives sumData as an integer (truncated)
      expect(Math.abs(r.header.sumData - sum)).toBeLessThan(1 + 1e-9 * Math.abs(sum));
      const chr1 = track.intervals.get('chr1')!;
      let s1 = 0;
      let b1 = 0;
      chr1.starts.forEach((a, k) => {
        s1 += chr1.values[k]! * (chr1.ends[k]! - a);
        b1 += chr1.ends[k]! - a;
      });
      expect(r.mean1 / (s1 / b1)).toBeCloseTo(1, 6);
      // and @gmod/bbi reads the same intervals back over a sub-range
      const bw = await openBigWig(path);
      const lo = chr1.starts[10]!;
      const hi = chr1.ends[60]!;
      const f = await bw.fetch('chr1', lo, hi);
      expect(Array.from(f.starts)).toEqual(Array.from(chr1.starts.subarray(10, 61)));
      expect(Array.from(f.values)).toEqual(Array.from(chr1.values.subarray(10, 61)));
    });
  }

  it('reads a bigWig that pyBigWig wrote (an outside writer)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bw-')), 'py.bw');
    execFileSync(py!, [
      '-c',
      `import pyBigWig, sys
bw = pyBigWig.open(sys.argv[1], "w")
bw.addHeader([("chr1", 10000), ("chr2", 5000)])
bw.addEntries(["chr1", "chr1", "chr2"], [0, 100, 10], ends=[50, 150, 20], values=[1.5, -2.0, 3.25])
bw.close()`,
      path,
    ]);
    const bw = await openBigWig(path);
    expect([...bw.chroms]).toEqual([
      ['chr1', 10000],
      ['chr2', 5000],
    ]);
    const f = await bw.fetch('chr1', 0, 10000);
    expect(Array.from(f.starts)).toEqual([0, 100]);
    expect(Array.from(f.ends)).toEqual([50, 150]);
    expect(Array.from(f.values)).toEqual([1.5, -2]);
    await expect(bw.fetch('chrX', 0, 10)).rejects.toThrow(ChromflowError);
  });
});

describe('bigWig bad input', () => {
  it('overlapping intervals are a VALUE error naming the interval', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bw-')), 'bad.bw');
    const track: BigWigTrack = {
      chroms: [{ name: 'chr1', length: 1000 }],
      intervals: new Map([
        [
          'chr1',
          {
            starts: Int32Array.from([0, 5]),
            ends: Int32Array.from([10, 20]),
            values: Float32Array.from([1, 2]),
          },
        ],
      ]),
    };
    const e = await writeBigWig(path, track).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChromflowError);
    expect((e as ChromflowError).format()).toMatch(/intervals\.chr1\[1\]/);
  });
  it('a file that is not a bigWig is a PARSE error', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bw-')), 'not.bw');
    writeFileSync(path, 'chr1\t0\t10\t1\n'.repeat(20));
    await expect(openBigWig(path)).rejects.toThrow(/bigWig/);
  });
});
