/**
 * Located errors. Every user-facing failure in chromflow is a `ChromflowError`
 * with a closed `code`, and where known the file, line, column or field and
 * what was expected versus found. `format()` renders it the way compilers do:
 * `path:line:col: message`, then the offending line with a caret.
 */

export type ErrorCode =
  | 'PARSE' // a file's content is not in the expected format
  | 'VALUE' // a value is out of range or inconsistent (start >= end, unknown chromosome …)
  | 'IO' // a file is missing, unreadable or truncated
  | 'UNSORTED' // input must be sorted and is not
  | 'EMPTY' // input holds no records where some are required
  | 'SCHEMA' // a table or port does not have the expected columns/types
  | 'PARAM' // a stage parameter is unknown, ill-typed or out of range
  | 'WORKFLOW' // a workflow file is invalid (unknown stage, cycle, bad wiring …)
  | 'BACKEND' // a compute backend is unavailable or failed
  | 'STAGE' // a stage failed while running
  | 'ABORTED'; // cancelled through an AbortSignal

export interface ErrorLocation {
  /** File the error is about. */
  path?: string;
  /** 1-based line number. */
  line?: number;
  /** 1-based column number. */
  column?: number;
  /** Field, column or parameter name. */
  field?: string;
  /** Workflow stage id, when raised while running or validating a stage. */
  stage?: string;
  /** The text of the offending line, shown under the message with a caret. */
  source?: string;
}

export interface ChromflowErrorInit extends ErrorLocation {
  expected?: string;
  found?: string;
  hint?: string;
  cause?: unknown;
}

export class ChromflowError extends Error {
  override readonly name = 'ChromflowError';
  readonly code: ErrorCode;
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
  readonly field?: string;
  readonly stage?: string;
  readonly source?: string;
  readonly expected?: string;
  readonly found?: string;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, init: ChromflowErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.path = init.path;
    this.line = init.line;
    this.column = init.column;
    this.field = init.field;
    this.stage = init.stage;
    this.source = init.source;
    this.expected = init.expected;
    this.found = init.found;
    this.hint = init.hint;
  }

  /** A copy with location fields filled where this error does not have them yet. */
  withLocation(loc: ErrorLocation): ChromflowError {
    return new ChromflowError(this.code, this.message, {
      path: this.path ?? loc.path,
      line: this.line ?? loc.line,
      column: this.column ?? loc.column,
      field: this.field ?? loc.field,
      stage: this.stage ?? loc.stage,
      source: this.source ?? loc.source,
      expected: this.expected,
      found: this.found,
      hint: this.hint,
      cause: this.cause ?? this,
    });
  }

  /** `path:line:col: [stage] message (field …): expected …, found …` plus the source line and a caret. */
  format(): string {
    const where = [this.path, this.line, this.line !== undefined ? this.column : undefined]
      .filter((p) => p !== undefined)
      .join(':');
    let text = where ? `${where}: ` : '';
    if (this.stage) text += `stage '${this.stage}': `;
    text += this.message;
    if (this.field && !this.message.includes(this.field)) text += ` (field '${this.field}')`;
    if (this.expected !== undefined || this.found !== undefined) {
      const parts: string[] = [];
      if (this.expected !== undefined) parts.push(`expected ${this.expected}`);
      if (this.found !== undefined) parts.push(`found ${this.found}`);
      text += `: ${parts.join(', ')}`;
    }
    if (this.source !== undefined) {
      const src = this.source.replace(/\r?\n$/, '');
      const shown = src.length > 200 ? `${src.slice(0, 200)}…` : src;
      text += `\n  | ${shown}`;
      if (this.column !== undefined && this.column <= 201) {
        text += `\n  | ${' '.repeat(Math.max(0, this.column - 1))}^`;
      }
    }
    if (this.hint) text += `\n  hint: ${this.hint}`;
    return text;
  }

  override toString(): string {
    return this.format();
  }
}

export function isChromflowError(e: unknown): e is ChromflowError {
  return e instanceof ChromflowError;
}

/**
 * Runs `fn`; a `ChromflowError` escaping it gets `loc` filled in where unknown,
 * any other error becomes an `IO` error about `loc.path` with the original as `cause`.
 */
export async function withErrorLocation<T>(loc: ErrorLocation, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isChromflowError(e)) throw e.withLocation(loc);
    const msg = e instanceof Error ? e.message : String(e);
    throw new ChromflowError('IO', msg, { ...loc, cause: e });
  }
}

/** Throws `ABORTED` if the signal fired. Call between chunks of long work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ChromflowError('ABORTED', 'operation was cancelled');
}
