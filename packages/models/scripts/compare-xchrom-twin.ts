/**
 * Side-by-side table of chromflow's XChrom and the PyTorch twin on the E18 split.
 *
 *   npx tsx --conditions=@chromflow/source scripts/compare-xchrom-twin.ts <dir>
 *
 * Reads `<dir>/ours-<task>-*.json` (scripts/eval-xchrom-e18.ts) and
 * `<dir>/twin-<task>-<size>-seed<k>.json` (scripts/run-twin-e18.sh) and prints
 * mean ± sd over seeds of the test block's metrics, with the note's reference.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'bench-results';
const files = await readdir(dir);

interface Row {
  auroc: number;
  auprc: number;
  perPeakAuroc: number;
  perCellAuroc: number;
  epochs: number;
  secondsPerEpoch: number;
}

function stats(xs: number[]): string {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd =
    xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : NaN;
  return xs.length > 1
    ? `${m.toFixed(3)} ± ${sd.toFixed(3)} (n=${xs.length})`
    : `${m.toFixed(3)} (n=1)`;
}

const reference: Record<string, string> = {
  'cross-peak':
    'note (PyTorch, small, 3 seeds): AUROC 0.740 ± 0.009, per-peak 0.695 ± 0.003, per-cell 0.671 ± 0.013',
  'cross-cell': 'note (PyTorch, small, 3 seeds): AUROC 0.699 ± 0.056',
};

for (const task of ['cross-peak', 'cross-cell']) {
  const ours: Row[] = [];
  const twin: Row[] = [];
  for (const f of files.filter((x) => x.endsWith('.json') && x.includes(task))) {
    const j = JSON.parse(await readFile(join(dir, f), 'utf8')) as Record<string, unknown>;
    if (f.startsWith('ours-') && f.includes('-w1')) {
      for (const r of j.runs as {
        test: Record<string, number>;
        epochsRun: number;
        secondsPerEpoch: number;
      }[]) {
        const t = r.test;
        ours.push({
          auroc: t.auroc!,
          auprc: t.auprc!,
          perPeakAuroc: t.perPeakAuroc!,
          perCellAuroc: t.perCellAuroc!,
          epochs: r.epochsRun,
          secondsPerEpoch: r.secondsPerEpoch,
        });
      }
    } else if (f.startsWith('twin-')) {
      const t = j.test as Record<string, number>;
      twin.push({
        auroc: t.overall_auroc!,
        auprc: t.overall_auprc!,
        perPeakAuroc: t.per_peak_auroc!,
        perCellAuroc: t.per_cell_auroc!,
        epochs: j.epochs_run as number,
        secondsPerEpoch: j.seconds_per_epoch as number,
      });
    }
  }
  console.log(`\n### ${task} (small config), test block; ${reference[task]}`);
  console.log('| metric | chromflow (TF.js) | PyTorch twin |');
  console.log('|---|---|---|');
  for (const k of [
    'auroc',
    'auprc',
    'perPeakAuroc',
    'perCellAuroc',
    'epochs',
    'secondsPerEpoch',
  ] as const) {
    console.log(
      `| ${k} | ${ours.length ? stats(ours.map((r) => r[k])) : '—'} | ${twin.length ? stats(twin.map((r) => r[k])) : '—'} |`,
    );
  }
}
