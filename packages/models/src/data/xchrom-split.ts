import { readFile } from 'node:fs/promises';
import { ChromflowError, SeededRandom } from '@chromflow/core';

/**
 * XChrom's split: held-out test cells, held-out test peaks, and the remaining
 * (train+val) peaks divided into train and validation. Indices are 0-based
 * rows of the cells and regions tables.
 */
export interface XChromSplit {
  trainPeaks: Int32Array;
  valPeaks: Int32Array;
  testPeaks: Int32Array;
  /** Cells the model trains on. */
  trainCells: Int32Array;
  testCells: Int32Array;
  /**
   * Cells kept out of training to select the weights for unseen cells (their
   * loss on the training peaks). Absent or empty: one model, selected on
   * `valPeaks × trainCells`, as XChrom does.
   */
  valCells?: Int32Array;
}

export interface MakeSplitOptions {
  nPeaks: number;
  nCells: number;
  /** Fraction of cells held out as test cells (0 = none: a cross-peak model uses every cell). */
  testCellFraction: number;
  /** Fraction of peaks held out as test peaks (ignored when `testChroms` is given). */
  testPeakFraction: number;
  /** Fraction of the remaining peaks used for validation (early stopping). */
  valFraction: number;
  /** Fraction of the non-test cells kept out to select the weights for unseen cells (default 0). */
  valCellFraction?: number;
  seed: number;
  /** Hold out every peak on these chromosomes instead of a random fraction. */
  testChroms?: string[];
  /** Chromosome of each peak (needed with `testChroms`). */
  peakChroms?: string[];
}

function sortedInt32(xs: number[]): Int32Array {
  return Int32Array.from(xs).sort();
}

/** A random (or by-chromosome) split drawn with a seeded RNG. */
export function makeXChromSplit(o: MakeSplitOptions): XChromSplit {
  const rng = new SeededRandom(o.seed);
  const cells = rng.shuffle(Array.from({ length: o.nCells }, (_, i) => i));
  const nTestCells = Math.round(o.nCells * o.testCellFraction);
  const testCells = cells.slice(0, nTestCells);
  const nValCells = Math.round((o.nCells - nTestCells) * (o.valCellFraction ?? 0));
  const valCells = cells.slice(nTestCells, nTestCells + nValCells);
  const trainCells = cells.slice(nTestCells + nValCells);
  let testPeaks: number[];
  let rest: number[];
  if (o.testChroms && o.testChroms.length > 0) {
    if (!o.peakChroms || o.peakChroms.length !== o.nPeaks) {
      throw new ChromflowError(
        'PARAM',
        'a split by chromosome needs the chromosome of every peak',
        {
          field: 'testChroms',
        },
      );
    }
    const held = new Set(o.testChroms);
    testPeaks = [];
    rest = [];
    o.peakChroms.forEach((c, i) => (held.has(c) ? testPeaks : rest).push(i));
    rng.shuffle(rest);
  } else {
    const peaks = rng.shuffle(Array.from({ length: o.nPeaks }, (_, i) => i));
    const nTest = Math.round(o.nPeaks * o.testPeakFraction);
    testPeaks = peaks.slice(0, nTest);
    rest = peaks.slice(nTest);
  }
  const nVal = Math.max(1, Math.round(rest.length * o.valFraction));
  if (rest.length - nVal < 1 || trainCells.length < 1) {
    throw new ChromflowError('PARAM', 'the split leaves no training peaks or cells', {
      hint: 'lower the test and validation fractions',
    });
  }
  return {
    trainPeaks: sortedInt32(rest.slice(nVal)),
    valPeaks: sortedInt32(rest.slice(0, nVal)),
    testPeaks: sortedInt32(testPeaks),
    trainCells: sortedInt32(trainCells),
    testCells: sortedInt32(testCells),
    valCells: sortedInt32(valCells),
  };
}

/**
 * The split file layout of `shared/notes/xchrom-e18-splits.json`: 0-based
 * index lists `train_peak`, `val_peak`, `test_peak`, `trainval_cell` (the
 * cells trained on), `test_cell`, and `val_cell` when the split has
 * validation cells. The checkpoint's `split.json` and the PyTorch twin's input.
 */
export function xchromSplitToJson(split: XChromSplit): Record<string, number[]> {
  const list = (a: Int32Array): number[] => Array.from(a);
  return {
    train_peak: list(split.trainPeaks),
    val_peak: list(split.valPeaks),
    test_peak: list(split.testPeaks),
    trainval_cell: list(split.trainCells),
    test_cell: list(split.testCells),
    ...(split.valCells && split.valCells.length > 0 ? { val_cell: list(split.valCells) } : {}),
  };
}

/**
 * Reads a split file (`xchromSplitToJson`'s layout; `val_cell` optional).
 * With `crossPeak`, the test cells join the training cells (XChrom's
 * cross-peak model trains on every cell).
 */
export async function readXChromSplit(path: string, crossPeak = false): Promise<XChromSplit> {
  const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  const list = (key: string, optional = false): number[] => {
    const v = json[key];
    if (optional && v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x))) {
      throw new ChromflowError('SCHEMA', `split file has no integer list '${key}'`, {
        path,
        field: key,
      });
    }
    return v as number[];
  };
  const trainCells = list('trainval_cell');
  const testCells = list('test_cell');
  return {
    trainPeaks: sortedInt32(list('train_peak')),
    valPeaks: sortedInt32(list('val_peak')),
    testPeaks: sortedInt32(list('test_peak')),
    trainCells: sortedInt32(crossPeak ? [...trainCells, ...testCells] : trainCells),
    testCells: sortedInt32(crossPeak ? [] : testCells),
    valCells: sortedInt32(list('val_cell', true)),
  };
}
