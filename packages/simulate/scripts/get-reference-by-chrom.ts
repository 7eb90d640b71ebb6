/**
 * truth.json's reference (the generator's expectation given what GET's
 * inputs carry, gene baselines at their mean 0) restricted to the genes of
 * some chromosomes: the figure to set beside a leave-out-chromosome split.
 * Rebuilds the program from its seed and scale (as `simulate --program get`
 * does), checks that it reproduces truth.json's stated left-out Pearson, and
 * prints the Pearson per cell type over the given chromosomes' genes.
 *
 *   npx tsx --conditions=@chromflow/source packages/simulate/scripts/get-reference-by-chrom.ts \
 *     <truth.json> <scale> <chrom>[,<chrom>…]
 */
import { readFileSync } from 'node:fs';
import { pearson } from '@chromflow/core';
import {
  DEFAULT_GET_PROGRAM,
  expectedLogCpm,
  geneNeighbourhoods,
  getProgramReference,
  observedGetProgram,
  regulatoryTerm,
  scaleGetProgram,
  simulateGetProgram,
  siteCounts,
} from '../src/index.js';

const [truthPath, scaleArg, chromArg] = process.argv.slice(2);
if (!truthPath || !scaleArg || !chromArg)
  throw new Error('usage: get-reference-by-chrom.ts <truth.json> <scale> <chrom>[,<chrom>]');
const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as {
  seed: number;
  reference: { leftOutPearson: number };
};
const p = simulateGetProgram({
  ...scaleGetProgram(DEFAULT_GET_PROGRAM, Number(scaleArg)),
  seed: truth.seed,
});
const o = p.options;
const stated = getProgramReference(p).pearsonByType[o.leftOutCellType]!;
if (Math.abs(stated - truth.reference.leftOutPearson) > 1e-6)
  throw new Error(
    `the rebuilt program does not reproduce ${truthPath} (left-out Pearson ${stated} vs ${truth.reference.leftOutPearson}): wrong scale?`,
  );
const chroms = new Set(chromArg.split(','));
const keep = p.genes.flatMap((g, i) => (chroms.has(g.chrom) ? [i] : []));
// As getProgramReference: accessibility read from each type's fragments, baselines 0.
const nR = p.regions.length;
const nG = p.genes.length;
const counts = siteCounts(p);
const hoods = geneNeighbourhoods(p);
const obs = observedGetProgram(p);
const term = new Float64Array(o.cellTypes.length * nG);
o.cellTypes.forEach((_, t) => {
  const access = (i: number): number => {
    const rate = obs.atac[t * nR + i]! / (o.cellsPerType * o.fragmentsPerOpenRegion);
    return Math.min(1, Math.max(0, (rate - o.background) / (1 - o.background)));
  };
  for (let g = 0; g < nG; g++) term[t * nG + g] = regulatoryTerm(o, counts, hoods[g]!, access);
});
const expected = expectedLogCpm(term, nG);
const byType = Object.fromEntries(
  o.cellTypes.map((t, ti) => [
    t.name,
    Number(
      pearson(
        Float64Array.from(keep, (g) => expected[ti * nG + g]!),
        Float64Array.from(keep, (g) => obs.logCpm[ti * nG + g]!),
      ).toFixed(6),
    ),
  ]),
);
const values = Object.values(byType);
console.log(
  JSON.stringify(
    {
      chromosomes: [...chroms],
      genes: keep.length,
      referenceByType: byType,
      mean: values.reduce((a, b) => a + b, 0) / values.length,
    },
    null,
    1,
  ),
);
