#!/usr/bin/env node
/**
 * `chromflow`: run, plan and inspect workflows; list and run single stages.
 * User errors print as `file:line:col: message` with no stack trace and exit 2;
 * a failed stage exits 1; an interrupted run exits 130.
 */
import { existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ChromflowError, isChromflowError } from '@chromflow/core';
import { CacheStore } from './cache-store.js';
import { describeExecutor, EXECUTOR_OPTIONS, makeExecutor } from './make-executor.js';
import { paramFromString, validateParams } from './params.js';
import { cleanCache, describeClean } from './clean-cache.js';
import { planWorkflow } from './plan.js';
import { StageRegistry } from './registry.js';
import {
  PlainReporter,
  type Reporter,
  type StageOutcome,
  qualityLines,
  readQualityItems,
  summaryTable,
  TtyReporter,
} from './reporter.js';
import { readRunRecord } from './run-record.js';
import { downstreamOf, runWorkflow } from './run-workflow.js';
import { runStageJob } from './stage-job.js';
import { StageCatalog } from './stage-catalog.js';
import { describeStage, stageReferenceMarkdown } from './stage-docs.js';
import { checkWorkflow } from './workflow-check.js';
import { readWorkflow, type WorkflowFile } from './workflow-file.js';

const USAGE = `chromflow — regulatory-genomics workflows

usage:
  chromflow run <workflow.yaml> [--force <stage>]… [--from <stage>] [--cache <dir>] [--plain]
                [--executor local|slurm] [--partition <p>] [--account <a>] [--qos <q>]
                [--time <limit>] [--sbatch-flag <option>]… [--max-jobs <n>]
  chromflow plan <workflow.yaml> [--force <stage>]… [--from <stage>] [--cache <dir>]
                                                       check the workflow, show what would run and why
  chromflow status <workflow.yaml> [--cache <dir>]     the last run's stages and outputs
  chromflow clean [<workflow.yaml>] [--cache <dir>] [--all]
                                                       drop cache entries no run record uses, and
                                                       results links into them (--all: the whole cache)
  chromflow stages [--json|--markdown]                 every stage with its params and ports
  chromflow stage <name> --input <port>=<path>… --param <key>=<value>… --out <dir>
                                                       run one stage outside any workflow
options:
  --plugin <module.js>   load extra stages (repeatable)
`;

function cacheFor(file: WorkflowFile | undefined, flag: string | undefined): CacheStore {
  if (flag) return new CacheStore(resolve(flag));
  if (file?.cacheDir) return new CacheStore(resolve(file.baseDir, file.cacheDir.value));
  return new CacheStore(resolve('.chromflow', 'cache'));
}

/** Reads and checks a workflow; stage declarations come from the catalog kept in its cache. */
async function loadChecked(
  path: string | undefined,
  registry: StageRegistry,
  cacheFlag: string | undefined,
) {
  if (!path) {
    throw new ChromflowError('WORKFLOW', 'no workflow file given', {
      hint: 'chromflow run workflows/full.yaml',
    });
  }
  const file = await readWorkflow(path);
  const cache = cacheFor(file, cacheFlag);
  const wf = await checkWorkflow(
    file,
    new StageCatalog(registry, join(cache.root, 'stage-catalog.json')),
  );
  return { wf, cache };
}

