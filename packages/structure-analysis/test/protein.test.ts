import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ChromflowError, sharedDataFile } from '@chromflow/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  callPlddtDomains,
  parseMmcif,
  parsePdb,
  readStructure,
  requirePlddt,
  selectChain,
  segmentPlddt,
  smoothPlddt,
} from '../src/index.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
const dir = ['structures', 'af2_multimer_pioneer_tfs'];
const oct4Path = sharedDataFile(...dir, 'Q01860_P35244.pdb');
const sox2Path = sharedDataFile(...dir, 'P48431_P53803.pdb');
const pfamPath = sharedDataFile(...dir, 'tf_pfam31_domains_subset.tsv');

function hasNumpy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn('skipping: python3 with numpy is not available');
    return false;
  }
}

/** Pfam v31 rows for one UniProt accession: [start, end] 1-based inclusive, plus length. */
function pfamRanges(
  accession: string,
): { name: string; start: number; end: number; length: number }[] {
  const lines = readFileSync(pfamPath!, 'utf8').trim().split('\n').slice(1);
  return lines
    .map((l) => l.split('\t'))
    .filter((f) => f[1] === accession)
    .map((f) => ({ name: f[6]!, start: Number(f[3]), end: Number(f[4]), length: Number(f[2]) }));
}

describe('mmCIF reader (hand-written fixture)', () => {
  it('reads _atom_site by column name, first model, ATOM rows only', async () => {
    const m = await readStructure(fixture('oct4-rpa3-first-residues.cif'));
    expect(m.chains.map((c) => c.chainId)).toEqual(['A', 'B']);
    const a = selectChain(m, 'A');
    expect(a.sequence).toBe('MAG');
    expect(Array.from(a.residueNumbers)).toEqual([1, 2, 3]);
    expect(Array.from(a.plddt)).toEqual([28.33, 27.64, 26.78]);
    expect(Array.from(selectChain(m, 'B').plddt)).toEqual([36.06]);
  });

  it.skipIf(!oct4Path)('agrees with the PDB reading of the same atoms', async () => {
    const pdb = await readStructure(oct4Path!);
    const cif = await readStructure(fixture('oct4-rpa3-first-residues.cif'));
    for (const [id, n] of [
      ['A', 3],
      ['B', 1],
    ] as const) {
      const p = selectChain(pdb, id);
      const c = selectChain(cif, id);
      expect(c.sequence).toBe(p.sequence.slice(0, n));
      expect(Array.from(c.plddt)).toEqual(Array.from(p.plddt.slice(0, n)));
      expect(Array.from(c.residueNumbers)).toEqual(Array.from(p.residueNumbers.slice(0, n)));
    }
  });

  it('names a missing B_iso_or_equiv column', () => {
    const text = readFileSync(fixture('oct4-rpa3-first-residues.cif'), 'utf8').replace(
      '_atom_site.B_iso_or_equiv',
      '_atom_site.B_other',
    );
    expect(() => parseMmcif(text, 'x.cif')).toThrow(/no B-factor \(pLDDT\) column/);
  });
});

