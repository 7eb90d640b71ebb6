import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromflow, makeProject } from './cli-helpers.js';

interface Catalog {
  packages: Record<
    string,
    { fingerprint: string; stages: { name: string; version: string; description: string }[] }
  >;
}

describe('stage catalog (declarations cached by code fingerprint)', () => {
  it('is used while the package code is unchanged and rebuilt when its fingerprint differs', async () => {
    const p = await makeProject('');
    await writeFile(
      join(p.dir, 'genes.gtf'),
      'chr1\tsim\tgene\t1\t100\t.\t+\t.\tgene_id "g1"; gene_name "G1";\n',
    );
    const wf = join(p.dir, 'wf.yaml');
    await writeFile(
      wf,
      'cache: cache\nstages:\n  genes:\n    uses: genome-io.genes\n    inputs: { annotation: genes.gtf }\n',
    );
    expect(chromflow(['plan', wf], { cwd: p.dir }).code).toBe(0);
    const path = join(p.dir, 'cache', 'stage-catalog.json');
    const catalog = JSON.parse(await readFile(path, 'utf8')) as Catalog;
    const genes = catalog.packages['genome-io']!.stages.find((s) => s.name === 'genome-io.genes')!;
    expect(catalog.packages['models']).toBeUndefined(); // only the packages a workflow uses are read

    // Same fingerprint: the catalog is trusted (a doctored description shows through).
    genes.description = 'DOCTORED';
    await writeFile(path, JSON.stringify(catalog));
    expect(chromflow(['plan', wf], { cwd: p.dir }).code).toBe(0);
    expect(await readFile(path, 'utf8')).toContain('DOCTORED');

    // Another fingerprint (the code changed): the package is loaded again.
    catalog.packages['genome-io']!.fingerprint = 'stale';
    await writeFile(path, JSON.stringify(catalog));
    expect(chromflow(['plan', wf], { cwd: p.dir }).code).toBe(0);
    const rebuilt = await readFile(path, 'utf8');
    expect(rebuilt).not.toContain('DOCTORED');
    expect(rebuilt).not.toContain('"stale"');
  });
});
