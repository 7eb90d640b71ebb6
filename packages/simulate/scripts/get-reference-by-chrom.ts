/**
 * truth.json's reference (the generator's expectation given what GET's
 * inputs carry, gene baselines at their mean 0) restricted to the genes of
 * some chromosomes: the figure to set beside a leave-out-chromosome split
 * (truth.json's `reference.pearsonByChromosome` holds it per single
 * chromosome). Rebuilds the program from its seed, scale and chromosome
 * count (truth.json's `parameters.chromosomes`; 3 for files written before
 * it was stated), checks that it reproduces truth.json's stated left-out
 * Pearson, and prints the Pearson per cell type over the given chromosomes'
 * genes.
 *
 *   npx tsx --conditions=@chromflow/source packages/simulate/scripts/get-reference-by-chrom.ts \
 *     <truth.json> <scale> <chrom>[,<chrom>…]
 */
import { readFileSync } from 'node:fs';
import {
  DEFAULT_GET_PROGRAM,
  getProgramReference,
  getProgramReferenceOnChromosomes,
  scaleGetProgram,
  simulateGetProgram,
} from '../src/index.js';

const [truthPath, scaleArg, chromArg] = process.argv.slice(2);
if (!truthPath || !scaleArg || !chromArg)
  throw new Error('usage: get-reference-by-chrom.ts <truth.json> <scale> <chrom>[,<chrom>]');
const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as {
  seed: number;
  parameters: { chromosomes?: number };
  reference: { leftOutPearson: number };
};
const p = simulateGetProgram({
  ...scaleGetProgram(DEFAULT_GET_PROGRAM, Number(scaleArg)),
  seed: truth.seed,
  chromosomes: truth.parameters.chromosomes ?? DEFAULT_GET_PROGRAM.chromosomes,
});
const stated = getProgramReference(p).pearsonByType[p.options.leftOutCellType]!;
if (Math.abs(stated - truth.reference.leftOutPearson) > 1e-6)
  throw new Error(
    `the rebuilt program does not reproduce ${truthPath} (left-out Pearson ${stated} vs ${truth.reference.leftOutPearson}): wrong scale?`,
  );
const chroms = chromArg.split(',');
const { genes, pearsonByType } = getProgramReferenceOnChromosomes(p, chroms);
const values = Object.values(pearsonByType);
console.log(
  JSON.stringify(
    {
      chromosomes: chroms,
      genes,
      referenceByType: pearsonByType,
      mean: values.reduce((a, b) => a + b, 0) / values.length,
    },
    null,
    1,
  ),
);
