import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ChromflowError, type PortSpec } from '@chromflow/core';
import { didYouMean } from './did-you-mean.js';
import { inputFormatMismatch } from './input-format.js';
import { validateParams } from './params.js';
import type { StageCatalog, StageDeclaration } from './stage-catalog.js';
import type { SourcePos, WorkflowFile, WorkflowStageDecl } from './workflow-file.js';

/** A workflow checked against the stage registry: every name resolved, every wire typed, no cycle. */

export type ResolvedInput =
  { kind: 'path'; path: string } | { kind: 'from'; stageId: string; port: string };

export interface ResolvedStage {
  id: string;
  stage: StageDeclaration;
  params: Record<string, unknown>;
  inputs: Map<string, ResolvedInput>;
  /** Ids of the stages this one reads from. */
  upstream: string[];
  pos: SourcePos;
}

export interface CheckedWorkflow {
  file: WorkflowFile;
  /** In a topological order (every stage after the stages it reads from). */
  stages: ResolvedStage[];
}

function err(
  pos: SourcePos,
  stage: string,
  message: string,
  extra: { field?: string; expected?: string; found?: string; hint?: string } = {},
): ChromflowError {
  return new ChromflowError('WORKFLOW', message, { ...pos, stage, ...extra });
}

function describePort(p: PortSpec): string {
  return `${p.kind} of type '${p.type}'`;
}

function schemasDiffer(a: PortSpec, b: PortSpec): string | undefined {
  if (a.kind !== 'table' || b.kind !== 'table' || !a.schema || !b.schema) return undefined;
  for (const f of b.schema.fields) {
    const g = a.schema.fields.find((x) => x.name === f.name);
    if (!g) return `column '${f.name}' is missing`;
    if (String(g.type) !== String(f.type))
      return `column '${f.name}' is ${String(g.type)}, not ${String(f.type)}`;
  }
  return undefined;
}

async function resolveStage(
  decl: WorkflowStageDecl,
  catalog: StageCatalog,
): Promise<StageDeclaration> {
  const stage = await catalog.get(decl.uses.value);
  if (stage) return stage;
  const names = (await catalog.all()).map((s) => s.name);
  throw err(decl.uses.pos, decl.id.value, `unknown stage '${decl.uses.value}'`, {
    field: 'uses',
    hint: didYouMean(decl.uses.value, names) ?? 'run `chromflow stages` to list them',
  });
}

