import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * What a run shows: one live line per running stage on a terminal, plain
 * event lines elsewhere (CI, pipes), and a summary table at the end.
 */

export type StageStatus = 'cached' | 'ran' | 'failed' | 'skipped' | 'cancelled';

export interface StageOutcome {
  id: string;
  stage: string;
  status: StageStatus;
  key?: string;
  entryDir?: string;
  durationMs?: number;
  placement?: string;
  backend?: string;
  error?: string;
  logPath?: string;
  /** The cluster job that ran it (Slurm executor). */
  jobId?: string;
}

export interface Reporter {
  /** `why`: the reasons it runs (`rerun-reason.ts`), e.g. `params: m (10 → 2)`. */
  start(id: string, stage: string, placement: string, why?: string): void;
  progress(id: string, done: number, total: number | undefined, message?: string): void;
  log(id: string, level: 'info' | 'warn', message: string): void;
  end(outcome: StageOutcome): void;
  note(message: string): void;
  close(): void;
}

const fmtDuration = (ms: number | undefined): string =>
  ms === undefined
    ? ''
    : ms < 1000
      ? `${Math.round(ms)} ms`
      : ms < 60_000
        ? `${(ms / 1000).toFixed(1)} s`
        : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

const fmtProgress = (done: number, total: number | undefined, message?: string): string => {
  const pct = total ? ` ${Math.min(100, Math.floor((100 * done) / total))}%` : '';
  return `${pct}${message ? ` ${message}` : ''}`;
};

/**
 * `, ETA 1 min 5 s` from the rate since the first progress report (so a resumed
 * stage's finished part does not count), once there is a rate to go on.
 */
export function etaText(
  first: { at: number; done: number },
  now: number,
  done: number,
  total: number | undefined,
): string {
  if (!total || done <= first.done || done >= total) return '';
  const msPerStep = (now - first.at) / (done - first.done);
  return `, ETA ${fmtDuration(msPerStep * (total - done))}`;
}

const MARK: Record<StageStatus, string> = {
  cached: '=',
  ran: '✓',
  failed: '✗',
  skipped: '-',
  cancelled: '!',
};

function endLine(o: StageOutcome): string {
  const what =
    o.status === 'cached'
      ? 'cached'
      : o.status === 'ran'
        ? `done in ${fmtDuration(o.durationMs)}`
        : o.status;
  return `${MARK[o.status]} ${o.id} (${o.stage}) ${what}${o.placement && o.status === 'ran' ? ` on ${o.placement}` : ''}`;
}

export class PlainReporter implements Reporter {
  private readonly lastPct = new Map<string, number>();
  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}
  start(id: string, stage: string, placement: string, why?: string): void {
    this.out.write(`▶ ${id} (${stage}) started on ${placement}${why ? ` — why: ${why}` : ''}\n`);
  }
  progress(id: string, done: number, total: number | undefined, message?: string): void {
    // Plain output: a line per 25% step, so CI logs stay short.
    const step = total ? Math.floor((4 * done) / total) : -1;
    if (step <= (this.lastPct.get(id) ?? 0)) return;
    this.lastPct.set(id, step);
    this.out.write(`  ${id}:${fmtProgress(done, total, message)}\n`);
  }
  log(id: string, level: 'info' | 'warn', message: string): void {
    this.out.write(`  ${id}: ${level === 'warn' ? 'warning: ' : ''}${message}\n`);
  }
  end(o: StageOutcome): void {
    this.out.write(`${endLine(o)}\n`);
    if (o.error)
      this.out.write(`${o.error.replace(/^/gm, '    ')}\n    log: ${o.logPath ?? '(none)'}\n`);
  }
  note(message: string): void {
    this.out.write(`${message}\n`);
  }
  close(): void {}
}

/** Live lines for running stages, redrawn in place; finished stages scroll above them. */
export class TtyReporter implements Reporter {
  private readonly running = new Map<
    string,
    {
      stage: string;
      placement: string;
      t0: number;
      text: string;
      /** The first progress report seen (a resumed stage starts part-way), for the ETA. */
      first?: { at: number; done: number };
    }
  >();
  private drawn = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.timer = setInterval(() => this.redraw(), 250);
    this.timer.unref();
  }
  private clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }
  private redraw(): void {
    this.clear();
    const width = this.out.columns || 100;
    for (const [id, r] of this.running) {
      const line = `⠿ ${id} (${r.stage}) ${fmtDuration(Date.now() - r.t0)}${r.text}`;
      this.out.write(`${line.slice(0, width - 1)}\n`);
      this.drawn++;
    }
  }
  private above(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
    this.redraw();
  }
  start(id: string, stage: string, placement: string, why?: string): void {
    if (why) this.above(`▶ ${id} (${stage}) — why: ${why}`);
    this.running.set(id, { stage, placement, t0: Date.now(), text: ` on ${placement}` });
    this.redraw();
  }
  progress(id: string, done: number, total: number | undefined, message?: string): void {
    const r = this.running.get(id);
    if (!r) return;
    const now = Date.now();
    r.first ??= { at: now, done };
    r.text = fmtProgress(done, total, message) + etaText(r.first, now, done, total);
  }
  log(id: string, level: 'info' | 'warn', message: string): void {
    if (level === 'warn') this.above(`  ${id}: warning: ${message}`);
  }
  end(o: StageOutcome): void {
    this.running.delete(o.id);
    this.above(
      endLine(o) +
        (o.error ? `\n${o.error.replace(/^/gm, '    ')}\n    log: ${o.logPath ?? '(none)'}` : ''),
    );
  }
  note(message: string): void {
    this.above(message);
  }
  close(): void {
    clearInterval(this.timer);
    this.clear();
  }
}