async function cmdRun(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      force: { type: 'string', multiple: true },
      from: { type: 'string' },
      cache: { type: 'string' },
      plain: { type: 'boolean' },
      plugin: { type: 'string', multiple: true },
      ...EXECUTOR_OPTIONS,
    },
  });
  const registry = new StageRegistry();
  for (const p of values.plugin ?? []) await registry.addPlugin(p);
  const t0 = performance.now();
  const { wf, cache } = await loadChecked(positionals[0], registry, values.cache);
  const executor = makeExecutor(wf.file, values);
  const tty = !values.plain && process.stderr.isTTY && !process.env['CI'];
  const reporter: Reporter = tty ? new TtyReporter() : new PlainReporter();
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) {
      executor.cancelAllNow?.(); // cluster jobs do not die with this process
      process.exit(130);
    }
    reporter.note('interrupted: stopping running stages (Ctrl-C again to quit now)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  reporter.note(
    `chromflow: ${wf.file.name} — ${wf.stages.length} stages, cache ${cache.root}, ${describeExecutor(executor)}`,
  );
  let outcomes: StageOutcome[];
  try {
    outcomes = await runWorkflow(wf, {
      cache,
      executor,
      reporter,
      signal: controller.signal,
      force: values.force,
      from: values.from,
    });
  } finally {
    reporter.close();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  const ran = outcomes.filter((o) => o.status === 'ran').length;
  const cached = outcomes.filter((o) => o.status === 'cached').length;
  const failed = outcomes.filter((o) => o.status === 'failed');
  process.stderr.write(`\n${summaryTable(outcomes)}\n\n`);
  // What the run found (issue 17 point 6): each model's quality, QC, clusters, the report.
  const quality = qualityLines(
    await readQualityItems(
      outcomes,
      wf.file.resultsDir && resolve(wf.file.baseDir, wf.file.resultsDir.value),
    ),
  );
  if (quality.length) process.stderr.write(`${quality.join('\n')}\n\n`);
  process.stderr.write(
    `${ran} ran, ${cached} cached, ${failed.length} failed in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`,
  );
  if (controller.signal.aborted) return 130;
  return failed.length || outcomes.some((o) => o.status === 'skipped') ? 1 : 0;
}

async function cmdPlan(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      cache: { type: 'string' },
      plugin: { type: 'string', multiple: true },
      force: { type: 'string', multiple: true },
      from: { type: 'string' },
    },
  });
  const registry = new StageRegistry();
  for (const p of values.plugin ?? []) await registry.addPlugin(p);
  const { wf, cache } = await loadChecked(positionals[0], registry, values.cache);
  const forced = new Set([
    ...(values.force ?? []),
    ...(values.from ? downstreamOf(wf, values.from) : []),
  ]);
  process.stdout.write(`${wf.file.path}: valid, ${wf.stages.length} stages\n`);
  for (const line of await planWorkflow(wf, cache, forced)) process.stdout.write(`${line}\n`);
  return 0;
}

async function cmdStatus(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { cache: { type: 'string' } },
  });
  const file = await readWorkflow(positionals[0] ?? 'workflows/full.yaml');
  const cache = cacheFor(file, values.cache);
  const record = await readRunRecord(cache, file.path, file.name);
  if (!record) {
    process.stdout.write(`no run of ${file.path} recorded in ${cache.root}\n`);
    return 0;
  }
  process.stdout.write(
    `last run of '${file.name}' finished ${record.finishedAt}\n\n${summaryTable(record.stages)}\n`,
  );
  return 0;
}

async function cmdClean(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { cache: { type: 'string' }, all: { type: 'boolean' } },
  });
  const file = positionals[0] ? await readWorkflow(positionals[0]) : undefined;
  const cache = cacheFor(file, values.cache);
  const locks = await readdir(join(cache.root, 'locks')).catch(() => [] as string[]);
  if (locks.length > 0) {
    throw new ChromflowError(
      'IO',
      'a run is using this cache (locks are held); clean it when no run is active',
      { path: join(cache.root, 'locks') },
    );
  }
  const report = await cleanCache(cache, { all: values.all });
  process.stdout.write(describeClean(cache, report, values.all ?? false));
  return 0;
}

async function cmdStages(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      markdown: { type: 'boolean' },
      plugin: { type: 'string', multiple: true },
    },
  });
  const registry = new StageRegistry();
  for (const p of values.plugin ?? []) await registry.addPlugin(p);
  const all = await registry.all();
  if (values.markdown) {
    process.stdout.write(stageReferenceMarkdown(all));
  } else if (values.json) {
    process.stdout.write(
      `${JSON.stringify(
        all.map((s) => ({
          name: s.name,
          version: s.version,
          description: s.description,
          params: s.params,
          inputs: s.inputs,
          outputs: s.outputs,
          resources: s.resources,
        })),
        (k, v: unknown) => (k === 'schema' ? undefined : v),
        2,
      )}\n`,
    );
  } else {
    process.stdout.write(`${all.map(describeStage).join('\n\n')}\n`);
  }
  return 0;
}

