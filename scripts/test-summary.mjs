#!/usr/bin/env node
// Totals every package's vitest JSON report (.test-results/<package>.json,
// written by vitest.shared.ts) into CI's closing line, exactly
// `N passed, N failed, N skipped`, naming each skipped test first. A package
// with a test script but no report, or a test file that failed to load,
// counts as a failure. Exits 1 when anything failed.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = join(root, '.test-results');
const workspaces = ['packages', 'apps'].flatMap((group) =>
  existsSync(join(root, group))
    ? readdirSync(join(root, group)).map((name) => join(root, group, name))
    : [],
);

let passed = 0;
let failed = 0;
let skipped = 0;
const skippedNames = [];
const problems = [];
for (const dir of workspaces) {
  const pkgFile = join(dir, 'package.json');
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  if (!pkg.scripts?.test) continue;
  const reportFile = join(resultsDir, `${basename(dir)}.json`);
  if (!existsSync(reportFile)) {
    failed += 1;
    problems.push(
      `${pkg.name}: no test report (${relative(root, reportFile)}); its test run did not finish`,
    );
    continue;
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  for (const file of report.testResults ?? []) {
    const results = file.assertionResults ?? [];
    if (file.status === 'failed' && results.every((r) => r.status !== 'failed')) {
      failed += 1;
      problems.push(
        `${relative(root, file.name)}: ${(file.message ?? 'failed to run').split('\n')[0]}`,
      );
    }
    for (const r of results) {
      if (r.status === 'passed') passed += 1;
      else if (r.status === 'failed') {
        failed += 1;
        problems.push(`${relative(root, file.name)} > ${r.fullName}`);
      } else {
        skipped += 1;
        skippedNames.push(`${relative(root, file.name)} > ${r.fullName}`);
      }
    }
  }
}

if (skippedNames.length > 0) {
  console.log(`skipped (the test log says why, with "skipping: …"):`);
  for (const name of skippedNames) console.log(`  ${name}`);
}
if (problems.length > 0) {
  console.log('failed:');
  for (const p of problems) console.log(`  ${p}`);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
