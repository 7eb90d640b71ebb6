/**
 * Contact decay + ABC power-law fit on the GM12878 2 Mb cooler, against the
 * reference: numpy + scipy.stats.linregress over the cooler's own text dump
 * (.coo.txt), measured in the same run in alternating order after asserting
 * equal fits. Writes bench-results/contact-decay.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { sharedDataFile } from '@chromflow/core';
import { contactDecay, fitPowerLaw, openCooler } from '../src/index.js';

const cool = sharedDataFile(
  'hic',
  'cooler_gm12878_mboi_2000kb_hg19',
  'hg19.GM12878-MboI.matrix.2000kb.cool',
);
const coo = sharedDataFile(
  'hic',
  'cooler_gm12878_mboi_2000kb_hg19',
  'hg19.GM12878-MboI.matrix.2000kb.coo.txt',
);
const bins = sharedDataFile('hic', 'cooler_gm12878_mboi_2000kb_hg19', 'hg19.bins.2000kb.bed.gz');
if (!cool || !coo || !bins) process.exit(0);

const PY = `
import numpy as np, gzip, json, sys, time
from scipy import stats
t = time.perf_counter()
chrom = np.array([l.split('\\t')[0] for l in gzip.open(sys.argv[2], 'rt').read().strip().split('\\n')])
coo = np.loadtxt(sys.argv[1], dtype=np.int64)
out = {}
for name in np.unique(chrom):
    keep = (chrom[coo[:,0]] == name) & (chrom[coo[:,1]] == name)
    d = (coo[keep,1] - coo[keep,0]) * 2000000; c = coo[keep,2].astype(float)
    total = np.sum(d == 2000000)
    ds = np.unique(d[(d >= 2e6) & (d <= 2e7)])
    if total == 0 or len(ds) < 2: continue
    y = np.array([c[d == x].sum() for x in ds]) / total
    r = stats.linregress(np.log(ds + 1e-6), np.log(y + 1e-6))
    out[str(name)] = -r.slope
print(json.dumps({'fits': out, 'seconds': time.perf_counter() - t}))`;

async function ours(): Promise<{ fits: Record<string, number>; seconds: number }> {
  const t = performance.now();
  const c = await openCooler(cool!);
  const fits: Record<string, number> = {};
  for (const curve of contactDecay(c)) {
    if (curve.chrom === 'all') continue;
    try {
      fits[curve.chrom] = fitPowerLaw(curve, 2e6, 2e7).gamma;
    } catch {
      /* chromosomes too short to fit */
    }
  }
  c.close();
  return { fits, seconds: (performance.now() - t) / 1000 };
}
const reference = (): { fits: Record<string, number>; seconds: number } =>
  JSON.parse(execFileSync('python3', ['-c', PY, coo, bins]).toString()) as {
    fits: Record<string, number>;
    seconds: number;
  };

const times = { ours: [] as number[], reference: [] as number[] };
for (let round = 0; round < 4; round++) {
  const order = round % 2 === 0 ? ['ours', 'reference'] : ['reference', 'ours'];
  for (const who of order) {
    const r = who === 'ours' ? await ours() : reference();
    times[who as 'ours' | 'reference'].push(r.seconds);
    if (round === 0 && who === 'reference') {
      const mine = await ours();
      for (const [k, g] of Object.entries(r.fits)) {
        if (Math.abs((mine.fits[k] ?? NaN) - g) > 1e-9)
          throw new Error(`gamma differs on ${k}: ${mine.fits[k]} vs ${g}`);
      }
    }
  }
}
const median = (xs: number[]): number =>
  xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const result = {
  case: 'GM12878 2 Mb cooler, 38,156 pixels, 25 chromosomes: contact decay + power-law fit',
  ours_s: median(times.ours),
  reference_s: median(times.reference),
  pixels_per_s: 38156 / median(times.ours),
  ratio_reference_over_ours: median(times.reference) / median(times.ours),
};
console.log(result);
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/contact-decay.json', JSON.stringify(result, null, 2));
