/**
 * Entry point of a stage's own process: `node stage-process.js <job.json> <log>`.
 * Runs the job, appends its log to <log>, reports progress to the parent over
 * IPC when there is one, and exits 0 (result.json written) or 1 (error.json).
 */
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isChromflowError, writeFileAtomic } from '@chromflow/core';
import { runStageJob, type StageJob } from './stage-job.js';

export type ChildMessage =
  | { type: 'progress'; done: number; total: number | undefined; message?: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string };

const [jobPath, logPath] = process.argv.slice(2);
const send = (m: ChildMessage): void => {
  if (process.send && process.connected) process.send(m);
};
const logLine = (level: string, message: string): void => {
  if (logPath) appendFileSync(logPath, `${new Date().toISOString()} ${level} ${message}\n`);
};

const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
process.on('SIGINT', () => controller.abort());
// The orchestrator died (kill -9 of it alone): stop, so that the next run, which takes
// over its stale lock, is the only writer in this stage's working directory.
process.on('disconnect', () => controller.abort());

async function main(): Promise<number> {
  const job = JSON.parse(await readFile(jobPath!, 'utf8')) as StageJob;
  let lastSent = 0;
  try {
    await runStageJob(job, {
      log: {
        info: (message) => {
          logLine('info', message);
          send({ type: 'log', level: 'info', message });
        },
        warn: (message) => {
          logLine('warn', message);
          send({ type: 'log', level: 'warn', message });
        },
      },
      onProgress: (done, total, message) => {
        const now = Date.now();
        if (now - lastSent < 100 && done !== total) return;
        lastSent = now;
        send({ type: 'progress', done, total, message });
      },
      signal: controller.signal,
    });
    return 0;
  } catch (e) {
    const message = isChromflowError(e)
      ? e.format()
      : e instanceof Error
        ? (e.stack ?? e.message)
        : String(e);
    logLine('error', message);
    await writeFileAtomic(
      join(job.outDir, 'error.json'),
      JSON.stringify({ message, userError: isChromflowError(e) }),
    );
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
