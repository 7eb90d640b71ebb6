#!/usr/bin/env node
// The `chromflow` command as npm links it. It is committed, so `npm ci` links
// it in a fresh clone; npm skips a bin whose target does not exist yet, and
// `dist/cli.js` does not exist before a build (issue 17 point 1).
// With a build (`npx nx run pipeline:build`, which `nx run pipeline:full`
// does), it runs dist/cli.js. Without one, it runs the CLI from source through
// tsx, the way the tests do, and says so once on stderr.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const src = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function tsxLoader() {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    return undefined;
  }
}

if (existsSync(dist)) {
  await import(pathToFileURL(dist).href);
} else {
  const tsx = existsSync(src) ? tsxLoader() : undefined;
  if (!tsx) {
    process.stderr.write(
      'chromflow: not built (apps/pipeline/dist/cli.js is missing) and tsx is not installed to run it from source.\n' +
        'Build it with `npx nx run pipeline:build` from the repository root.\n',
    );
    process.exit(1);
  }
  process.stderr.write(
    'chromflow: no build found, running from source (`npx nx run pipeline:build` builds it)\n',
  );
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      '--import',
      tsx,
      '--conditions=@chromflow/source',
      src,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' },
  );
  // Ctrl-C reaches the child through the terminal's process group: the CLI
  // stops its stages and exits 130, and this process waits for that.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => {
    process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1));
  });
}
