import type { Schema } from 'apache-arrow';
import type { ProgressCallback } from './progress.js';

/**
 * The stage contract. A stage is a pure, versioned function from typed inputs
 * and validated parameters to typed outputs. Packages export stages; the
 * orchestrator knows packages only through them. A stage reads nothing it has
 * not declared and writes only to the output paths it is given.
 */

/** JSON Schema (draft-07 subset) for one parameter: type, description, default, range. */
export interface ParamSchema {
  type: 'number' | 'integer' | 'string' | 'boolean' | 'array' | 'object';
  description: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  enum?: readonly (string | number)[];
  items?: ParamSchema | { type: string };
  minItems?: number;
  pattern?: string;
}

/** The parameter object of a stage: a JSON Schema `object` with one property per parameter. */
export interface ParamsSchema {
  type: 'object';
  properties: Record<string, ParamSchema>;
  required?: readonly string[];
  additionalProperties: false;
}

/**
 * A port. `type` names what flows through it; an output may only feed an input
 * of the same `type` (for tables the Arrow schemas must agree too).
 * - `table`: an Arrow table stored as Parquet (default) or Arrow IPC; `type` is
 *   the table's `chromflow.encoding-type`.
 * - `file`: a file in a domain format (`fasta`, `bed`, `fragments`, `gtf`, `meme`, `10x-mtx` …).
 * - `directory`: a directory artifact (a model checkpoint, an MTX folder …).
 */
export type PortSpec =
  | {
      kind: 'table';
      type: string;
      description: string;
      schema?: Schema;
      format?: 'parquet' | 'arrow';
      optional?: boolean;
    }
  | {
      kind: 'file';
      type: string;
      description: string;
      /** The output file's extension, dot included (`.tsv`): the type says so at compile time. */
      extension?: `.${string}`;
      optional?: boolean;
    }
  | { kind: 'directory'; type: string; description: string; optional?: boolean };

export interface StageResources {
  /** CPU threads the stage uses. */
  cpu: number;
  /** Peak memory in GiB (a planning figure for executors). */
  memoryGb: number;
  /** Whether the stage benefits from a GPU; it must still run without one. */
  gpu?: boolean;
}

export interface StageLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface StageContext<P> {
  /** Validated parameters, defaults filled in. */
  params: P;
  /** Input port → path of the file or directory (absent for optional ports left unwired). */
  inputs: Record<string, string | undefined>;
  /** Output port → path the stage must write (inside a temporary directory the orchestrator renames into the cache). */
  outputs: Record<string, string>;
  /** A scratch directory removed after the stage. */
  tempDir: string;
  log: StageLogger;
  onProgress: ProgressCallback;
  signal: AbortSignal;
}

/** What a stage's run may report back; recorded in the cache manifest. */
export interface StageRunInfo {
  /** Compute backend used (e.g. `wasm`, `tensorflow`, `cpu`) where the stage computes on one. */
  backend?: string;
  /** Free-form figures worth keeping (metrics, counts). */
  metrics?: Record<string, number | string>;
}

export interface Stage<P = Record<string, unknown>> {
  /** `<package>.<stage>`, e.g. `atac-pseudobulk.count-matrix`. */
  name: string;
  /** Bumped by hand whenever the output for the same inputs and params would change. */
  version: string;
  description: string;
  params: ParamsSchema;
  inputs: Record<string, PortSpec>;
  outputs: Record<string, PortSpec>;
  resources: StageResources;
  run(ctx: StageContext<P>): Promise<StageRunInfo | void>;
}

/**
 * Identity helper that checks a stage object against the contract while
 * keeping its parameter type: `export const countMatrix = defineStage<Params>({...})`.
 */
export function defineStage<P>(stage: Stage<P>): Stage<P> {
  return stage;
}

/** Output file name for a port: `<port>.parquet`, `<port>.arrow`, or the port name with its extension. */
export function outputFileName(port: string, spec: PortSpec): string {
  if (spec.kind === 'table') return `${port}.${spec.format === 'arrow' ? 'arrow' : 'parquet'}`;
  if (spec.kind === 'file') return spec.extension ? `${port}${spec.extension}` : port;
  return port;
}
