import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ChromflowError } from '@chromflow/core';
import {
  type Document,
  isMap,
  isScalar,
  LineCounter,
  parseDocument,
  type Node,
  type YAMLMap,
} from 'yaml';
import { type ExecutorBlock, parseExecutorBlock } from './executor-config.js';

/**
 * A workflow file as written, with the source position of every field so that
 * validation errors can name file, line and column. Paths are not resolved
 * and stages not looked up here: that is `checkWorkflow`'s job.
 */

export interface SourcePos {
  path: string;
  line: number;
  column: number;
  /** The text of the line, for the caret display. */
  source: string;
}

export interface Located<T> {
  value: T;
  pos: SourcePos;
}

/** An input wired to a file, or to another stage's output port. */
export type InputBinding =
  | { kind: 'path'; path: Located<string> }
  | { kind: 'from'; stage: Located<string>; port: Located<string> };

export interface WorkflowStageDecl {
  id: Located<string>;
  uses: Located<string>;
  /** Parameter name → value as written (plain JSON), each with its position. */
  with: Map<string, Located<unknown>>;
  inputs: Map<string, Located<InputBinding>>;
  pos: SourcePos;
}

export interface WorkflowFile {
  path: string;
  /** Directory relative paths in the file are resolved against. */
  baseDir: string;
  name: string;
  cacheDir?: Located<string>;
  resultsDir?: Located<string>;
  plugins: Located<string>[];
  stages: WorkflowStageDecl[];
  /** The `executor:` block (which executor, Slurm settings), when given. */
  executor?: ExecutorBlock;
}

const TOP_LEVEL = [
  'version',
  'name',
  'description',
  'cache',
  'results',
  'plugins',
  'stages',
  'executor',
];
const STAGE_KEYS = ['uses', 'with', 'inputs', 'description'];

class PosMapper {
  readonly lc = new LineCounter();
  lines: string[] = [];
  constructor(readonly path: string) {}
  at(offset: number | undefined): SourcePos {
    const { line, col } = this.lc.linePos(offset ?? 0);
    return { path: this.path, line, column: col, source: this.lines[line - 1] ?? '' };
  }
  of(node: Node | null | undefined): SourcePos {
    return this.at(node?.range?.[0]);
  }
}

function fail(
  pos: SourcePos,
  message: string,
  extra: { field?: string; expected?: string; found?: string; hint?: string } = {},
): never {
  throw new ChromflowError('WORKFLOW', message, { ...pos, ...extra });
}

function describeNode(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isScalar(node)) return `${JSON.stringify(node.value)}`;
  if (node && typeof node === 'object' && 'items' in node) return 'a list';
  return 'nothing';
}

function stringOf(m: PosMapper, node: unknown, field: string, pos: SourcePos): Located<string> {
  if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
    fail(isScalar(node) ? m.of(node) : pos, `'${field}' must be a non-empty string`, {
      field,
      expected: 'a string',
      found: describeNode(node),
    });
  }
  return { value: node.value, pos: m.of(node) };
}

function mapOf(m: PosMapper, node: unknown, field: string, pos: SourcePos): YAMLMap {
  if (!isMap(node))
    fail(pos, `'${field}' must be a mapping`, {
      field,
      expected: 'a mapping of name: value',
      found: describeNode(node),
    });
  return node;
}

function parseInput(m: PosMapper, node: unknown, port: string, pos: SourcePos): InputBinding {
  if (isScalar(node) && typeof node.value === 'string')
    return { kind: 'path', path: { value: node.value, pos: m.of(node) } };
  if (isMap(node)) {
    const keys = node.items.map((p) => String(isScalar(p.key) ? p.key.value : ''));
    if (keys.length === 1 && keys[0] === 'path') {
      return {
        kind: 'path',
        path: stringOf(m, node.get('path', true), `${port}.path`, m.of(node)),
      };
    }
    if (keys.length === 1 && keys[0] === 'from') {
      const ref = stringOf(m, node.get('from', true), `${port}.from`, m.of(node));
      const dot = ref.value.lastIndexOf('.');
      if (dot <= 0 || dot === ref.value.length - 1) {
        fail(ref.pos, `input '${port}' must name a stage output as <stage>.<port>`, {
          field: `${port}.from`,
          expected: '<stage id>.<output port>, e.g. windows.sequences',
          found: JSON.stringify(ref.value),
        });
      }
      return {
        kind: 'from',
        stage: { value: ref.value.slice(0, dot), pos: ref.pos },
        port: {
          value: ref.value.slice(dot + 1),
          pos: { ...ref.pos, column: ref.pos.column + dot + 1 },
        },
      };
    }
  }
  fail(
    isScalar(node) || isMap(node) ? m.of(node) : pos,
    `input '${port}' must be a file path or {from: <stage>.<port>}`,
    {
      field: port,
      expected: 'a path string, {path: …} or {from: <stage>.<port>}',
      found: describeNode(node),
    },
  );
}

function checkKeys(m: PosMapper, map: YAMLMap, allowed: readonly string[], where: string): void {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!allowed.includes(key)) {
      const hint = allowed.find((a) => a.startsWith(key.slice(0, 3)));
      fail(m.of(pair.key as Node), `unknown field '${key}' in ${where}`, {
        field: key,
        expected: `one of ${allowed.join(', ')}`,
        hint: hint ? `did you mean '${hint}'?` : undefined,
      });
    }
  }
}