describe.skipIf(!oct4Path || !sox2Path || !pfamPath)(
  'AlphaFold-Multimer models (real data)',
  () => {
    it('chain A has the UniProt length listed by Pfam (OCT4 360, SOX2 317)', async () => {
      for (const [path, acc] of [
        [oct4Path!, 'Q01860'],
        [sox2Path!, 'P48431'],
      ] as const) {
        const chain = selectChain(await readStructure(path), 'A');
        requirePlddt(chain);
        expect(chain.sequence.length).toBe(pfamRanges(acc)[0]!.length);
        expect(chain.residueNumbers[0]).toBe(1);
        expect(chain.sequence.startsWith('M')).toBe(true);
      }
    });

    it('the called DBD covers the Pfam DNA-binding domains (Pou, Homeodomain; HMG_box)', async () => {
      for (const [path, acc, dbds] of [
        [oct4Path!, 'Q01860', ['Pou', 'Homeodomain']],
        [sox2Path!, 'P48431', ['HMG_box']],
      ] as const) {
        const chain = selectChain(await readStructure(path), 'A');
        const dbd = callPlddtDomains(chain).find((d) => d.isDbd)!;
        for (const p of pfamRanges(acc).filter((r) =>
          (dbds as readonly string[]).includes(r.name),
        )) {
          const overlap = Math.max(
            0,
            Math.min(dbd.residueEnd, p.end) - Math.max(dbd.residueStart, p.start) + 1,
          );
          expect(overlap / (p.end - p.start + 1)).toBeGreaterThanOrEqual(0.9);
        }
      }
    });

    it('throws a VALUE error naming the chains for a chain that does not exist', async () => {
      const m = await readStructure(oct4Path!);
      try {
        selectChain(m, 'Z');
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ChromflowError);
        expect((e as ChromflowError).code).toBe('VALUE');
        expect((e as ChromflowError).format()).toMatch(/'A', 'B'/);
      }
    });

    it('a PDB without B-factors is a located PARSE error', () => {
      const text = readFileSync(oct4Path!, 'utf8')
        .split('\n')
        .map((l) => (l.startsWith('ATOM') ? l.slice(0, 60) : l))
        .join('\n');
      try {
        parsePdb(text, 'no-b.pdb');
        expect.unreachable();
      } catch (e) {
        const err = e as ChromflowError;
        expect(err.code).toBe('PARSE');
        expect(err.line).toBe(2);
        expect(err.field).toBe('B-factor');
      }
    });
  },
);

