import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChromflowError } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import {
  CLASTER_TARGET_COLUMNS,
  parseClasterTargets,
  readClasterLandscapes,
  readClasterTargets,
  writeClasterLandscape,
  writeClasterTargets,
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

describe.skipIf(!py)('CLASTER published layout vs numpy', () => {
  it('arrays we write load in numpy as float32 (4, 10001) with the same values; numpy-written ones read back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claster-'));
    const values = Float32Array.from({ length: 4 * 10001 }, (_, i) => Math.sin(i) * 1000);
    await writeClasterLandscape(dir, {
      gene: 'Sox2',
      orientation: 'forward',
      values,
      nTracks: 4,
      nBins: 10001,
    });
    const got = JSON.parse(
      execFileSync(py!, [
        '-c',
        `import json, sys, numpy as np
a = np.load(sys.argv[1] + "/Sox2_forward.npy")
np.save(sys.argv[1] + "/Nanog_rev.npy", np.asfortranarray(np.arange(4 * 10001, dtype="<f8").reshape(4, 10001) / 7))
np.save(sys.argv[1] + "/Nanog_forward.npy", (np.arange(4 * 10001, dtype="<f4").reshape(4, 10001) * 3))
print(json.dumps({"dtype": str(a.dtype), "shape": a.shape, "sum": float(a.astype("f8").sum()), "a12": float(a[1, 2]), "a39999": float(a[3, 9999])}))`,
        dir,
      ]).toString(),
    ) as { dtype: string; shape: number[]; sum: number; a12: number; a39999: number };
    expect(got.dtype).toBe('float32');
    expect(got.shape).toEqual([4, 10001]);
    let sum = 0;
    for (const v of values) sum += v;
    expect(got.sum / sum).toBeCloseTo(1, 9);
    expect(got.a12).toBe(values[1 * 10001 + 2]);
    expect(got.a39999).toBe(values[3 * 10001 + 9999]);
    const all = await readClasterLandscapes(dir);
    expect(all.map((a) => `${a.gene}_${a.orientation}`)).toEqual([
      'Nanog_forward',
      'Nanog_rev',
      'Sox2_forward',
    ]);
    expect(all[0]!.values[2 * 10001 + 5]).toBe((2 * 10001 + 5) * 3);
    expect(all[1]!.values[3 * 10001 + 17]).toBe(Math.fround((3 * 10001 + 17) / 7)); // Fortran order, f8
    expect(Array.from(all[2]!.values.subarray(0, 5))).toEqual(Array.from(values.subarray(0, 5)));
  });

  it('a targets CSV we write reads in Python with the 401 columns; a numpy-written one reads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claster-'));
    const path = join(dir, 'targets.csv');
    const values = Float64Array.from({ length: 2 * 401 }, (_, i) => i / 3);
    await writeClasterTargets(path, { idColumn: 'gene', ids: ['Sox2', 'Nanog'], values });
    const got = JSON.parse(
      execFileSync(py!, [
        '-c',
        `import csv, json, sys, numpy as np
rows = list(csv.reader(open(sys.argv[1])))
hdr = rows[0]
a = np.array([[float(x) for x in r[1:]] for r in rows[1:]])
with open(sys.argv[1] + ".py.csv", "w") as f:
    f.write(",".join(["ID"] + ["%d_ctrl" % k for k in range(-200, 201)]) + "\\n")
    f.write(",".join(["Klf4"] + [repr(float(x)) for x in np.linspace(0, 1, 401)]) + "\\n")
print(json.dumps({"hdr": [hdr[1], hdr[201], hdr[401]], "n": len(hdr), "a": a[1, 400]}))`,
        path,
      ]).toString(),
    ) as { hdr: string[]; n: number; a: number };
    expect(got.hdr).toEqual(['-200_ctrl', '0_ctrl', '200_ctrl']);
    expect(got.n).toBe(402);
    expect(got.a).toBe(values[401 + 400]);
    const back = await readClasterTargets(path);
    expect(back.ids).toEqual(['Sox2', 'Nanog']);
    expect(Array.from(back.values)).toEqual(Array.from(values));
    const py2 = await readClasterTargets(`${path}.py.csv`);
    expect(py2.idColumn).toBe('ID');
    expect(py2.values[200]).toBe(0.5);
    expect(py2.values[400]).toBe(1);
  });
});

describe('CLASTER layout bad input', () => {
  it('a targets CSV with the wrong bin columns is a SCHEMA error naming the first wrong bin', () => {
    const cols = CLASTER_TARGET_COLUMNS.filter((c) => c !== '0_ctrl');
    const text = `gene,${cols.join(',')}\nA,${cols.map(() => '1').join(',')}\n`;
    const e = (() => {
      try {
        parseClasterTargets(text, 't.csv');
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(ChromflowError);
    expect((e as ChromflowError).code).toBe('SCHEMA');
    expect((e as ChromflowError).format()).toMatch(/0_ctrl/);
    const kb = `gene,${Array.from({ length: 401 }, (_, k) => `${k - 200}_kb`).join(',')}\n`;
    expect(() => parseClasterTargets(kb)).toThrow(/bin columns/);
  });
  it('a landscape of the wrong shape or name is an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claster-'));
    await writeClasterLandscape(dir, {
      gene: 'G',
      orientation: 'forward',
      values: new Float32Array(3 * 10001),
      nTracks: 3,
      nBins: 10001,
    });
    await expect(readClasterLandscapes(dir)).rejects.toThrow(/wrong shape/);
    const dir2 = mkdtempSync(join(tmpdir(), 'claster-'));
    writeFileSync(join(dir2, 'G_fwd.npy'), '');
    await expect(readClasterLandscapes(dir2)).rejects.toThrow(/named/);
  });
});