/** Parses workflow YAML text; `path` is used in errors and to resolve relative paths. */
export function parseWorkflow(text: string, path: string): WorkflowFile {
  const m = new PosMapper(path);
  m.lines = text.split(/\r?\n/);
  const doc: Document = parseDocument(text, {
    lineCounter: m.lc,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const first = doc.errors[0];
  if (first) {
    fail(m.at(first.pos[0]), `invalid YAML: ${first.message.split('\n')[0]}`, {
      hint: 'check indentation and quoting',
    });
  }
  const root = doc.contents;
  const top = { path, line: 1, column: 1, source: m.lines[0] ?? '' };
  if (!isMap(root))
    fail(top, 'a workflow file must be a mapping with a `stages:` section', {
      found: describeNode(root),
    });
  checkKeys(m, root, TOP_LEVEL, 'the workflow');
  const version = root.get('version', true);
  if (version !== undefined && (!isScalar(version) || version.value !== 1)) {
    fail(m.of(version), 'unsupported workflow version', {
      field: 'version',
      expected: '1',
      found: describeNode(version),
    });
  }
  const stagesNode = root.get('stages', true);
  if (stagesNode === undefined)
    fail(top, 'the workflow has no `stages:` section', { field: 'stages' });
  const stagesMap = mapOf(m, stagesNode, 'stages', m.of(stagesNode));

  const stages: WorkflowStageDecl[] = [];
  for (const pair of stagesMap.items) {
    const idPos = m.of(pair.key as Node);
    const id = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!/^[A-Za-z_][\w-]*$/.test(id)) {
      fail(idPos, `invalid stage id '${id}'`, {
        expected: 'letters, digits, - and _, starting with a letter',
      });
    }
    const body = mapOf(m, pair.value, `stages.${id}`, idPos);
    checkKeys(m, body, STAGE_KEYS, `stage '${id}'`);
    const usesNode = body.get('uses', true);
    if (usesNode === undefined)
      fail(idPos, `stage '${id}' has no 'uses:'`, {
        field: 'uses',
        expected: 'the name of a stage, e.g. genome-io.peak-windows',
      });
    const uses = stringOf(m, usesNode, 'uses', idPos);
    const withMap = new Map<string, Located<unknown>>();
    const withNode = body.get('with', true);
    if (withNode !== undefined && !(isScalar(withNode) && withNode.value === null)) {
      for (const p of mapOf(m, withNode, `stages.${id}.with`, m.of(withNode)).items) {
        const key = String(isScalar(p.key) ? p.key.value : '');
        const valueNode = p.value as Node | null;
        withMap.set(key, {
          value: valueNode ? (valueNode.toJSON() as unknown) : null,
          pos: valueNode ? m.of(valueNode) : m.of(p.key as Node),
        });
      }
    }
    const inputs = new Map<string, Located<InputBinding>>();
    const inputsNode = body.get('inputs', true);
    if (inputsNode !== undefined && !(isScalar(inputsNode) && inputsNode.value === null)) {
      for (const p of mapOf(m, inputsNode, `stages.${id}.inputs`, m.of(inputsNode)).items) {
        const port = String(isScalar(p.key) ? p.key.value : '');
        const pos = m.of(p.key as Node);
        inputs.set(port, { value: parseInput(m, p.value, port, pos), pos });
      }
    }
    stages.push({ id: { value: id, pos: idPos }, uses, with: withMap, inputs, pos: idPos });
  }
  if (stages.length === 0)
    fail(m.of(stagesMap), 'the workflow declares no stages', { field: 'stages' });

  const opt = (key: string): Located<string> | undefined => {
    const n = root.get(key, true);
    return n === undefined ? undefined : stringOf(m, n, key, m.of(n));
  };
  const pluginsNode = root.get('plugins', true);
  const plugins: Located<string>[] = [];
  if (pluginsNode !== undefined) {
    if (
      !(pluginsNode && typeof pluginsNode === 'object' && 'items' in pluginsNode) ||
      isMap(pluginsNode)
    ) {
      fail(m.of(pluginsNode), "'plugins' must be a list of module paths", {
        field: 'plugins',
      });
    }
    for (const item of (pluginsNode as { items: unknown[] }).items)
      plugins.push(stringOf(m, item, 'plugins', m.of(pluginsNode)));
  }
  const executorNode = root.get('executor', true);
  const executor =
    executorNode === undefined
      ? undefined
      : parseExecutorBlock(
          executorNode,
          stages.map((s) => s.id.value),
          (n) => m.of(n as Node),
        );
  return {
    path,
    baseDir: dirname(resolve(path)),
    name: opt('name')?.value ?? path.replace(/^.*\//, '').replace(/\.ya?ml$/, ''),
    cacheDir: opt('cache'),
    resultsDir: opt('results'),
    plugins,
    stages,
    executor,
  };
}

export async function readWorkflow(path: string): Promise<WorkflowFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ChromflowError('IO', 'cannot read the workflow file', {
      path,
      cause: e,
      hint: 'check the path',
    });
  }
  return parseWorkflow(text, path);
}
