import { ValidationError } from '../errors.js';

/**
 * Cache key layout. Entity keys are `{namespace}:{{entity}}:{id}:v{schemaVersion}`: the
 * entity part is a Redis Cluster hash tag, so every key of one entity lives in one slot
 * and multi-key commands (MGET, the generation scripts) work on a Cluster.
 *
 * Ids are escaped (`%`, `:`, `{`, `}`, whitespace and control characters become `%XX`),
 * so an id can never contain a separator or a hash tag, and no id can address another
 * entity's key, a query key or a generation key.
 *
 * @module
 */

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we escape
const UNSAFE = /[%:{}\s\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we escape
const UNSAFE_ALL = /[%:{}\s\u0000-\u001f\u007f]/g;

/**
 * Checks a namespace or entity name: letters, digits, `_`, `.`, `-`, at most 100.
 *
 * @example
 * ```ts
 * assertName('namespace', 'shop'); // ok
 * assertName('namespace', 'a:b');  // throws ValidationError
 * ```
 */
export function assertName(what: string, name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw ValidationError.fromIssues(`Invalid cache ${what}`, [
      {
        path: what,
        message: `${JSON.stringify(name)} must be 1-100 characters of letters, digits, "_", "." or "-"`,
        code: 'invalid_cache_name',
      },
    ]);
  }
  return name;
}

/**
 * Escapes one key segment so it contains no `:`, `{`, `}`, `%`, whitespace or control
 * characters; distinct inputs stay distinct.
 *
 * @example
 * ```ts
 * escapeSegment('a:b'); // 'a%3Ab'
 * ```
 */
export function escapeSegment(text: string): string {
  // Most keys need no escaping; testing first is several times cheaper than replacing.
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 256 ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : `%u${code.toString(16)}`;
  });
}

/**
 * The key segment of an id. Strings, numbers and bigints are told apart (`42` and `"42"`
 * are different ids); anything else is refused.
 *
 * @example
 * ```ts
 * idSegment(42);      // 'n42'
 * idSegment('42');    // 's42'
 * idSegment('a:b');   // 'sa%3Ab'
 * ```
 */
export function idSegment(id: unknown): string {
  switch (typeof id) {
    case 'string':
      return `s${escapeSegment(id)}`;
    case 'number':
      if (!Number.isFinite(id)) break;
      return `n${id}`;
    case 'bigint':
      return `b${id}`;
    default:
      break;
  }
  throw ValidationError.fromIssues('Invalid cache id', [
    {
      path: 'id',
      // Not String(id): it throws for null-prototype objects, and objects say nothing useful.
      message: `ids must be strings, finite numbers or bigints, got ${typeof id === 'number' ? String(id) : id === null ? 'null' : typeof id}`,
      code: 'invalid_id',
    },
  ]);
}

/**
 * Remembers the keys built from inputs (ids, user keys), up to 4096, then starts over. A
 * key built anew is a fresh string that every L1 lookup must flatten and hash, which cost
 * more than the rest of an L1 hit.
 *
 * @example
 * ```ts
 * const keys = new RememberedKeys((id: number) => `shop:{user}:n${id}:v1`);
 * keys.get(42); // built once, then the same string
 * ```
 */
export class RememberedKeys<I> {
  readonly #built = new Map<I, string>();
  readonly #build: (input: I) => string;

  constructor(build: (input: I) => string) {
    this.#build = build;
  }

  /** The key of an input; whatever `build` throws for a bad input is thrown, and nothing is kept. */
  get(input: I): string {
    let key = this.#built.get(input);
    if (key === undefined) {
      key = this.#build(input);
      if (this.#built.size >= 4096) this.#built.clear();
      this.#built.set(input, key);
    }
    return key;
  }
}

/**
 * Builds the keys of one entity in one namespace.
 *
 * @example
 * ```ts
 * const keys = new EntityKeys('shop', 'user', 1);
 * keys.id(42);         // 'shop:{user}:n42:v1'
 * keys.generation();   // 'shop:{user}:gen'
 * keys.query(7, 'count:{}');
 * ```
 */
export class EntityKeys {
  readonly prefix: string;
  readonly #suffix: string;
  readonly #ids = new RememberedKeys((id: unknown) => `${this.prefix}${idSegment(id)}${this.#suffix}`);

  constructor(namespace: string, entity: string, schemaVersion: number) {
    assertName('namespace', namespace);
    assertName('entity', entity);
    if (!Number.isInteger(schemaVersion) || schemaVersion < 0) {
      throw ValidationError.fromIssues('Invalid cache schema version', [
        { path: 'schemaVersion', message: 'must be a non-negative integer', code: 'invalid_schema_version' },
      ]);
    }
    this.prefix = `${namespace}:{${entity}}:`;
    this.#suffix = `:v${schemaVersion}`;
  }

  /** The key of one entity, e.g. `shop:{user}:n42:v1`. */
  id(id: unknown): string {
    return this.#ids.get(id);
  }

  /** The key holding the entity's generation number (bumped by every write). */
  generation(): string {
    return `${this.prefix}gen`;
  }

  /** The key of a query result under one entity generation. */
  query(generation: number | string, queryKey: string): string {
    return `${this.prefix}q:${generation}:${escapeSegment(queryKey)}${this.#suffix}`;
  }
}

/**
 * The key of a free-form entry of `CacheManager.get/set`: `{namespace}:{~key}`, the
 * user's key escaped so it cannot reach into an entity's keys, and hash-tagged so its
 * generation key shares its Cluster slot.
 *
 * @example
 * ```ts
 * plainKey('shop', 'home:page'); // 'shop:{~home%3Apage}'
 * ```
 */
export function plainKey(namespace: string, key: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw ValidationError.fromIssues('Invalid cache key', [
      { path: 'key', message: 'keys must be non-empty strings', code: 'invalid_cache_key' },
    ]);
  }
  return `${namespace}:{~${escapeSegment(key)}}`;
}

/** The key of a tag's member set: `{namespace}:#{tag}`. */
export function tagKey(namespace: string, tag: string): string {
  if (typeof tag !== 'string' || tag.length === 0) {
    throw ValidationError.fromIssues('Invalid cache tag', [
      { path: 'tag', message: 'tags must be non-empty strings', code: 'invalid_cache_tag' },
    ]);
  }
  return `${namespace}:#${escapeSegment(tag)}`;
}

/** The companion key holding the entity version last written through (same hash slot). */
export function versionKey(key: string): string {
  return `${key}:w`;
}

/** The companion key holding a key's write generation (same hash slot as the key). */
export function generationKey(key: string): string {
  return `${key}:g`;
}
