import type { PortSpec } from '@chromflow/core';
import type { StageDeclaration } from './stage-catalog.js';

const port = (name: string, p: PortSpec): string =>
  `    ${name}: ${p.kind} ${p.type}${p.optional ? ' (optional)' : ''} — ${p.description}`;

/** A stage's reference as `chromflow stages` prints it. */
export function describeStage(s: StageDeclaration): string {
  const params = Object.entries(s.params.properties).map(([k, p]) => {
    const range = [
      p.minimum !== undefined ? `≥ ${p.minimum}` : '',
      p.maximum !== undefined ? `≤ ${p.maximum}` : '',
      p.enum ? `one of ${p.enum.join('|')}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return `    ${k}: ${p.type}${p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : ''}${range ? ` (${range})` : ''} — ${p.description}`;
  });
  return [
    `${s.name} v${s.version}${s.resources.gpu ? ' [gpu]' : ''} — ${s.description}`,
    '  inputs:',
    ...(Object.entries(s.inputs).map(([k, p]) => port(k, p)).length
      ? Object.entries(s.inputs).map(([k, p]) => port(k, p))
      : ['    (none)']),
    '  outputs:',
    ...Object.entries(s.outputs).map(([k, p]) => port(k, p)),
    '  params:',
    ...(params.length ? params : ['    (none)']),
  ].join('\n');
}