async function cmdStage(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string', multiple: true },
      param: { type: 'string', multiple: true },
      out: { type: 'string' },
      plugin: { type: 'string', multiple: true },
    },
  });
  const registry = new StageRegistry();
  for (const p of values.plugin ?? []) await registry.addPlugin(p);
  const name = positionals[0];
  const stage = name ? await registry.get(name) : undefined;
  if (!stage) {
    const { didYouMean } = await import('./did-you-mean.js');
    throw new ChromflowError('WORKFLOW', name ? `unknown stage '${name}'` : 'no stage named', {
      hint:
        (name &&
          didYouMean(
            name,
            (await registry.all()).map((s) => s.name),
          )) ||
        'run `chromflow stages` to list them',
    });
  }
  if (!values.out) throw new ChromflowError('PARAM', 'missing --out <dir>', { field: '--out' });
  const given = Object.fromEntries(
    (values.param ?? []).map((a) => paramFromString(stage.params, a)),
  );
  const checked = validateParams(stage.params, given);
  if (checked.issue)
    throw new ChromflowError('PARAM', checked.issue.message, {
      ...checked.issue,
      stage: stage.name,
    });
  const inputs: Record<string, string> = {};
  for (const a of values.input ?? []) {
    const eq = a.indexOf('=');
    const port = a.slice(0, eq);
    if (eq <= 0 || !stage.inputs[port]) {
      throw new ChromflowError(
        'PARAM',
        `stage '${stage.name}' has no input '${eq <= 0 ? a : port}'`,
        {
          field: '--input',
          expected: `<port>=<path> with port one of ${Object.keys(stage.inputs).join(', ')}`,
        },
      );
    }
    const path = resolve(a.slice(eq + 1));
    if (!existsSync(path))
      throw new ChromflowError('IO', `input '${port}' does not exist`, { path });
    inputs[port] = path;
  }
  for (const [port, spec] of Object.entries(stage.inputs)) {
    if (!spec.optional && !inputs[port])
      throw new ChromflowError(
        'PARAM',
        `missing --input ${port}=<path> (${spec.type}: ${spec.description})`,
        { field: port },
      );
  }
  const out = resolve(values.out);
  if (existsSync(out) && (await readdir(out)).length > 0) {
    throw new ChromflowError('IO', 'the output directory is not empty', {
      path: out,
      hint: 'choose a new --out directory',
    });
  }
  const tmp = `${out}.tmp-${process.pid}`;
  const controller = new AbortController();
  process.on('SIGINT', () => controller.abort());
  const reporter = new PlainReporter();
  try {
    const result = await runStageJob(
      {
        stage: stage.name,
        version: stage.version,
        key: 'standalone',
        params: checked.params,
        inputs,
        outDir: tmp,
        plugins: [...registry.plugins()],
      },
      {
        log: {
          info: (m) => reporter.log(stage.name, 'info', m),
          warn: (m) => reporter.log(stage.name, 'warn', m),
        },
        onProgress: (d, t, m) => reporter.progress(stage.name, d, t, m),
        signal: controller.signal,
      },
    );
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
    for (const [port, o] of Object.entries(result.outputs)) {
      process.stdout.write(
        `${port}\t${join(out, o.file)}${o.rows !== undefined ? `\t${o.rows} rows` : ''}\n`,
      );
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'run':
      return cmdRun(rest);
    case 'plan':
      return cmdPlan(rest);
    case 'status':
      return cmdStatus(rest);
    case 'clean':
      return cmdClean(rest);
    case 'stages':
      return cmdStages(rest);
    case 'stage':
      return cmdStage(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`chromflow: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isChromflowError(e)) {
      process.stderr.write(`error: ${e.format()}\n`);
      process.exit(2);
    }
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`chromflow: ${e.message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(
      `internal error (please report): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(70);
  },
);
