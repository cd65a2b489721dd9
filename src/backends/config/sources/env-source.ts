import type { z } from 'zod';
import type { ConfigIssue, ConfigSource, SourceContext, SourceSnapshot } from '../config-source.js';
import { type ConfigObject, setPath } from '../object-path.js';
import { childSchema, isOpen, kindOf, objectKeys } from '../schema-walk.js';

/**
 * Options of {@link EnvSource}.
 *
 * @example
 * ```ts
 * const env: EnvSourceOptions = { prefix: 'APP_', unknownKeys: 'ignore' };
 * ```
 */
export interface EnvSourceOptions {
  /** Only variables starting with this prefix are read, e.g. `APP_`. */
  readonly prefix: string;
  /** Separates nesting levels in a variable name (`APP_DB__POOL__MAX`). @default '__' */
  readonly separator?: string;
  /** The variables to read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * What to do with a prefixed variable that names no key of the schema: `'error'`
   * reports it at start (most such variables are typos), `'ignore'` skips it.
   * @default 'error'
   */
  readonly unknownKeys?: 'error' | 'ignore';
  /** Shown by `explain()`. @default 'env' */
  readonly name?: string;
}

/**
 * Environment variables: `APP_DB__POOL__MAX=20` sets `db.pool.max` to the number 20.
 * After the prefix, `__` separates levels and each part matches a schema key ignoring
 * case and single underscores (`MAX_CONNECTIONS` matches `maxConnections`). Values are
 * coerced by the schema's type at that path: numbers, booleans (`true/false/1/0/yes/no/on/off`),
 * and JSON for arrays and objects; anything else stays a string. A value that does not
 * coerce is left as it is, so the schema reports it with the variable's name.
 *
 * @example
 * ```ts
 * // APP_DB__POOL__MAX=20 APP_FEATURES__BETA=true
 * const env = new EnvSource({ prefix: 'APP_' });
 * ```
 */
export class EnvSource implements ConfigSource {
  readonly name: string;
  readonly #prefix: string;
  readonly #separator: string;
  readonly #env: Readonly<Record<string, string | undefined>> | undefined;
  readonly #unknownKeys: 'error' | 'ignore';

  constructor(options: EnvSourceOptions) {
    this.name = options.name ?? 'env';
    this.#prefix = options.prefix;
    this.#separator = options.separator ?? '__';
    this.#env = options.env;
    this.#unknownKeys = options.unknownKeys ?? 'error';
  }

  async load(context: SourceContext): Promise<SourceSnapshot> {
    const env = this.#env ?? process.env;
    let data: ConfigObject = {};
    const labels = new Map<string, string>();
    const issues: ConfigIssue[] = [];
    for (const variable of Object.keys(env).sort()) {
      const raw = env[variable];
      if (raw === undefined || !variable.startsWith(this.#prefix) || variable === this.#prefix) continue;
      const source = `${this.name} ${variable}`;
      const resolved = resolvePath(
        context.schema,
        variable.slice(this.#prefix.length).split(this.#separator),
      );
      if (typeof resolved === 'string') {
        if (this.#unknownKeys === 'error') {
          issues.push({ path: '', message: `${variable} ${resolved}`, code: 'unknown_key', source });
        }
        continue;
      }
      data = setPath(data, resolved.path, coerce(raw, resolved.schema));
      labels.set(resolved.path, source);
    }
    return { data, labels, issues };
  }
}

const normalise = (key: string) => key.toLowerCase().replace(/[_-]/g, '');

/** The schema path a variable names, or why it names none. */
function resolvePath(
  schema: z.ZodType,
  parts: readonly string[],
): { path: string; schema: z.ZodType | undefined } | string {
  const keys: string[] = [];
  let current: z.ZodType | undefined = schema;
  for (const part of parts) {
    if (part === '') return 'has an empty part between separators';
    if (current === undefined || isOpen(current)) {
      if (current !== undefined && kindOf(current) === 'record') {
        keys.push(part.toLowerCase());
        current = childSchema(current, part);
        continue;
      }
      if (current !== undefined) {
        keys.push(part.toLowerCase());
        continue;
      }
      return `does not name a configuration key ("${keys.join('.')}" has no children)`;
    }
    const key = objectKeys(current).find((candidate) => normalise(candidate) === normalise(part));
    if (key === undefined) {
      const where = keys.length === 0 ? 'at the top level' : `under "${keys.join('.')}"`;
      return `does not name a configuration key (no key matching "${part}" ${where})`;
    }
    keys.push(key);
    current = childSchema(current, key);
  }
  return { path: keys.join('.'), schema: current };
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** The string as the schema's type at its path, or the string itself when it does not fit. */
function coerce(raw: string, schema: z.ZodType | undefined): unknown {
  if (schema === undefined) return raw;
  const text = raw.trim();
  switch (kindOf(schema)) {
    case 'number': {
      const value = Number(text);
      return text !== '' && Number.isFinite(value) ? value : raw;
    }
    case 'bigint':
      return /^-?\d+$/.test(text) ? BigInt(text) : raw;
    case 'boolean': {
      const lower = text.toLowerCase();
      return TRUE.has(lower) ? true : FALSE.has(lower) ? false : raw;
    }
    case 'array':
    case 'tuple':
    case 'object':
    case 'record':
      try {
        return JSON.parse(text);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}
