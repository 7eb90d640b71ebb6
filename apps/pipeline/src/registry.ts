import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ChromflowError, type Stage } from '@chromflow/core';

/**
 * Where stages come from. Built-in stages are named `<package>.<stage>` and
 * live in `@chromflow/<package>`, so a workflow loads only the packages it
 * uses (a cached re-run of a workflow that trains no model never loads
 * TensorFlow.js). Plugins are extra modules exporting `stages`.
 */

export const BUILTIN_PACKAGES = [
  'genome-io',
  'atac-pseudobulk',
  'cell-embedding',
  'models',
  'attribution',
  'structure-analysis',
  'report',
  'simulate',
] as const;

async function importPackage(pkg: string): Promise<Stage[]> {
  // Each import is spelled out so bundlers and `tsc` see real module names.
  const mod: { stages?: unknown } = await (async () => {
    switch (pkg) {
      case 'genome-io':
        return import('@chromflow/genome-io');
      case 'atac-pseudobulk':
        return import('@chromflow/atac-pseudobulk');
      case 'cell-embedding':
        return import('@chromflow/cell-embedding');
      case 'models':
        return import('@chromflow/models');
      case 'attribution':
        return import('@chromflow/attribution');
      case 'structure-analysis':
        return import('@chromflow/structure-analysis');
      case 'report':
        return import('@chromflow/report');
      case 'simulate':
        return import('@chromflow/simulate');
      default:
        return {};
    }
  })();
  return Array.isArray(mod.stages) ? (mod.stages as Stage[]) : [];
}

export class StageRegistry {
  private readonly byName = new Map<string, Stage>();
  private readonly loadedPackages = new Set<string>();
  private readonly pluginPaths: string[] = [];
  private readonly pluginNames = new Set<string>();

  /** Registers the stages a plugin module exports as `stages`. `path` is resolved against `baseDir`. */
  async addPlugin(path: string, baseDir = process.cwd()): Promise<void> {
    const abs = resolve(baseDir, path);
    let mod: { stages?: unknown };
    try {
      mod = (await import(pathToFileURL(abs).href)) as { stages?: unknown };
    } catch (e) {
      throw new ChromflowError('WORKFLOW', 'cannot load the plugin module', {
        path: abs,
        cause: e,
        found: e instanceof Error ? e.message : String(e),
      });
    }
    if (!Array.isArray(mod.stages)) {
      throw new ChromflowError(
        'WORKFLOW',
        'a plugin module must export `stages`, an array of stage objects',
        { path: abs },
      );
    }
    for (const s of mod.stages as Stage[]) {
      this.add(s);
      this.pluginNames.add(s.name);
    }
    this.pluginPaths.push(abs);
  }

  /** Plugin modules loaded so far (child processes load the same ones). */
  plugins(): readonly string[] {
    return this.pluginPaths;
  }

  add(stage: Stage): void {
    if (typeof stage?.name !== 'string' || typeof stage.run !== 'function') {
      throw new ChromflowError(
        'WORKFLOW',
        'not a stage object: it needs at least `name` and `run`',
      );
    }
    this.byName.set(stage.name, stage);
  }

  private async loadPackage(pkg: string): Promise<void> {
    if (this.loadedPackages.has(pkg)) return;
    this.loadedPackages.add(pkg);
    for (const s of await importPackage(pkg)) this.add(s);
  }

  /** The stages of one built-in package (imports its code). */
  async packageStages(pkg: string): Promise<Stage[]> {
    await this.loadPackage(pkg);
    return [...this.byName.values()].filter(
      (s) => s.name.startsWith(`${pkg}.`) && !this.pluginNames.has(s.name),
    );
  }

  pluginStageNames(): string[] {
    return [...this.pluginNames];
  }

  /** A stage registered by a plugin, if `name` is one. */
  pluginStage(name: string): Stage | undefined {
    return this.pluginNames.has(name) ? this.byName.get(name) : undefined;
  }

  /** The stage called `name`, loading its package on demand; undefined when unknown. */
  async get(name: string): Promise<Stage | undefined> {
    const known = this.byName.get(name);
    if (known) return known;
    const pkg = name.slice(0, name.indexOf('.'));
    if ((BUILTIN_PACKAGES as readonly string[]).includes(pkg)) await this.loadPackage(pkg);
    return this.byName.get(name);
  }

  /** Every stage: all built-in packages plus plugins, sorted by name. */
  async all(): Promise<Stage[]> {
    for (const pkg of BUILTIN_PACKAGES) await this.loadPackage(pkg);
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
