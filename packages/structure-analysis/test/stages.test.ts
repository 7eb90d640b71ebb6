import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodingOf, readTable, sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { stages } from '../src/index.js';
import { contactDecayStage } from '../src/stages/contact-decay.js';
import { plddtDomains } from '../src/stages/plddt-domains.js';
import { runStage } from './stage-context.js';

const oct4Path = sharedDataFile('structures', 'af2_multimer_pioneer_tfs', 'Q01860_P35244.pdb');
const coolPath = sharedDataFile(
  'hic',
  'cooler_gm12878_mboi_2000kb_hg19',
  'hg19.GM12878-MboI.matrix.2000kb.cool',
);

describe('stage list', () => {
  it('names every stage <package>.<stage> with defaults that fit their own ranges', () => {
    expect(stages.map((s) => s.name)).toEqual([
      'structure-analysis.plddt-domains',
      'structure-analysis.contact-decay',
      'structure-analysis.abc-scores',
      'structure-analysis.ice-balance',
      'structure-analysis.claster-inputs',
      'structure-analysis.claster-published-inputs',
    ]);
    for (const s of stages) {
      for (const [k, p] of Object.entries(s.params.properties)) {
        expect(p.description, `${s.name}.${k}`).not.toBe('');
        if (typeof p.default === 'number' && p.minimum !== undefined)
          expect(p.default).toBeGreaterThanOrEqual(p.minimum);
      }
    }
  });
});

describe.skipIf(!oct4Path)('plddt-domains stage on OCT4 (Q01860_P35244.pdb)', () => {
  it('writes a plddt-domains table with the DBD over Pou + Homeodomain', async () => {
    const { outputs, info } = await runStage(plddtDomains, { structure: oct4Path });
    const t = await readTable(outputs['plddt-domains']!);
    expect(encodingOf(t)).toEqual({ type: 'plddt-domains', version: '1' });
    const isDbd = t.getChild('is_dbd')!;
    const rows = [...Array(t.numRows).keys()].filter((i) => isDbd.get(i) === true);
    expect(rows.length).toBe(1);
    const start = Number(t.getChild('residue_start')!.get(rows[0]!));
    const end = Number(t.getChild('residue_end')!.get(rows[0]!));
    expect(start).toBeLessThanOrEqual(141); // Pfam Pou 141-212
    expect(end).toBeGreaterThanOrEqual(287); // Pfam Homeodomain 231-287
    expect(String(t.getChild('protein')!.get(0))).toBe('Q01860_P35244');
    expect(info && info.metrics?.['residues']).toBe(360);
  });

  it('a chain that does not exist fails with a ChromflowError', async () => {
    await expect(runStage(plddtDomains, { structure: oct4Path }, { chain: 'Q' })).rejects.toThrow(
      /no such chain/,
    );
  });
});

/** A CA-only PDB chain: residue i is `residue(i)` with pLDDT `plddt(i)`. */
function pdb(n: number, residue: (i: number) => string, plddt: (i: number) => number): string {
  return Array.from(
    { length: n },
    (_, k) =>
      `ATOM  ${String(k + 1).padStart(5)}  CA  ${residue(k + 1)} A${String(k + 1).padStart(4)}    ` +
      `   0.000   0.000   0.000  1.00${plddt(k + 1)
        .toFixed(2)
        .padStart(6)}           C  `,
  ).join('\n');
}

describe('plddt-domains stage on a folder of structures', () => {
  const rows = async (path: string): Promise<Record<string, unknown>[]> => {
    const t = await readTable(path);
    return Array.from({ length: t.numRows }, (_, i) =>
      Object.fromEntries(
        t.schema.fields.map((f) => [f.name, t.getChild(f.name)!.get(i) as unknown]),
      ),
    );
  };

  it('writes every structure of the folder into one table, each as when read alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chromflow-plddt-folder-'));
    // tfA: a confident K-rich N-terminal half; tfB: a disordered start, a confident R-rich tail.
    writeFileSync(
      join(dir, 'tfA.pdb'),
      pdb(
        200,
        (i) => (i <= 100 && i % 3 === 0 ? 'LYS' : 'ALA'),
        (i) => (i <= 100 ? 92 : 35),
      ),
    );
    writeFileSync(
      join(dir, 'tfB.pdb'),
      pdb(
        160,
        (i) => (i > 90 && i % 4 === 0 ? 'ARG' : 'GLY'),
        (i) => (i > 60 ? 88 : 30),
      ),
    );
    writeFileSync(join(dir, 'README.txt'), 'not a structure');
    const both = await runStage(plddtDomains, { structures: dir });
    const all = await rows(both.outputs['plddt-domains']!);
    expect([...new Set(all.map((r) => r['protein']))]).toEqual(['tfA', 'tfB']);
    expect(both.info && both.info.metrics?.['structures']).toBe(2);
    expect(both.info && both.info.metrics?.['dbd']).toBe('2 of 2 proteins');
    for (const name of ['tfA', 'tfB']) {
      const alone = await runStage(plddtDomains, { structure: join(dir, `${name}.pdb`) });
      expect(all.filter((r) => r['protein'] === name)).toEqual(
        await rows(alone.outputs['plddt-domains']!),
      );
    }
    expect(all.filter((r) => r['is_dbd'] === true).map((r) => r['protein'])).toEqual([
      'tfA',
      'tfB',
    ]);
  });

  it('needs exactly one of structure and structures, and a folder with a structure', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'chromflow-plddt-empty-'));
    writeFileSync(join(empty, 'notes.txt'), 'nothing');
    await expect(runStage(plddtDomains, {})).rejects.toThrow(/one structure or one folder/);
    await expect(
      runStage(plddtDomains, { structure: join(empty, 'x.pdb'), structures: empty }),
    ).rejects.toThrow(/one structure or one folder/);
    await expect(runStage(plddtDomains, { structures: empty })).rejects.toThrow(
      /holds no structure file/,
    );
  });
});

describe.skipIf(!coolPath)('contact-decay stage on GM12878 2 Mb', () => {
  it('warns when ABC’s 1 Mb fit range holds no distance at 2 Mb bins', async () => {
    const { outputs, warnings } = await runStage(contactDecayStage, { contacts: coolPath });
    expect(warnings.join()).toMatch(/raise max_distance/);
    const t = await readTable(outputs['contact-decay']!);
    expect(Number.isNaN(Number(t.getChild('gamma')!.get(0)))).toBe(true);
  });

  it('fits every autosome and X with max_distance 20 Mb (gamma between 0.8 and 1.5)', async () => {
    const { outputs } = await runStage(
      contactDecayStage,
      { contacts: coolPath },
      { min_distance: 2_000_000, max_distance: 20_000_000 },
    );
    const t = await readTable(outputs['contact-decay']!);
    expect(encodingOf(t)?.type).toBe('contact-decay');
    const gammas = new Map<string, number>();
    for (let i = 0; i < t.numRows; i++)
      gammas.set(String(t.getChild('chrom')!.get(i)), Number(t.getChild('gamma')!.get(i)));
    for (const c of [...Array.from({ length: 22 }, (_, i) => `chr${i + 1}`), 'chrX', 'all']) {
      expect(gammas.get(c)).toBeGreaterThan(0.8);
      expect(gammas.get(c)).toBeLessThan(1.5);
    }
  });
});
