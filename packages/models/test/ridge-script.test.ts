import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@chromflow/core';
import { ridge, ridgePredict } from '../scripts/ridge.js';

// The evaluation scripts' ridge (GET baselines) against scikit-learn's Ridge,
// whose intercept is unpenalised too (it centres X and y).
function sklearnPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import sklearn'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}
const python = sklearnPython();

describe('scripts/ridge.ts', () => {
  it.skipIf(python === undefined)(
    "equals scikit-learn's Ridge (coefficients, intercept, predictions)",
    () => {
      const rng = new SeededRandom(4);
      const n = 60;
      const d = 5;
      const x = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
      const y = x.map((r) => 2 + r[0]! - 0.5 * r[3]! + 0.3 * rng.normal());
      for (const lambda of [0.1, 10]) {
        const w = ridge(x, y, d, lambda);
        const py = spawnSync(
          python!,
          [
            '-c',
            'import json,sys\nfrom sklearn.linear_model import Ridge\nr=json.load(sys.stdin)\nm=Ridge(alpha=r["l"]).fit(r["x"],r["y"])\nprint(json.dumps(list(m.coef_)+[m.intercept_]))',
          ],
          { input: JSON.stringify({ x, y, l: lambda }), encoding: 'utf8' },
        );
        expect(py.status, py.stderr).toBe(0);
        const want = JSON.parse(py.stdout) as number[];
        for (let j = 0; j <= d; j++) expect(w[j]).toBeCloseTo(want[j]!, 8);
        const p = ridgePredict(w, x[0]!);
        const q = want[d]! + x[0]!.reduce((s, v, j) => s + v * want[j]!, 0);
        expect(p).toBeCloseTo(q, 8);
      }
    },
  );
  it.skipIf(python !== undefined)('skips without scikit-learn', () => {
    console.warn('skipping: no python3 with scikit-learn (apt install python3-sklearn)');
  });
});
