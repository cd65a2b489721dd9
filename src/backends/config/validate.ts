import type { z } from 'zod';
import { ValidationError } from '../../errors.js';
import type { ConfigIssue } from './config-source.js';
import { type Layer, mergeLayers, winningSource } from './merge.js';
import { type ConfigObject, hasPath } from './object-path.js';

/** The outcome of validating merged layers. */
export type ValidationOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly merged: ConfigObject }
  | { readonly ok: false; readonly issues: ConfigIssue[] };

interface ZodIssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code: string;
  readonly keys?: readonly string[];
}

/**
 * Merges the layers and parses the result with the schema. Every problem is reported at
 * once, each with its path and the source that set the offending value: problems the
 * sources found while loading (a file that does not parse, an unknown variable) and
 * those the schema finds.
 */
export function validateLayers<S extends z.ZodType>(
  schema: S,
  layers: readonly Layer[],
): ValidationOutcome<z.output<S>> {
  const loadIssues = layers.flatMap((layer) => layer.snapshot.issues ?? []);
  const merged = mergeLayers(layers);
  try {
    const result = schema.safeParse(merged);
    if (result.success && loadIssues.length === 0) return { ok: true, value: result.data, merged };
    const schemaIssues = result.success
      ? []
      : (result.error.issues as readonly ZodIssueLike[]).flatMap((issue) => describe(issue, layers, merged));
    return { ok: false, issues: [...loadIssues, ...schemaIssues] };
  } catch {
    // zod itself throws on some exotic values (an object whose `constructor.name` is not a
    // string breaks its messages); report it as a problem rather than crash the caller.
    const issue = {
      path: '',
      message: 'a value could not be validated (an unusual object)',
      code: 'invalid_type',
    };
    return { ok: false, issues: [...loadIssues, { ...issue, source: 'schema validation' }] };
  }
}

function describe(issue: ZodIssueLike, layers: readonly Layer[], merged: ConfigObject): ConfigIssue[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    return issue.keys.map((key) => {
      const keyPath = path === '' ? key : `${path}.${key}`;
      return {
        path: keyPath,
        message: 'is not a key of the configuration schema',
        code: issue.code,
        source: winningSource(layers, keyPath) ?? 'unknown',
      };
    });
  }
  if (!hasPath(merged, path) && issue.code === 'invalid_type') {
    return [{ path, message: 'is required but no source sets it', code: 'missing', source: 'none' }];
  }
  return [{ path, message: issue.message, code: issue.code, source: winningSource(layers, path) ?? 'none' }];
}

/**
 * The error for a set of configuration problems, listing all of them with their path
 * and source, e.g. `db.pool.max: Invalid input: expected number, received string (from env APP_DB__POOL__MAX)`.
 *
 * @example
 * ```ts
 * throw configValidationError('Invalid configuration', issues);
 * ```
 */
export function configValidationError(what: string, issues: readonly ConfigIssue[]): ValidationError {
  const lines = issues.map((issue) => {
    const where = issue.path === '' ? '' : `${issue.path}: `;
    const from = issue.source === 'none' ? '' : ` (from ${issue.source})`;
    return `${where}${issue.message}${from}`;
  });
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return new ValidationError(`${what} (${count}): ${lines.join('; ')}`, issues);
}