describe('pLDDT checks', () => {
  const atom = (res: number, b: string): string =>
    `ATOM  ${String(res).padStart(5)}  CA  ALA A${String(res).padStart(4)}    ` +
    `   0.000   0.000   0.000  1.00${b.padStart(6)}           C  `;
  it('all-zero B-factors mean no pLDDT', () => {
    const chain = selectChain(parsePdb([1, 2, 3].map((r) => atom(r, '0.00')).join('\n')));
    expect(() => requirePlddt(chain)).toThrow(/holds no pLDDT/);
  });
  it('a B-factor above 100 is not pLDDT', () => {
    const chain = selectChain(parsePdb([atom(1, '50.00'), atom(2, '150.00')].join('\n')));
    expect(() => requirePlddt(chain)).toThrow(ChromflowError);
  });
  it('round-trips residue numbers and B-factors written in fixed columns (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10000 }), { minLength: 1, maxLength: 30 }),
        (bs) => {
          const lines = bs.map((b, i) => atom(i + 1, (b / 100).toFixed(2)));
          const chain = selectChain(parsePdb(lines.join('\n')));
          expect(Array.from(chain.plddt)).toEqual(bs.map((b) => Number((b / 100).toFixed(2))));
          expect(chain.sequence).toBe('A'.repeat(bs.length));
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe.skipIf(!hasNumpy())('moving average matches numpy convolve(mode="same") / max', () => {
  it('windows 10, 7 and 1', () => {
    const x = Array.from({ length: 57 }, (_, i) => 20 + ((i * 37) % 71));
    const py = execFileSync('python3', [
      '-c',
      `import numpy as np,json,sys
x=np.array(json.loads(sys.argv[1]),float); out={}
for w in (10,7,1):
    r=np.convolve(x,np.ones(w)/w,mode='same'); out[w]=(r/r.max()).tolist()
print(json.dumps(out))`,
      JSON.stringify(x),
    ]).toString();
    const expected = JSON.parse(py) as Record<string, number[]>;
    for (const w of [10, 7, 1]) {
      const ours = smoothPlddt(x, w);
      expected[String(w)]!.forEach((v, i) => expect(ours[i]).toBeCloseTo(v, 12));
    }
  });
});

describe('GET convention reproduces proscope low_plddt_region / low_or_high_plddt_region', () => {
  // window 1 makes the smoothed track the input / max, so runs can be placed exactly.
  const track = (length: number, lows: [number, number][]): number[] => {
    const x = new Array<number>(length).fill(100);
    for (const [s, e] of lows) for (let i = s; i < e; i++) x[i] = 10;
    return x;
  };
  it('a short low run right after a removed short run survives (list.remove while iterating)', () => {
    const x = track(200, [
      [10, 15],
      [60, 65],
    ]);
    // By hand from GET's code: runs [10,14] and [60,64]; removing [10,14] skips [60,64];
    // breakpoints [0,60,64,200] → 64 is dropped (closer than 30 to 60) → pieces [0,60) and [60,200).
    const get = segmentPlddt(x, { window: 1 }).map((s) => [s.start, s.end, s.confidence]);
    expect(get).toEqual([
      [0, 60, 'high'],
      [60, 200, 'high'],
    ]);
    const strict = segmentPlddt(x, { window: 1, convention: 'strict' }).map((s) => [
      s.start,
      s.end,
      s.confidence,
    ]);
    expect(strict).toEqual([[0, 200, 'high']]);
  });
  it('a long low run ends one residue before its last low residue', () => {
    const x = track(200, [[50, 100]]);
    // runs: [50, 99] (end = last low index); breakpoints [0,50,99,200]
    expect(segmentPlddt(x, { window: 1 }).map((s) => [s.start, s.end, s.confidence])).toEqual([
      [0, 50, 'high'],
      [50, 99, 'low'],
      [99, 200, 'high'],
    ]);
    expect(
      segmentPlddt(x, { window: 1, convention: 'strict' }).map((s) => [s.start, s.end]),
    ).toEqual([
      [0, 50],
      [50, 100],
      [100, 200],
    ]);
  });
});

describe('mmCIF reader (property)', () => {
  it('reads residues back whatever the quoting of each value', () => {
    const names = ['ALA', 'GLY', 'LYS', 'ARG', 'HIS', 'MSE'];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom(...names),
            fc.integer({ min: 0, max: 10000 }),
            fc.constantFrom('bare', 'single', 'double'),
          ),
          {
            minLength: 1,
            maxLength: 25,
          },
        ),
        (residues) => {
          const q = (v: string, style: string): string =>
            style === 'single' ? `'${v}'` : style === 'double' ? `"${v}"` : v;
          const rows = residues.map(
            ([name, b, style], i) =>
              `ATOM ${i + 1} C ${q('CA', style)} . ${q(name, style)} A 1 ${i + 1} ? 0.0 0.0 0.0 1.00 ${(b / 100).toFixed(2)} ${i + 1} ${name} A CA 1`,
          );
          const text = [
            'data_x',
            'loop_',
            ...[
              'group_PDB',
              'id',
              'type_symbol',
              'label_atom_id',
              'label_alt_id',
              'label_comp_id',
              'label_asym_id',
              'label_entity_id',
              'label_seq_id',
              'pdbx_PDB_ins_code',
              'Cartn_x',
              'Cartn_y',
              'Cartn_z',
              'occupancy',
              'B_iso_or_equiv',
              'auth_seq_id',
              'auth_comp_id',
              'auth_asym_id',
              'auth_atom_id',
              'pdbx_PDB_model_num',
            ].map((t) => `_atom_site.${t}`),
            ...rows,
            '#',
          ].join('\n');
          const chain = selectChain(parseMmcif(text));
          expect(chain.sequence).toBe(
            residues
              .map(([n]) =>
                n === 'MSE'
                  ? 'M'
                  : n === 'ALA'
                    ? 'A'
                    : n === 'GLY'
                      ? 'G'
                      : n === 'LYS'
                        ? 'K'
                        : n === 'ARG'
                          ? 'R'
                          : 'H',
              )
              .join(''),
          );
          expect(Array.from(chain.plddt)).toEqual(
            residues.map(([, b]) => Number((b / 100).toFixed(2))),
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it('a truncated _atom_site row is a located PARSE error', () => {
    const text = readFileSync(fixture('oct4-rpa3-first-residues.cif'), 'utf8').replace(
      / 11\.11 1 MET B CA 2\n/,
      '\n',
    );
    expect(() => parseMmcif(text, 'cut.cif')).toThrow(/ends in the middle of a row/);
  });
});
