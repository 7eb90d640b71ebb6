import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ChromflowError, SeededRandom } from '@chromflow/core';
import { kMeans } from '../src/kmeans.js';
import { adjustedRandIndex } from '../src/adjusted-rand-index.js';

/** n points around k centres in d dims (sd 1, centres sd `spread`), row-major. */
function blobs(n: number, d: number, k: number, spread: number, seed: number) {
  const rng = new SeededRandom(seed);
  const centres = Array.from({ length: k * d }, () => spread * rng.normal());
  const truth = Array.from({ length: n }, (_, i) => i % k);
  const x = new Float64Array(n * d);
  truth.forEach((c, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = centres[c * d + j]! + rng.normal();
  });
  return { x, truth };
}

const haveSklearn =
  spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;

describe('kMeans', () => {
  it('recovers well-separated clusters exactly', () => {
    const { x, truth } = blobs(300, 5, 4, 10, 1);
    const r = kMeans(x, 300, 5, 4, { seed: 0 });
    expect(adjustedRandIndex(truth, Array.from(r.labels))).toBe(1);
  });

  it.skipIf(!haveSklearn)(
    'reaches the inertia of scikit-learn KMeans(n_init=10) on overlapping clusters (within 1 %)',
    () => {
      const { x } = blobs(400, 6, 5, 1.5, 2);
      const r = kMeans(x, 400, 6, 5, { seed: 0 });
      const py = spawnSync(
        '/usr/bin/python3',
        [
          '-c',
          'import sys, json, numpy as np\nfrom sklearn.cluster import KMeans\n' +
            'x = np.array(json.load(sys.stdin)).reshape(400, 6)\n' +
            'print(min(KMeans(5, n_init=10, random_state=s).fit(x).inertia_ for s in range(3)))',
        ],
        { input: JSON.stringify(Array.from(x)), encoding: 'utf8' },
      );
      expect(py.status, py.stderr).toBe(0);
      const theirs = Number(py.stdout.trim());
      expect(r.inertia).toBeLessThan(theirs * 1.01);
    },
  );
  it.skipIf(haveSklearn)('skips the scikit-learn comparison', () => {
    console.warn('skipping: /usr/bin/python3 with scikit-learn not found');
  });

  it('refuses k outside 1…n', () => {
    expect(() => kMeans(new Float64Array(4), 2, 2, 3)).toThrow(ChromflowError);
  });
});
