import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  canonicalJson,
  type ParamsSchema,
  type PortSpec,
  sha256,
  type Stage,
  type StageResources,
  writeFileAtomic,
} from '@chromflow/core';
import type { StageRegistry } from './registry.js';
import { BUILTIN_PACKAGES } from './registry.js';

/**
 * What the orchestrator's own process needs of a stage: its declaration
 * (name, version, params, ports, resources), never its code — stages run in
 * their own processes. Loading a package's code costs 0.2–0.5 s each
 * (TensorFlow.js, h5wasm, Arrow: measured 2.3 s for a fully cached re-run of
 * full.yaml), so declarations are kept in the cache directory, keyed by a
 * fingerprint (path, size, mtime) of the package's code files, and a
 * package is imported only when its files changed.
 */

export type StageDeclaration = Omit<Stage, 'run'>;

interface CatalogFile {
  format: 1;
  packages: Record<string, { fingerprint: string; stages: StageDeclaration[] }>;
}

async function codeFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && /\.(m?js|ts|json|wasm)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** (path, size, mtime) of every code file of a package's entry directory (`dist/` or, from source, `src/`). */
async function fingerprintPackage(pkg: string): Promise<string> {
  const entry = fileURLToPath(import.meta.resolve(`@chromflow/${pkg}`));
  const parts: string[] = [entry];
  for (const f of await codeFiles(dirname(entry))) {
    const s = await stat(f);
    parts.push(`${f}\t${s.size}\t${s.mtimeMs}`);
  }
  return sha256(parts.join('\n'));
}

function declarationOf(s: Stage): StageDeclaration {
  const outputs: Record<string, PortSpec> = {};
  const inputs: Record<string, PortSpec> = {};
  // Arrow schema objects are not JSON: ports keep kind/type/description (schemas are not declared by any stage today).
  for (const [k, p] of Object.entries(s.inputs))
    inputs[k] = { ...p, ...(p.kind === 'table' ? { schema: undefined } : {}) };
  for (const [k, p] of Object.entries(s.outputs))
    outputs[k] = { ...p, ...(p.kind === 'table' ? { schema: undefined } : {}) };
  const params: ParamsSchema = s.params;
  const resources: StageResources = s.resources;
  return {
    name: s.name,
    version: s.version,
    description: s.description,
    params,
    inputs,
    outputs,
    resources,
  };
}

export class StageCatalog {
  private file: CatalogFile | undefined;
  private dirty = false;
  private readonly byName = new Map<string, StageDeclaration>();
  private readonly checked = new Set<string>();

  constructor(
    readonly registry: StageRegistry,
    private readonly path: string | undefined,
  ) {}

  private async load(): Promise<CatalogFile> {
    if (this.file) return this.file;
    let f: CatalogFile = { format: 1, packages: {} };
    if (this.path) {
      try {
        const parsed = JSON.parse(await readFile(this.path, 'utf8')) as CatalogFile;
        if (parsed.format === 1) f = parsed;
      } catch {
        // no catalog yet (or unreadable): rebuilt below
      }
    }
    this.file = f;
    return f;
  }

  private async loadPackage(pkg: string): Promise<void> {
    if (this.checked.has(pkg)) return;
    this.checked.add(pkg);
    const file = await this.load();
    const fingerprint = await fingerprintPackage(pkg);
    let known = file.packages[pkg];
    if (known?.fingerprint !== fingerprint) {
      const stages = (await this.registry.packageStages(pkg)).map(declarationOf);
      known = { fingerprint, stages };
      file.packages[pkg] = known;
      this.dirty = true;
    }
    for (const s of known.stages) this.byName.set(s.name, s);
  }

  /** A stage's declaration; plugin stages come from the registry as they are. */
  async get(name: string): Promise<StageDeclaration | undefined> {
    const plugin = this.registry.pluginStage(name);
    if (plugin) return plugin;
    const pkg = name.slice(0, name.indexOf('.'));
    if ((BUILTIN_PACKAGES as readonly string[]).includes(pkg)) await this.loadPackage(pkg);
    return this.byName.get(name);
  }

  async all(): Promise<StageDeclaration[]> {
    for (const pkg of BUILTIN_PACKAGES) await this.loadPackage(pkg);
    const all = new Map<string, StageDeclaration>(this.byName);
    for (const name of this.registry.pluginStageNames())
      all.set(name, this.registry.pluginStage(name)!);
    return [...all.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Writes the catalog back when a package had to be loaded. */
  async save(): Promise<void> {
    if (!this.dirty || !this.path || !this.file) return;
    await writeFileAtomic(this.path, canonicalJson(this.file));
    this.dirty = false;
  }
}
