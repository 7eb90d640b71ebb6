/**
 * The Slurm executor on the cluster Slurm is running here (CI: the loopback
 * one of scripts/slurm/start.sh):
 *
 * - submit-to-start latency: bare `sbatch` jobs that write their start time,
 *   so what Slurm itself costs is known apart from chromflow;
 * - the orchestrator's cost per stage: a workflow of N independent trivial
 *   stages run with `--executor slurm` and, in the same run, with the local
 *   executor (alternating, fresh caches), giving stages/s kept in flight.
 *
 * Writes bench-results/slurm.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function sh(cmd: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** Why Slurm cannot be benchmarked here, or undefined. */
export function slurmUnavailable(): string | undefined {
  const r = sh('sinfo', ['-h', '-o', '%T']);
  if (r.code !== 0) return r.err.trim() || 'sinfo not found';
  return /idle|mixed|allocated/.test(r.out) ? undefined : `no node takes jobs (${r.out.trim()})`;
}

async function waitForFiles(paths: string[], timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!paths.every((p) => existsSync(p))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`jobs did not start within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Bare sbatch: per job, the time from calling sbatch to the job's first line running. */
async function submitToStart(n: number): Promise<{ latencies: number[]; sbatchMs: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'chromflow-bench-slurm-'));
  const latencies: number[] = [];
  const sbatchMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const mark = join(dir, `start-${i}`);
    const t0 = Date.now();
    const r = sh('sbatch', [
      '--parsable',
      '--job-name=chromflow-bench:latency',
      `--output=${join(dir, `job-${i}.out`)}`,
      `--wrap=date +%s%3N > ${mark}.tmp && mv ${mark}.tmp ${mark}`,
    ]);
    sbatchMs.push(Date.now() - t0);
    if (r.code !== 0) throw new Error(`sbatch failed: ${r.err}`);
    await waitForFiles([mark], 60_000);
    latencies.push(Number(readFileSync(mark, 'utf8').trim()) - t0);
  }
  return { latencies, sbatchMs };
}

function workflow(n: number, plugin: string): string {
  const stages = Array.from(
    { length: n },
    (_, i) => `  s${i}:\n    uses: test.source\n    with: { value: ${i} }\n`,
  ).join('');
  return `version: 1\nname: bench-slurm\nplugins: [${plugin}]\nstages:\n${stages}`;
}

function runWorkflow(cli: string[], wf: string, cache: string, executor: string): number {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [...cli, 'run', wf, '--cache', cache, '--executor', executor, '--plain'],
    { encoding: 'utf8', env: { ...process.env, CI: 'true', CHROMFLOW_SLURM_POLL_MS: '250' } },
  );
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0 || !/ 0 cached, 0 failed/.test(r.stderr)) {
    console.error(r.stderr);
    throw new Error(`chromflow run --executor ${executor} failed`);
  }
  return s;
}

/**
 * `cli`: how to start chromflow (`[dist/cli.js]`, or tsx and src/cli.ts for
 * `--from-source` where the packages are not built).
 */
export async function benchSlurm(root: string, cli: string[]): Promise<void> {
  const why = slurmUnavailable();
  if (why) {
    console.log(`slurm: skipped (${why}; scripts/slurm/start.sh starts a local one)`);
    return;
  }
  const plugin = join(root, 'apps/pipeline/test/fixtures/stages.mjs');
  const { latencies, sbatchMs } = await submitToStart(10);
  console.log(
    `slurm submit-to-start (bare sbatch, 10 jobs one at a time): median ${median(latencies)} ms (min ${Math.min(...latencies)}, max ${Math.max(...latencies)}); sbatch call ${median(sbatchMs)} ms`,
  );
  const n = Number(process.env['CHROMFLOW_BENCH_SLURM_STAGES'] ?? 16);
  const dir = mkdtempSync(join(tmpdir(), 'chromflow-bench-slurm-wf-'));
  const wf = join(dir, 'wf.yaml');
  writeFileSync(wf, workflow(n, plugin));
  const slurm: number[] = [];
  const local: number[] = [];
  const rounds = 2;
  for (let i = 0; i < rounds; i++) {
    // alternate the order so drift on a shared machine hits both
    const pair = [
      () => slurm.push(runWorkflow(cli, wf, join(dir, `cache-slurm-${i}`), 'slurm')),
      () => local.push(runWorkflow(cli, wf, join(dir, `cache-local-${i}`), 'local')),
    ];
    for (const f of i % 2 === 0 ? pair : pair.reverse()) f();
  }
  const result = {
    cluster: sh('sinfo', ['-h', '-o', '%N %c CPUs']).out.trim(),
    submit_to_start_ms_median: median(latencies),
    submit_to_start_ms: latencies,
    sbatch_call_ms_median: median(sbatchMs),
    stages: n,
    slurm_run_s: median(slurm),
    local_run_s: median(local),
    slurm_stages_per_s: n / median(slurm),
    local_stages_per_s: n / median(local),
    slurm_s_per_stage: median(slurm) / n,
    poll_ms: 250,
    cli: cli.join(' '),
  };
  console.log(
    `slurm: ${n} independent trivial stages (test.source): --executor slurm ${result.slurm_run_s.toFixed(1)} s (${result.slurm_stages_per_s.toFixed(2)} stages/s, ${result.slurm_s_per_stage.toFixed(2)} s each), local ${result.local_run_s.toFixed(1)} s (${result.local_stages_per_s.toFixed(2)} stages/s); ratio ${(result.slurm_run_s / result.local_run_s).toFixed(2)}× (median of ${rounds}, fresh caches)`,
  );
  mkdirSync(join(root, 'apps/pipeline/bench-results'), { recursive: true });
  writeFileSync(
    join(root, 'apps/pipeline/bench-results/slurm.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
}
