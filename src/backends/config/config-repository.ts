import type { z } from 'zod';
import { currentContext } from '../../context/request-context.js';
import { NotFoundError, RepositoryError, ValidationError } from '../../errors.js';
import { checkCount, errorFields, jsonIssues } from './config-checks.js';
import {
  type ChangeContext,
  type ConfigChangeListener,
  type ConfigErrorListener,
  ConfigEvents,
} from './config-events.js';
import type { ConfigurationOptions, ConfigWriteOptions } from './config-options.js';
import type { ConfigPath, ConfigValue } from './config-paths.js';
import type { ConfigSource, SourceContext, SourceSnapshot, StopWatching } from './config-source.js';
import type { ConfigVersion, ConfigVersionDetail } from './config-versions.js';
import { withoutPath, withValues } from './entry-mutations.js';
import { type Layer, opinions, type SourceOpinion, winningSource } from './merge.js';
import {
  type ConfigObject,
  deepFreeze,
  indexPaths,
  isPlainObject,
  jsonEqual,
  leafPaths,
} from './object-path.js';
import { schemaAt } from './schema-walk.js';
import { SecretPolicy } from './secrets.js';
import { configFiles } from './sources/config-files.js';
import { DatabaseSource, nest } from './sources/database-source.js';
import { defaultsSource } from './sources/defaults-source.js';
import { EnvSource } from './sources/env-source.js';
import { RuntimeSource } from './sources/runtime-source.js';
import { configValidationError, validateLayers } from './validate.js';

/**
 * What `explain(path)` reports: the value in force, the source that won, and what every
 * source said, lowest precedence first. Secret values are redacted.
 *
 * @example
 * ```ts
 * config.explain('db.pool.max');
 * // { path: 'db.pool.max', value: 20, source: 'env APP_DB__POOL__MAX', secret: false,
 * //   sources: [{ source: 'defaults', defined: true, value: 10 }, …] }
 * ```
 */
export interface ConfigExplanation {
  readonly path: string;
  /** The value in force (after schema defaults and transforms). */
  readonly value: unknown;
  /** The source that set it, or `schema default` / `none`. */
  readonly source: string;
  readonly secret: boolean;
  readonly sources: readonly SourceOpinion[];
}

/**
 * Layered, schema-checked configuration, served from memory, reloaded when a file, the
 * database or an override changes, with a version history for the database layer.
 * Precedence, lowest to highest: defaults in code, files (`default.*`, `{environment}.*`,
 * `local.*`), the database, extra `sources`, environment variables, runtime overrides.
 *
 * @example
 * ```ts
 * const schema = z.object({
 *   db: z.object({ url: z.string().meta({ secret: true }), pool: z.object({ max: z.number().int().default(10) }) }),
 *   features: z.object({ beta: z.boolean().default(false) }),
 * });
 * const config = await ConfigurationRepository.start({
 *   schema,
 *   files: { dir: 'config' },
 *   database: { connection: pool, ensureSchema: true },
 *   env: { prefix: 'APP_' },
 * });
 * config.get('db.pool.max'); // number, from memory
 * config.onChange('features', (path, oldValue, newValue) => log.info({ path, oldValue, newValue }));
 * await config.set('features.beta', true, { actor: 'ada' }); // versioned, every process sees it
 * ```
 */
