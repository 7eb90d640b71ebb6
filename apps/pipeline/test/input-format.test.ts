import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTable, parquetFromTable, readTable, writeTable } from '@chromflow/core';
import { chromflow } from './cli-helpers.js';

// A file given by path to a port of another format is a plan-time error naming
// the workflow line, the field, the file and what it holds (before: `plan` said
// "valid" and count-matrix failed at run time on a peaks BED or a pandas Parquet).

const testData = join(__dirname, '../../../test-data');
const have = ['fragments.tsv.gz', 'cells.tsv', 'peaks.bed'].every((f) =>
  existsSync(join(testData, f)),
);
if (!have) console.warn('skipping: test-data/fragments.tsv.gz, cells.tsv or peaks.bed is absent');

// One cache for every project here: the stage catalog (declarations of every
// package, which the hint lists) is then built once, not once per CLI run.
const sharedCache = mkdtempSync(join(tmpdir(), 'chromflow-input-format-cache-'));

async function project(stagesYaml: string): Promise<{ dir: string; wf: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'chromflow-input-format-'));
  const wf = join(dir, 'wf.yaml');
  await writeFile(
    wf,
    `version: 1\ncache: ${sharedCache}\nresults: results\nstages:\n${stagesYaml}`,
  );
  return { dir, wf };
}

const counts = (peaks: string): string =>
  `  counts:\n    uses: atac-pseudobulk.count-matrix\n    inputs:\n      fragments: ${join(testData, 'fragments.tsv.gz')}\n      peaks: ${peaks}\n`;

/** chrom, start, end columns with the given encoding, or none (as pandas writes them). */
function regionsLike(encoding?: string): ReturnType<typeof makeTable> {
  const t = makeTable(
    { chrom: ['chr1'], start: Int32Array.from([10]), end: Int32Array.from([20]) },
    encoding ?? 'none',
  );
  if (!encoding) t.schema.metadata.clear();
  return t;
}

describe.skipIf(!have)('plan catches a file of the wrong format given to a port', () => {
  it('a peaks BED wired where a regions table (Parquet) is expected: located error naming the file and a converting stage', async () => {
    const bed = join(testData, 'peaks.bed');
    const p = await project(counts(bed));
    const r = chromflow(['plan', p.wf], { cwd: p.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('wf.yaml:9:14'); // the path, under counts.inputs.peaks
    expect(r.stderr).toContain('inputs.peaks');
    expect(r.stderr).toContain(`input 'peaks' got a file of another format: ${bed}`);
    expect(r.stderr).toContain(
      "expected a Parquet or Arrow IPC table with chromflow.encoding-type 'regions'",
    );
    const first = (await readFile(bed, 'utf8')).split('\n')[0]!;
    expect(r.stderr).toContain(`a text file whose first line is ${JSON.stringify(first)}`);
    expect(r.stderr).toMatch(
      /e\.g\. genome-io\.regions \(peaks: regions-file\) or genome-io\.peak-windows/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 300_000);

  it('a Parquet without chromflow metadata (pandas) and a Parquet of another type', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chromflow-input-format-'));
    const plain = join(dir, 'pandas.parquet');
    await writeFile(plain, await parquetFromTable(regionsLike()));
    const p1 = await project(counts(plain));
    const r1 = chromflow(['plan', p1.wf], { cwd: p1.dir });
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(
      'a Parquet table without chromflow.encoding-type (columns chrom, start, end)',
    );
    expect(r1.stderr).toMatch(/genome-io\.regions/);
    const genes = join(dir, 'genes.parquet');
    await writeTable(genes, regionsLike('genes'));
    const p2 = await project(counts(genes));
    const r2 = chromflow(['plan', p2.wf], { cwd: p2.dir });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("a Parquet table of type 'genes'");
  }, 300_000);

  it('a Parquet table given to a text-file port (peak-windows peaks: bed)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chromflow-input-format-'));
    const pq = join(dir, 'peaks.parquet');
    await writeFile(pq, await parquetFromTable(regionsLike()));
    const p = await project(
      `  windows:\n    uses: genome-io.peak-windows\n    inputs:\n      genome: ${join(testData, 'genome.fa')}\n      peaks: ${pq}\n`,
    );
    const r = chromflow(['plan', p.wf], { cwd: p.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`input 'peaks' got a file of another format: ${pq}`);
    expect(r.stderr).toContain('expected a bed file, found a Parquet table');
  }, 300_000);

  it('through genome-io.regions the same BED plans and runs: one counts column per BED line', async () => {
    const bed = join(testData, 'peaks.bed');
    const p = await project(
      `  peaks:\n    uses: genome-io.regions\n    inputs:\n      peaks: ${bed}\n` +
        counts('{ from: peaks.regions }') +
        `      cells: ${join(testData, 'cells.tsv')}\n`,
    );
    const plan = chromflow(['plan', p.wf], { cwd: p.dir });
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('valid, 2 stages');
    const run = chromflow(['run', p.wf], { cwd: p.dir });
    expect(run.code, run.stderr).toBe(0);
    const lines = (await readFile(bed, 'utf8')).trim().split('\n').length;
    const regions = await readTable(join(p.dir, 'results', 'counts', 'regions.parquet'));
    expect(regions.numRows).toBe(lines);
  }, 300_000);
});
