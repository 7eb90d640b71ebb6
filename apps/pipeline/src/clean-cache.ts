import { existsSync } from 'node:fs';
import { lstat, readdir, readlink, rename, rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { CacheStore } from './cache-store.js';
import { readAllRunRecords } from './run-record.js';

/**
 * `chromflow clean`: what it removes and what it leaves pointing nowhere,
 * said in full. Entries are kept while any run record (one per workflow
 * file) names them, as this run's outcome or as a stage's last completed
 * run; a working directory is kept while a record names its key (an
 * interrupted attempt its workflow can resume). `results/` links into what
 * is removed are removed too, and listed.
 */

export interface CleanReport {
  entries: number;
  workDirs: number;
  bytes: number;
  /** Links removed because their target was removed. */
  links: string[];
}

async function treeBytes(path: string): Promise<number> {
  const s = await lstat(path).catch(() => undefined);
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  let n = 0;
  for (const name of await readdir(path)) n += await treeBytes(join(path, name));
  return n;
}

const inside = (path: string, dir: string): boolean =>
  path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** Links in `dir` (one level, as `results/` is written) whose target lies under one of `removed`. */
async function removeLinksInto(
  dir: string,
  removed: (target: string) => boolean,
): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const s = await lstat(path).catch(() => undefined);
    if (!s?.isSymbolicLink()) continue;
    const target = resolve(dir, await readlink(path));
    if (removed(target)) {
      await rm(path, { force: true });
      out.push(path);
    }
  }
  return out;
}

export async function cleanCache(
  cache: CacheStore,
  options: { all?: boolean } = {},
): Promise<CleanReport> {
  const records = (await readAllRunRecords(cache)).map(([, r]) => r);
  const resultsDirs = [...new Set(records.flatMap((r) => (r.resultsDir ? [r.resultsDir] : [])))];
  if (options.all) {
    const report: CleanReport = {
      entries: (await cache.listEntries()).length,
      workDirs: (await cache.listWorkDirs()).length,
      bytes: await treeBytes(cache.root),
      links: [],
    };
    const root = resolve(cache.root);
    for (const d of resultsDirs)
      report.links.push(...(await removeLinksInto(d, (t) => inside(t, root))));
    const trash = `${cache.root}.trash-${process.pid}`;
    if (existsSync(cache.root)) await rename(cache.root, trash);
    await rm(trash, { recursive: true, force: true });
    return report;
  }
  const keep = new Set<string>();
  const keepWork = new Set<string>();
  for (const r of records) {
    for (const s of r.stages) {
      if (!s.key) continue;
      keep.add(`${s.stage}/${s.key}`);
      keepWork.add(`${s.stage}/${s.key}`);
    }
    for (const c of Object.values(r.completed ?? {})) keep.add(`${c.stage}/${c.key}`);
  }
  const report: CleanReport = { entries: 0, workDirs: 0, bytes: 0, links: [] };
  await cache.removeStaleTemp();
  const removedDirs: string[] = [];
  for (const [stage, key] of await cache.listEntries()) {
    if (keep.has(`${stage}/${key}`)) continue;
    const dir = cache.entryDir(stage, key);
    report.bytes += await treeBytes(dir);
    await rm(dir, { recursive: true, force: true });
    removedDirs.push(resolve(dir));
    report.entries++;
  }
  for (const [stage, key] of await cache.listWorkDirs()) {
    if (keepWork.has(`${stage}/${key}`)) continue;
    const dir = cache.workDir(stage, key);
    report.bytes += await treeBytes(dir);
    await rm(dir, { recursive: true, force: true });
    report.workDirs++;
  }
  if (removedDirs.length) {
    for (const d of resultsDirs)
      report.links.push(
        ...(await removeLinksInto(d, (t) => removedDirs.some((r) => inside(t, r)))),
      );
  }
  return report;
}

const fmtBytes = (n: number): string =>
  n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

/** What `clean` prints. */
export function describeClean(
  cache: CacheStore,
  r: CleanReport,
  all: boolean,
  cwd = process.cwd(),
): string {
  const what = all
    ? `removed ${cache.root}: ${r.entries} entries and ${r.workDirs} unfinished working directories, ${fmtBytes(r.bytes)}`
    : `removed ${r.entries} unused entries and ${r.workDirs} unfinished working directories (${fmtBytes(r.bytes)}) from ${cache.root}`;
  const links = r.links.length
    ? `\nremoved ${r.links.length} results link${r.links.length === 1 ? '' : 's'} that pointed into what was removed:\n${r.links.map((l) => `  ${relative(cwd, l) || l}`).join('\n')}`
    : '';
  return `${what}${links}\n`;
}
