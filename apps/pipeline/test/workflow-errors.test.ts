import { describe, expect, it } from 'vitest';
import { chromflow, makeProject } from './cli-helpers.js';

const HEAD = `version: 1
plugins: [$PLUGIN]
cache: cache
stages:
`;

// Each bad workflow gets one clear error: file:line:col, the field, a hint where a name is near.
const cases: { name: string; stages: string; where: string; says: RegExp; hint?: RegExp }[] = [
  {
    name: 'unknown stage, with a suggestion',
    stages: `  a:\n    uses: test.sourse\n`,
    where: 'wf.yaml:6:11',
    says: /unknown stage 'test\.sourse'/,
    hint: /did you mean 'test\.source'\?/,
  },
  {
    name: 'unknown parameter, with a suggestion',
    stages: `  a:\n    uses: test.source\n    with:\n      valeu: 3\n`,
    where: 'wf.yaml:8:14',
    says: /unknown parameter 'valeu'/,
    hint: /did you mean 'value'\?/,
  },
  {
    name: 'ill-typed parameter',
    stages: `  a:\n    uses: test.source\n    with:\n      value: three\n`,
    where: 'wf.yaml:8:14',
    says: /parameter 'value' has the wrong type .*: expected number, found string "three"/,
  },
  {
    name: 'parameter out of range',
    stages: `  a:\n    uses: test.source\n  b:\n    uses: test.mod\n    with: { m: 0 }\n    inputs: { a: { from: a.out } }\n`,
    where: 'wf.yaml:9:16',
    says: /parameter 'm' is out of range .*: expected > 0, found 0/,
  },
  {
    name: 'missing input file',
    stages: `  a:\n    uses: test.source\n    inputs:\n      seed: nowhere.txt\n`,
    where: 'wf.yaml:8:13',
    says: /input file does not exist: .*nowhere\.txt/,
  },
  {
    name: 'output wired to an input of a different schema',
    stages: `  a:\n    uses: test.source\n  g:\n    uses: test.gpu\n    inputs: { a: { from: a.out } }\n  b:\n    uses: test.mod\n    inputs: { a: { from: g.out } }\n`,
    where: 'wf.yaml:12:26',
    says: /wired to an output of a different schema: file of type 'gpu-text' cannot feed file of type 'number-text'/,
  },
  {
    name: 'a cycle',
    stages: `  a:\n    uses: test.mod\n    inputs: { a: { from: b.out } }\n  b:\n    uses: test.mod\n    inputs: { a: { from: a.out } }\n`,
    where: 'wf.yaml:7:15',
    says: /the workflow has a cycle: a → b → a/,
  },
  {
    name: 'unknown output port, with a suggestion',
    stages: `  a:\n    uses: test.source\n  b:\n    uses: test.mod\n    inputs: { a: { from: a.outt } }\n`,
    where: 'wf.yaml:9:28',
    says: /stage 'a' \(test\.source\) has no output 'outt'/,
    hint: /did you mean 'out'\?/,
  },
  {
    name: 'unknown stage in a reference',
    stages: `  a:\n    uses: test.source\n  b:\n    uses: test.mod\n    inputs: { a: { from: aa.out } }\n`,
    where: 'wf.yaml:9:26',
    says: /reads from unknown stage 'aa'/,
  },
  {
    name: 'a required input left unwired',
    stages: `  b:\n    uses: test.mod\n`,
    where: 'wf.yaml:5:3',
    says: /needs input 'a'/,
  },
  {
    name: 'invalid YAML',
    stages: `  a:\n    uses: [test.source\n`,
    where: 'wf.yaml:',
    says: /invalid YAML/,
  },
];

describe('workflow validation (real CLI processes)', () => {
  it.each(cases)('$name', async ({ stages, where, says, hint }) => {
    const p = await makeProject(HEAD + stages);
    const r = chromflow(['plan', p.wf], { cwd: p.dir, env: p.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(where);
    expect(r.stderr).toMatch(says);
    if (hint) expect(r.stderr).toMatch(hint);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for user errors
    expect(r.stderr).toContain('^'); // the caret under the offending token
  });
});