export class ConfigurationRepository<S extends z.ZodType> {
  /** The environment whose files were loaded. */
  readonly environment: string;
  readonly #schema: S;
  readonly #options: ConfigurationOptions<S>;
  readonly #sources: ConfigSource[];
  readonly #runtime: RuntimeSource;
  readonly #database: DatabaseSource | undefined;
  readonly #secrets: SecretPolicy;
  readonly #events: ConfigEvents;
  readonly #stops: StopWatching[] = [];
  #layers: Layer[] = [];
  #value!: z.output<S>;
  #index = new Map<string, unknown>();
  readonly #knownPaths = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(options: ConfigurationOptions<S>) {
    this.#options = options;
    this.#schema = options.schema;
    this.environment = options.environment ?? process.env.NODE_ENV ?? 'development';
    this.#secrets = new SecretPolicy(options.schema, options.secrets);
    this.#events = new ConfigEvents((error) =>
      options.logger?.error({ err: errorFields(error) }, 'a configuration listener threw'),
    );
    this.#runtime = new RuntimeSource();
    this.#database =
      options.database === undefined
        ? undefined
        : options.database instanceof DatabaseSource
          ? options.database
          : new DatabaseSource(options.database);
    const files =
      options.files === false ? [] : configFiles({ ...options.files, environment: this.environment });
    this.#sources = [
      defaultsSource((options.defaults ?? {}) as ConfigObject),
      ...files,
      ...(this.#database ? [this.#database] : []),
      ...(options.sources ?? []),
      ...(options.env ? [new EnvSource(options.env)] : []),
      this.#runtime,
    ];
  }

  /**
   * Loads every source, validates the merged configuration and starts watching. Fails
   * fast with one `ValidationError` that lists every problem (path, message, source);
   * a database that cannot be reached is a `ConnectionError`.
   *
   * @example
   * ```ts
   * const config = await ConfigurationRepository.start({ schema, env: { prefix: 'APP_' } });
   * ```
   */
  static async start<S extends z.ZodType>(
    options: ConfigurationOptions<S>,
  ): Promise<ConfigurationRepository<S>> {
    const repository = new ConfigurationRepository(options);
    try {
      await repository.#start();
    } catch (error) {
      await repository.close();
      throw error;
    }
    return repository;
  }

  /**
   * The value at a dotted path, typed by the schema; read from memory.
   *
   * @example
   * ```ts
   * const max: number = config.get('db.pool.max');
   * ```
   */
  get<P extends ConfigPath<z.output<S>>>(path: P): ConfigValue<z.output<S>, P> {
    const value = this.#index.get(path);
    if (value === undefined && !this.#index.has(path)) this.#checkPath(path);
    return value as ConfigValue<z.output<S>, P>;
  }

  /**
   * The whole configuration (frozen), typed by the schema.
   *
   * @example
   * ```ts
   * const { db, features } = config.getAll();
   * ```
   */
  getAll(): Readonly<z.output<S>> {
    return this.#value;
  }

  /**
   * The configuration with secret values redacted: safe to log or show.
   *
   * @example
   * ```ts
   * log.info({ config: config.toJSON() }, 'started'); // db.url is '[redacted]'
   * ```
   */
  toJSON(): z.output<S> {
    return this.#secrets.redact(this.#value);
  }

  /**
   * Which source set a path and what every source said about it.
   *
   * @example
   * ```ts
   * const { source, sources } = config.explain('db.pool.max');
   * ```
   */
  explain<P extends ConfigPath<z.output<S>>>(path: P): ConfigExplanation {
    this.#checkPath(path);
    const said = opinions(this.#layers, path).map((opinion) => ({
      ...opinion,
      value: this.#secrets.redact(opinion.value, path),
    }));
    const winner = winningSource(this.#layers, path);
    const value = this.#index.get(path);
    return {
      path,
      value: this.#secrets.redact(value, path),
      source: winner ?? (value === undefined ? 'none' : 'schema default'),
      secret: this.#secrets.isSecret(path),
      sources: said,
    };
  }

  /**
   * Calls `listener(path, oldValue, newValue, { source })` for every value that changes,
   * optionally only under `prefix`. Returns a function that unsubscribes.
   *
   * @example
   * ```ts
   * const off = config.onChange('db.pool', (path, from, to) => pool.resize(config.get('db.pool.max')));
   * ```
   */
  onChange(listener: ConfigChangeListener): () => void;
  onChange(prefix: ConfigPath<z.output<S>>, listener: ConfigChangeListener): () => void;
  onChange(a: string | ConfigChangeListener, b?: ConfigChangeListener): () => void {
    return typeof a === 'function' ? this.#events.onChange('', a) : this.#events.onChange(a, b!);
  }

  /**
   * Calls `listener` when a change made in the background was rejected or a reload failed.
   *
   * @example
   * ```ts
   * config.onError((error) => log.warn({ err: error }, 'configuration change rejected'));
   * ```
   */
  onError(listener: ConfigErrorListener): () => void {
    return this.#events.onError(listener);
  }

  /**
   * Sets a runtime override (the highest layer, this process only, not persisted).
   * Rejected with a `ValidationError` naming the path when the result would be invalid.
   *
   * @example
   * ```ts
   * await config.override('features.beta', true);
   * ```
   */
  async override<P extends ConfigPath<z.output<S>>>(
    path: P,
    value: ConfigValue<z.input<S>, P>,
  ): Promise<void> {
    // async, so that a bad path rejects the promise rather than throwing before one exists.
    this.#checkPath(path);
    return this.#exclusive(() => this.#replaceRuntime(this.#runtime.with(path, value)));
  }

  /**
   * Removes a runtime override, or all of them.
   *
   * @example
   * ```ts
   * await config.clearOverride('features.beta');
   * ```
   */
  clearOverride(path?: ConfigPath<z.output<S>>): Promise<void> {
    return this.#exclusive(() => this.#replaceRuntime(path === undefined ? {} : this.#runtime.without(path)));
  }

  /**
   * Writes values to the database source as one new version (every process that listens
   * reloads). The change is validated against the whole configuration first; nothing is
   * written when it is invalid. Resolves to the new version, or `null` when nothing changed.
   *
   * @example
   * ```ts
   * await config.set('db.pool.max', 20, { actor: 'ada', message: 'more connections for the sale' });
   * ```
   */
  set<P extends ConfigPath<z.output<S>>>(
    path: P,
    value: ConfigValue<z.input<S>, P>,
    options: ConfigWriteOptions = {},
  ): Promise<ConfigVersion | null> {
    return this.setMany({ [path]: value } as Record<string, unknown>, options);
  }

  /**
   * Writes several values to the database source as one version.
   *
   * @example
   * ```ts
   * await config.setMany({ 'db.pool.max': 20, 'db.pool.min': 5 }, { expectedVersion: 7 });
   * ```
   */
  async setMany(
    values: Readonly<Record<string, unknown>>,
    options: ConfigWriteOptions = {},
  ): Promise<ConfigVersion | null> {
    for (const path of Object.keys(values)) this.#checkPath(path);
    const issues = jsonIssues(values);
    if (issues.length > 0) {
      return Promise.reject(ValidationError.fromIssues('Configuration values cannot be stored', issues));
    }
    return this.#write((entries) => withValues(entries, values), options);
  }

  /**
   * Removes a key from the database source (lower layers show through again).
   *
   * @example
   * ```ts
   * await config.unset('features.beta');
   * ```
   */
  async unset(
    path: ConfigPath<z.output<S>>,
    options: ConfigWriteOptions = {},
  ): Promise<ConfigVersion | null> {
    this.#checkPath(path);
    return this.#write((entries) => withoutPath(entries, path), options);
  }

  /**
   * Versions of the database source, newest first; with a path, only those that touched
   * it. Secret values are redacted.
   *
   * @example
   * ```ts
   * for (const v of await config.history('db.pool.max')) console.log(v.version, v.actor, v.changes);
   * ```
   */
  async history(path?: ConfigPath<z.output<S>>, options: { limit?: number } = {}): Promise<ConfigVersion[]> {
    const database = this.#requireDatabase('history');
    const limit = options.limit ?? 100;
    checkCount('limit', limit, 1);
    const versions = await database.history(path, limit);
    return versions.map(({ entries: _entries, ...version }) => this.#redactVersion(version));
  }

  /**
   * One version with the full state it produced; `NotFoundError` when there is none.
   *
   * @example
   * ```ts
   * const v3 = await config.getVersion(3);
   * ```
   */
  async getVersion(version: number): Promise<ConfigVersionDetail> {
    checkCount('version', version, 1);
    const found = await this.#requireDatabase('getVersion').getVersion(version);
    if (!found) throw NotFoundError.forId('configuration version', version);
    const entries = Object.fromEntries(
      Object.entries(found.entries).map(([key, value]) => [key, this.#secrets.redact(value, key)]),
    );
    return { ...this.#redactVersion(found), entries };
  }

  /**
   * Restores the database source to the state of version `n`, as a new version (history
   * is never rewritten). Validated like any change; `NotFoundError` for an unknown version.
   *
   * @example
   * ```ts
   * await config.rollback(3, { actor: 'ada' });
   * ```
   */
  async rollback(version: number, options: ConfigWriteOptions = {}): Promise<ConfigVersion | null> {
    const database = this.#requireDatabase('rollback');
    checkCount('version', version, 0);
    let target: Readonly<Record<string, unknown>> = {};
    if (version !== 0) {
      const found = await database.getVersion(version);
      if (!found) throw NotFoundError.forId('configuration version', version);
      target = found.entries;
    }
    return this.#write(() => ({ ...target }), { message: `rollback to version ${version}`, ...options });
  }

  /** The database version this process has applied (0 without a database or before the first write). */
  get version(): number {
    return this.#databaseLayer()?.snapshot.version ?? 0;
  }

  /**
   * Reads every source again (environment variables included) and applies the result if
   * it is valid; rejects with the `ValidationError` otherwise, keeping the last good configuration.
   *
   * @example
   * ```ts
   * process.on('SIGHUP', () => config.reload().catch((e) => log.warn({ err: e })));
   * ```
   */
  reload(): Promise<void> {
    return this.#exclusive(async () => {
      const layers = await this.#loadAll();
      this.#applyOrThrow(layers, 'reload');
    });
  }

  /**
   * Stops the watchers and closes the database connections this repository opened.
   *
   * @example
   * ```ts
   * await config.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#stops.map((stop) => stop()));
    await Promise.allSettled(this.#sources.map((source) => source.close?.()));
    this.#events.clear();
  }

  async #start(): Promise<void> {
    // Watch before the first load, so a change made in between is not missed.
    if (this.#options.watch !== false) {
      for (const source of this.#sources) {
        if (!source.watch) continue;
        this.#stops.push(await source.watch(() => this.#reloadSource(source)));
      }
    }
    // In the queue, so a change noticed by a watcher meanwhile is applied after this load.
    await this.#exclusive(async () => {
      const layers = await this.#loadAll();
      const outcome = validateLayers(this.#schema, layers);
      if (!outcome.ok) throw configValidationError('Invalid configuration', outcome.issues);
      this.#layers = layers;
      this.#setValue(outcome.value);
    });
  }

  #context(): SourceContext {
    return { schema: this.#schema, environment: this.environment };
  }

  async #loadAll(): Promise<Layer[]> {
    const snapshots = await Promise.all(this.#sources.map((source) => source.load(this.#context())));
    return this.#sources.map((source, i) => ({ name: source.name, snapshot: snapshots[i]! }));
  }

  #reloadSource(source: ConfigSource): void {
    this.#exclusive(async () => {
      if (this.#closed || this.#layers.length === 0) return;
      const snapshot = await source.load(this.#context());
      const i = this.#sources.indexOf(source);
      const current = this.#layers[i]!.snapshot;
      // A slower reload must not bring back an older database state.
      if (
        snapshot.version !== undefined &&
        current.version !== undefined &&
        snapshot.version <= current.version
      ) {
        return;
      }
      if (sameSnapshot(current, snapshot)) return;
      this.#applyOrThrow(this.#withLayer(i, snapshot), source.name, snapshot.version);
    }).catch((error: Error) => {
      this.#options.logger?.warn(
        { source: source.name, err: errorFields(error) },
        'configuration change rejected; the last good configuration stays in force',
      );
      this.#events.emitError(error);
    });
  }

  #withLayer(i: number, snapshot: SourceSnapshot): Layer[] {
    return this.#layers.map((layer, j) => (j === i ? { name: layer.name, snapshot } : layer));
  }

  #replaceRuntime(data: ConfigObject): void {
    const i = this.#sources.indexOf(this.#runtime);
    this.#applyOrThrow(this.#withLayer(i, { data }), this.#runtime.name);
    this.#runtime.replace(data);
  }

  /** Validates candidate layers and makes them current, or throws and keeps the old ones. */
  #applyOrThrow(layers: Layer[], source: string, version?: number): void {
    const outcome = validateLayers(this.#schema, layers);
    if (!outcome.ok)
      throw configValidationError(`Configuration change from ${source} rejected`, outcome.issues);
    const before = this.#index;
    this.#layers = layers;
    this.#setValue(outcome.value);
    this.#announce(before, source, version);
  }

  #setValue(value: z.output<S>): void {
    this.#value = deepFreeze(value);
    this.#index = indexPaths(this.#value);
  }

  #announce(before: Map<string, unknown>, source: string, version?: number): void {
    const oldLeaves = leafPaths(before.get(''));
    const newLeaves = leafPaths(this.#index.get(''));
    const paths = [...new Set([...oldLeaves, ...newLeaves])].filter((path) => {
      const from = before.get(path);
      const to = this.#index.get(path);
      // An empty object that gains keys is reported through the keys, not as itself.
      return path !== '' && !jsonEqual(from, to) && !(isPlainObject(from) && isPlainObject(to));
    });
    if (paths.length === 0) return;
    const context: ChangeContext = version === undefined ? { source } : { source, version };
    const changes = paths.map((path) => ({
      path,
      oldValue: this.#secrets.redact(before.get(path), path),
      newValue: this.#secrets.redact(this.#index.get(path), path),
    }));
    this.#options.logger?.info({ ...context, changes }, 'configuration changed');
    for (const change of changes)
      this.#events.emitChange(change.path, change.oldValue, change.newValue, context);
  }

  async #write(
    mutation: (entries: Readonly<Record<string, unknown>>) => Record<string, unknown>,
    options: ConfigWriteOptions,
  ): Promise<ConfigVersion | null> {
    const database = this.#requireDatabase('writing');
    const i = this.#sources.indexOf(database);
    const actor = options.actor ?? currentContext()?.actor ?? this.#options.actor ?? null;
    const result = await database.write(mutation, {
      expectedVersion: options.expectedVersion,
      actor,
      message: options.message,
      validate: (entries) => {
        const outcome = validateLayers(this.#schema, this.#withLayer(i, { data: nest(entries) }));
        if (!outcome.ok)
          throw configValidationError(`Configuration change to ${database.name} rejected`, outcome.issues);
      },
    });
    if (!result) return null;
    await this.#exclusive(async () => {
      if ((this.#layers[i]!.snapshot.version ?? 0) >= result.version) return;
      const snapshot = { data: nest(result.entries), version: result.version };
      try {
        this.#applyOrThrow(this.#withLayer(i, snapshot), database.name, result.version);
      } catch (error) {
        // Another layer changed between the check in the transaction and now; the write
        // is committed, so it is reported like any rejected background change.
        this.#events.emitError(error as Error);
      }
    });
    return this.#redactVersion({
      version: result.version,
      actor,
      createdAt: new Date(),
      message: options.message ?? null,
      changes: result.changes,
    });
  }

  #databaseLayer(): Layer | undefined {
    return this.#database ? this.#layers[this.#sources.indexOf(this.#database)] : undefined;
  }

  #requireDatabase(what: string): DatabaseSource {
    if (!this.#database) {
      throw new RepositoryError(
        `Configuration ${what} needs the database source: pass the "database" option to ConfigurationRepository.start()`,
        'E_CONFIG_NO_DATABASE',
      );
    }
    return this.#database;
  }

  #redactVersion<V extends ConfigVersion>(version: V): V {
    return {
      ...version,
      changes: version.changes.map((change) => ({
        path: change.path,
        oldValue: this.#secrets.redact(change.oldValue, change.path),
        newValue: this.#secrets.redact(change.newValue, change.path),
      })),
    };
  }

  #checkPath(path: string): void {
    if (this.#knownPaths.has(path)) return;
    if (typeof path !== 'string' || schemaAt(this.#schema, path) === undefined) {
      throw ValidationError.fromIssues('Unknown configuration path', [
        {
          // A caller without types may pass anything; String() throws on some objects.
          path: typeof path === 'string' ? path : `(${typeof path})`,
          message: 'is not a path of the configuration schema',
          code: 'unknown_path',
        },
      ]);
    }
    // Remembered so that reading an absent optional value does not walk the schema each time.
    if (this.#knownPaths.size < 10_000) this.#knownPaths.add(path);
  }

  /** Runs changes one at a time, so two reloads never interleave. */
  #exclusive<R>(fn: () => Promise<R> | R): Promise<R> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}

function sameSnapshot(a: SourceSnapshot, b: SourceSnapshot): boolean {
  return jsonEqual(a.data, b.data) && jsonEqual(a.issues ?? [], b.issues ?? []);
}