/** The end-of-run table: stage, status, duration, where the outputs are. */
export function summaryTable(outcomes: StageOutcome[], cwd = process.cwd()): string {
  // A `job` column when a cluster executor ran any stage: the job id to look up (squeue, scontrol, sacct).
  const jobs = outcomes.some((o) => o.jobId);
  const rows = outcomes.map((o) => [
    o.id,
    o.stage,
    o.status,
    fmtDuration(o.durationMs),
    ...(jobs ? [o.jobId ?? ''] : []),
    o.entryDir
      ? relative(cwd, o.entryDir) || '.'
      : o.logPath
        ? `log: ${relative(cwd, o.logPath)}`
        : '',
  ]);
  const head = ['stage', 'uses', 'status', 'time', ...(jobs ? ['job'] : []), 'outputs'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

/** What the quality summary reads of a stage: its outcome and its manifest's metrics and outputs. */
export interface QualityItem {
  id: string;
  stage: string;
  metrics?: Record<string, number | string>;
  /** The HTML report's path, for `report.html` stages. */
  reportPath?: string;
}

const fmtMetric = (v: number | string | undefined): string =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : (v ?? '?');

// Metric names of model stages worth a line when the stage has no rule of its own (GET and later models).
const QUALITY_KEY = /(auroc|auprc|pearson|spearman|r2|accuracy|ari)$/i;

/**
 * One line per stage whose quality a user wants to see at the end of a run
 * (issue 17 point 6): XChrom's held-out AUROCs, other models' held-out
 * figures, clusters, cells passing QC, pseudobulk groups, and the report's path.
 */
export function qualityLines(items: readonly QualityItem[], cwd = process.cwd()): string[] {
  const lines: string[] = [];
  for (const { id, stage, metrics: m = {}, reportPath } of items) {
    const say = (text: string): number => lines.push(`${id} (${stage}): ${text}`);
    if (stage === 'report.html') {
      if (reportPath) say(`report ${relative(cwd, reportPath) || reportPath}`);
    } else if (stage === 'models.xchrom-train') {
      say(
        `held-out peaks AUROC ${fmtMetric(m['testPeaks.auroc'])}, held-out cells AUROC ${fmtMetric(m['testCells.auroc'])}` +
          (m['bestEpoch'] !== undefined ? ` (best epoch ${fmtMetric(m['bestEpoch'])})` : ''),
      );
    } else if (stage === 'cell-embedding.cluster') {
      say(`${fmtMetric(m['clusters'])} clusters of ${fmtMetric(m['cells'])} cells`);
    } else if (stage === 'atac-pseudobulk.cell-qc') {
      const reasons = Object.entries(m)
        .filter(([k, v]) => k.startsWith('dropped_') && v !== 0)
        .map(([k, v]) => `${k.slice('dropped_'.length)} ${fmtMetric(v)}`);
      say(
        `${fmtMetric(m['passQc'])} of ${fmtMetric(m['cells'])} cells pass QC` +
          (reasons.length ? ` (failed: ${reasons.join(', ')})` : ''),
      );
    } else if (stage === 'atac-pseudobulk.pseudobulk') {
      say(`${fmtMetric(m['groups'])} groups of ${fmtMetric(m['cells'])} cells`);
    } else if (stage.startsWith('models.')) {
      const figures = Object.entries(m).filter(([k]) => QUALITY_KEY.test(k));
      if (figures.length) say(figures.map(([k, v]) => `${k} ${fmtMetric(v)}`).join(', '));
    }
  }
  return lines;
}

/** Reads each ran or cached stage's manifest for `qualityLines`; the report path goes through `resultsDir` when the workflow has one. */
export async function readQualityItems(
  outcomes: readonly StageOutcome[],
  resultsDir?: string,
): Promise<QualityItem[]> {
  const items: QualityItem[] = [];
  for (const o of outcomes) {
    if (!o.entryDir || (o.status !== 'ran' && o.status !== 'cached')) continue;
    let manifest: {
      metrics?: Record<string, number | string>;
      outputs?: Record<string, { file: string }>;
    };
    try {
      manifest = JSON.parse(
        await readFile(join(o.entryDir, 'manifest.json'), 'utf8'),
      ) as typeof manifest;
    } catch {
      continue; // no manifest: nothing to say about this stage
    }
    const reportDir = manifest.outputs?.['report']?.file;
    items.push({
      id: o.id,
      stage: o.stage,
      ...(manifest.metrics ? { metrics: manifest.metrics } : {}),
      ...(o.stage === 'report.html' && reportDir
        ? {
            reportPath: join(
              resultsDir ? join(resultsDir, o.id) : o.entryDir,
              reportDir,
              'index.html',
            ),
          }
        : {}),
    });
  }
  return items;
}
