/**
 * The contract every configuration source implements. A source produces one layer of
 * JSON-shaped data; the repository merges the layers in a fixed precedence, validates
 * the result with the schema and serves it from memory.
 *
 * @module
 */
import type { z } from 'zod';
import type { ValidationIssue } from '../../errors.js';
import type { ConfigObject } from './object-path.js';

/**
 * A problem found in configuration, with the source that caused it. The issues of a
 * configuration `ValidationError` are these.
 *
 * @example
 * ```ts
 * catch (error) {
 *   if (error instanceof ValidationError) {
 *     for (const issue of error.issues as readonly ConfigIssue[]) console.error(issue.path, issue.source, issue.message);
 *   }
 * }
 * ```
 */
export interface ConfigIssue extends ValidationIssue {
  /** The source the problem came from (`env APP_DB__PORT`, `file config/local.yaml` …). */
  readonly source: string;
}

/**
 * What a source is told when it loads.
 *
 * @example
 * ```ts
 * const source: ConfigSource = {
 *   name: 'per-environment',
 *   load: async ({ environment }) => ({ data: { service: { name: `api-${environment}` } } }),
 * };
 * ```
 */
export interface SourceContext {
  /** The schema of the whole configuration (the env source coerces strings with it). */
  readonly schema: z.ZodType;
  /** The selected environment, e.g. `production`. */
  readonly environment: string;
}

/**
 * One load of one source.
 *
 * @example
 * ```ts
 * const snapshot: SourceSnapshot = {
 *   data: { db: { port: 'x' } },
 *   labels: new Map([['db.port', 'vault secret/db#port']]),
 * };
 * ```
 */
export interface SourceSnapshot {
  /** The values this source sets (nested objects; only the keys it sets). */
  readonly data: ConfigObject;
  /** A more precise origin per path than the source name (e.g. the variable's name). */
  readonly labels?: ReadonlyMap<string, string>;
  /** Problems found while loading (a file that does not parse, a variable with no key). */
  readonly issues?: readonly ConfigIssue[];
  /** A monotonic version of the data, when the source has one (the database does). */
  readonly version?: number;
}

/**
 * Stops a source's watcher.
 *
 * @example
 * ```ts
 * const stop: StopWatching = await source.watch!(() => reload());
 * await stop();
 * ```
 */
export type StopWatching = () => void | Promise<void>;

/**
 * A configuration source.
 *
 * @example
 * ```ts
 * const vault: ConfigSource = {
 *   name: 'vault',
 *   async load() { return { data: { db: { password: await readSecret('db') } } }; },
 * };
 * ```
 */
export interface ConfigSource {
  /** Shown by `explain()` and in validation messages, e.g. `defaults` or `file config/default.yaml`. */
  readonly name: string;
  /** Reads the source. Rejects only when the source cannot be reached; bad data is `issues`. */
  load(context: SourceContext): Promise<SourceSnapshot>;
  /**
   * Calls `onChange` when the source may have changed; returns (or resolves to, once
   * watching has really begun) a function that stops watching.
   */
  watch?(onChange: () => void): StopWatching | Promise<StopWatching>;
  /** Releases connections and handles. */
  close?(): Promise<void>;
}
