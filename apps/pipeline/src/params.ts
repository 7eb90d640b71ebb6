import { ChromflowError, type ParamSchema, type ParamsSchema } from '@chromflow/core';
import { didYouMean } from './did-you-mean.js';

/**
 * Validates a stage's parameters against its JSON-Schema object and fills
 * defaults. Hand-written over the small schema subset stages use so every
 * error can name the field, the expected type or range, and what was found.
 */

export interface ParamIssue {
  field: string;
  message: string;
  expected?: string;
  found?: string;
  hint?: string;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && Number.isInteger(v)) return 'integer';
  return typeof v;
}

function checkValue(field: string, schema: ParamSchema, v: unknown): ParamIssue | undefined {
  const t = typeOf(v);
  const okType =
    schema.type === t ||
    (schema.type === 'number' && t === 'integer') ||
    (schema.type === 'object' && t === 'object');
  if (!okType)
    return {
      field,
      message: `parameter '${field}' has the wrong type`,
      expected: schema.type,
      found: `${t} ${JSON.stringify(v)}`,
    };
  if (typeof v === 'number') {
    if (schema.minimum !== undefined && v < schema.minimum)
      return {
        field,
        message: `parameter '${field}' is out of range`,
        expected: `≥ ${schema.minimum}`,
        found: String(v),
      };
    if (schema.exclusiveMinimum !== undefined && v <= schema.exclusiveMinimum)
      return {
        field,
        message: `parameter '${field}' is out of range`,
        expected: `> ${schema.exclusiveMinimum}`,
        found: String(v),
      };
    if (schema.maximum !== undefined && v > schema.maximum)
      return {
        field,
        message: `parameter '${field}' is out of range`,
        expected: `≤ ${schema.maximum}`,
        found: String(v),
      };
  }
  if (schema.enum && !schema.enum.includes(v as string | number)) {
    return {
      field,
      message: `parameter '${field}' is not one of the allowed values`,
      expected: `one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
      found: JSON.stringify(v),
      hint: typeof v === 'string' ? didYouMean(v, schema.enum.map(String)) : undefined,
    };
  }
  if (typeof v === 'string' && schema.pattern && !new RegExp(schema.pattern).test(v)) {
    return {
      field,
      message: `parameter '${field}' does not match the expected form`,
      expected: `a string matching /${schema.pattern}/`,
      found: JSON.stringify(v),
    };
  }
  if (Array.isArray(v)) {
    if (schema.minItems !== undefined && v.length < schema.minItems)
      return {
        field,
        message: `parameter '${field}' has too few items`,
        expected: `at least ${schema.minItems}`,
        found: String(v.length),
      };
    const items = schema.items;
    if (items && 'description' in items) {
      for (let i = 0; i < v.length; i++) {
        const issue = checkValue(`${field}[${i}]`, items, v[i]);
        if (issue) return issue;
      }
    }
  }
  return undefined;
}

/** Validated params with defaults filled, or the first issue found. */
export function validateParams(
  schema: ParamsSchema,
  given: Record<string, unknown>,
):
  | { params: Record<string, unknown>; issue?: undefined }
  | { params?: undefined; issue: ParamIssue } {
  const known = Object.keys(schema.properties);
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      return {
        issue: {
          field: key,
          message: `unknown parameter '${key}'`,
          expected: known.length ? `one of ${known.join(', ')}` : 'no parameters',
          hint: didYouMean(key, known),
        },
      };
    }
  }
  const params: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(schema.properties)) {
    const v = key in given ? given[key] : s.default;
    if (v === undefined) {
      if (schema.required?.includes(key))
        return {
          issue: { field: key, message: `parameter '${key}' is required`, expected: s.description },
        };
      continue;
    }
    const issue = checkValue(key, s, v);
    if (issue) return { issue };
    params[key] = v;
  }
  return { params };
}

/** Parses a `--param key=value` string by the parameter's declared type. */
export function paramFromString(schema: ParamsSchema, assignment: string): [string, unknown] {
  const eq = assignment.indexOf('=');
  if (eq <= 0) {
    throw new ChromflowError('PARAM', 'a parameter must be written key=value', {
      found: JSON.stringify(assignment),
    });
  }
  const key = assignment.slice(0, eq);
  const raw = assignment.slice(eq + 1);
  const s = schema.properties[key];
  if (!s) {
    throw new ChromflowError('PARAM', `unknown parameter '${key}'`, {
      field: key,
      expected: `one of ${Object.keys(schema.properties).join(', ') || '(none)'}`,
      hint: didYouMean(key, Object.keys(schema.properties)),
    });
  }
  if (s.type === 'string') return [key, raw];
  try {
    return [key, JSON.parse(raw) as unknown];
  } catch {
    throw new ChromflowError('PARAM', `parameter '${key}' is not a valid ${s.type}`, {
      field: key,
      expected: s.type,
      found: JSON.stringify(raw),
    });
  }
}