/** Checks a parsed workflow; throws the first problem as a located WORKFLOW error. */
export async function checkWorkflow(
  file: WorkflowFile,
  catalog: StageCatalog,
): Promise<CheckedWorkflow> {
  for (const p of file.plugins)
    await catalog.registry.addPlugin(p.value, file.baseDir).catch((e: unknown) => {
      throw e instanceof ChromflowError ? e.withLocation(p.pos) : e;
    });
  const decls = new Map(file.stages.map((d) => [d.id.value, d]));
  const resolved = new Map<string, ResolvedStage>();
  const stagesOf = new Map<string, StageDeclaration>();
  for (const decl of file.stages) stagesOf.set(decl.id.value, await resolveStage(decl, catalog));

  for (const decl of file.stages) {
    const id = decl.id.value;
    const stage = stagesOf.get(id)!;
    const given = Object.fromEntries([...decl.with].map(([k, v]) => [k, v.value]));
    const checked = validateParams(stage.params, given);
    if (checked.issue) {
      const pos = decl.with.get(checked.issue.field.replace(/\[\d+\]$/, ''))?.pos ?? decl.pos;
      throw err(pos, id, checked.issue.message, {
        ...checked.issue,
        field: `with.${checked.issue.field}`,
      });
    }
    const inputs = new Map<string, ResolvedInput>();
    const upstream: string[] = [];
    for (const [port, binding] of decl.inputs) {
      const spec = stage.inputs[port];
      if (!spec) {
        const ports = Object.keys(stage.inputs);
        throw err(binding.pos, id, `stage '${stage.name}' has no input '${port}'`, {
          field: `inputs.${port}`,
          expected: ports.length ? `one of ${ports.join(', ')}` : 'no inputs',
          hint: didYouMean(port, ports),
        });
      }
      const b = binding.value;
      if (b.kind === 'path') {
        const abs = resolve(file.baseDir, b.path.value);
        if (!existsSync(abs)) {
          throw err(b.path.pos, id, `input file does not exist: ${abs}`, {
            field: `inputs.${port}`,
            expected: describePort(spec),
          });
        }
        const isDir = statSync(abs).isDirectory();
        if (isDir !== (spec.kind === 'directory')) {
          throw err(
            b.path.pos,
            id,
            `input '${port}' must be a ${spec.kind === 'directory' ? 'directory' : 'file'}`,
            {
              field: `inputs.${port}`,
              expected: describePort(spec),
              found: isDir ? 'a directory' : 'a file',
            },
          );
        }
        const wrongFormat = await inputFormatMismatch(abs, spec, catalog);
        if (wrongFormat) {
          throw err(b.path.pos, id, `input '${port}' got a file of another format: ${abs}`, {
            field: `inputs.${port}`,
            ...wrongFormat,
          });
        }
        inputs.set(port, { kind: 'path', path: abs });
        continue;
      }
      const from = decls.get(b.stage.value);
      if (!from) {
        throw err(b.stage.pos, id, `input '${port}' reads from unknown stage '${b.stage.value}'`, {
          field: `inputs.${port}`,
          expected: `one of ${[...decls.keys()].join(', ')}`,
          hint: didYouMean(b.stage.value, decls.keys()),
        });
      }
      const fromStage = stagesOf.get(b.stage.value)!;
      const out = fromStage.outputs[b.port.value];
      if (!out) {
        const outs = Object.keys(fromStage.outputs);
        throw err(
          b.port.pos,
          id,
          `stage '${b.stage.value}' (${fromStage.name}) has no output '${b.port.value}'`,
          {
            field: `inputs.${port}`,
            expected: `one of ${outs.join(', ')}`,
            hint: didYouMean(b.port.value, outs),
          },
        );
      }
      const mismatch =
        out.kind !== spec.kind || out.type !== spec.type
          ? `${describePort(out)} cannot feed ${describePort(spec)}`
          : schemasDiffer(out, spec);
      if (mismatch) {
        throw err(
          b.stage.pos,
          id,
          `input '${port}' is wired to an output of a different schema: ${mismatch}`,
          {
            field: `inputs.${port}`,
            expected: describePort(spec),
            found: `${b.stage.value}.${b.port.value}: ${describePort(out)}`,
          },
        );
      }
      inputs.set(port, { kind: 'from', stageId: b.stage.value, port: b.port.value });
      if (!upstream.includes(b.stage.value)) upstream.push(b.stage.value);
    }
    for (const [port, spec] of Object.entries(stage.inputs)) {
      if (!spec.optional && !inputs.has(port)) {
        throw err(decl.pos, id, `stage '${id}' (${stage.name}) needs input '${port}'`, {
          field: `inputs.${port}`,
          expected: `${describePort(spec)}: ${spec.description}`,
        });
      }
    }
    resolved.set(id, { id, stage, params: checked.params, inputs, upstream, pos: decl.pos });
  }
  await catalog.save();
  return { file, stages: topologicalOrder(resolved, decls) };
}

/** Depth-first order; a back edge is a cycle, reported with its path at the first stage's `inputs`. */
function topologicalOrder(
  stages: Map<string, ResolvedStage>,
  decls: Map<string, WorkflowStageDecl>,
): ResolvedStage[] {
  const order: ResolvedStage[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(id)), id];
      const decl = decls.get(id)!;
      const binding = [...decl.inputs.values()].find(
        (b) => b.value.kind === 'from' && cycle.includes(b.value.stage.value),
      );
      throw err(binding?.pos ?? decl.pos, id, `the workflow has a cycle: ${cycle.join(' → ')}`, {
        hint: 'a stage cannot read, directly or not, from its own outputs',
      });
    }
    state.set(id, 'visiting');
    const s = stages.get(id)!;
    for (const up of s.upstream) visit(up, [...path, id]);
    state.set(id, 'done');
    order.push(s);
  };
  for (const id of stages.keys()) visit(id, []);
  return order;
}
