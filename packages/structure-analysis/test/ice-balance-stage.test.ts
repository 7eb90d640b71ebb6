import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readTable, sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { iceBalanceStage } from '../src/stages/ice-balance.js';
import { runStage } from './stage-context.js';

const coolPath = sharedDataFile(
  'hic',
  'cooler_gm12878_mboi_2000kb_hg19',
  'hg19.GM12878-MboI.matrix.2000kb.cool',
);
const py = ['/usr/bin/python3'].find((p) => {
  if (!existsSync(p)) return false;
  try {
    execFileSync(p, ['-c', 'import cooler'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!py) console.warn('skipping: no /usr/bin/python3 with cooler (apt python3-cooler)');

describe.skipIf(!coolPath || !py)(
  'structure-analysis.ice-balance on the GM12878 2 Mb .cool',
  () => {
    it('writes one row per bin with cooler.balance_cooler weights (mad_max 3, read-only input)', async () => {
      const { outputs, info } = await runStage(
        iceBalanceStage,
        { contacts: coolPath },
        { mad_max: 3 },
      );
      const t = await readTable(outputs['bin-weights']!);
      const want = JSON.parse(
        execFileSync(py!, [
          '-c',
          `import cooler, json, sys
w, _ = cooler.balance_cooler(cooler.Cooler(sys.argv[1]), mad_max=3)
print(json.dumps([None if x != x else float(x) for x in w]))`,
          coolPath!,
        ]).toString(),
      ) as (number | null)[];
      expect(t.numRows).toBe(want.length);
      expect(t.getChild('chrom')!.get(0)).toBe('chr1');
      let dropped = 0;
      want.forEach((w, i) => {
        const got = Number(t.getChild('weight')!.get(i));
        if (w === null) {
          dropped++;
          expect(Number.isNaN(got)).toBe(true);
        } else expect(Math.abs(got / w - 1)).toBeLessThan(1e-9);
      });
      expect(info ? info.metrics?.['dropped'] : undefined).toBe(dropped);
    });
  },
);
