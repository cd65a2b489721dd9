/**
 * Secret configuration fields. A field is secret when its schema carries
 * `.meta({ secret: true })` or when its path is listed in the `secrets` option; a
 * `*` segment matches any one key (for records). Secret values are replaced by
 * {@link REDACTED} wherever configuration leaves the repository for people to read:
 * `toJSON`, `explain`, change events, history and log lines. `get` returns the real
 * value: the application needs it.
 *
 * @module
 */
import type { z } from 'zod';
import { isPlainObject } from './object-path.js';
import { childSchema, kindOf, metaOf, objectKeys, unwrap } from './schema-walk.js';

/**
 * What a secret value is replaced with.
 *
 * @example
 * ```ts
 * config.toJSON().db.password === REDACTED; // '[redacted]'
 * ```
 */
export const REDACTED = '[redacted]';

/**
 * Decides which paths are secret and redacts values for display.
 *
 * @example
 * ```ts
 * const policy = new SecretPolicy(schema, ['api.tokens.*']);
 * policy.isSecret('api.tokens.github'); // true
 * policy.redact({ api: { tokens: { github: 'ghp_…' } } }); // { api: { tokens: { github: '[redacted]' } } }
 * ```
 */
export class SecretPolicy {
  readonly #patterns: string[][];

  constructor(schema: z.ZodType, listed: readonly string[] = []) {
    const found = new Set<string>(listed);
    collect(schema, '', found, 0);
    this.#patterns = [...found].map((path) => path.split('.'));
  }

  /** The secret path patterns, for documentation and tests. */
  get paths(): string[] {
    return this.#patterns.map((pattern) => pattern.join('.'));
  }

  /** Whether `path` is secret or lies inside a secret value. */
  isSecret(path: string): boolean {
    const keys = path === '' ? [] : path.split('.');
    return this.#patterns.some(
      (pattern) => keys.length >= pattern.length && pattern.every((p, i) => p === '*' || p === keys[i]),
    );
  }

  /** `value` (found at `path`) with every secret inside it replaced by {@link REDACTED}. */
  redact<T>(value: T, path = ''): T {
    if (value === undefined) return value;
    if (this.isSecret(path)) return REDACTED as T;
    if (!isPlainObject(value) || !this.#hasSecretBelow(path)) return value;
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      copy[key] = this.redact(child, path === '' ? key : `${path}.${key}`);
    }
    return copy as T;
  }

  #hasSecretBelow(path: string): boolean {
    const keys = path === '' ? [] : path.split('.');
    return this.#patterns.some(
      (pattern) =>
        pattern.length > keys.length && keys.every((k, i) => pattern[i] === '*' || pattern[i] === k),
    );
  }
}

function collect(schema: z.ZodType, path: string, into: Set<string>, depth: number): void {
  if (depth > 32) return;
  if (path !== '' && metaOf(schema).secret === true) {
    into.add(path);
    return;
  }
  const join = (key: string) => (path === '' ? key : `${path}.${key}`);
  if (kindOf(schema) === 'record') {
    const value = childSchema(unwrap(schema), '*');
    if (value) collect(value, join('*'), into, depth + 1);
    return;
  }
  for (const key of objectKeys(schema)) {
    const child = childSchema(schema, key);
    if (child) collect(child, join(key), into, depth + 1);
  }
}
