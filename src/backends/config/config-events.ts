import { isWithin } from './object-path.js';

/**
 * Where a change came from: the fourth argument of a {@link ConfigChangeListener}.
 *
 * @example
 * ```ts
 * config.onChange((path, _from, _to, { source, version }) => {
 *   if (source === 'database') log.info({ path, version }, 'changed in the database');
 * });
 * ```
 */
export interface ChangeContext {
  /** The source whose change produced it: `runtime`, `database`, `file config/local.yaml` … */
  readonly source: string;
  /** The database version, for changes that came from the database. */
  readonly version?: number;
}

/**
 * Told about each changed value (leaf path) after a change has been validated and
 * applied. Secret values arrive as `'[redacted]'`; read the real one with `config.get(path)`.
 *
 * @example
 * ```ts
 * const listener: ConfigChangeListener = (path, oldValue, newValue, { source }) =>
 *   log.info({ path, oldValue, newValue, source }, 'configuration changed');
 * ```
 */
export type ConfigChangeListener = (
  path: string,
  oldValue: unknown,
  newValue: unknown,
  context: ChangeContext,
) => void;

/**
 * Told when a change made in the background (a file edited, a database change by another
 * process) was rejected: the error is a `ValidationError` naming the path and the source,
 * or the error that stopped the reload. The last good configuration stays in force.
 *
 * @example
 * ```ts
 * config.onError((error) => alert(`config change rejected: ${error.message}`));
 * ```
 */
export type ConfigErrorListener = (error: Error) => void;

/**
 * Delivers change and error events; a listener that throws does not stop the others.
 *
 * @example
 * ```ts
 * const events = new ConfigEvents((error) => log.error({ err: error }, 'listener threw'));
 * const off = events.onChange('db', (path, from, to) => console.log(path, from, to));
 * events.emitChange('db.pool.max', 10, 20, { source: 'runtime' });
 * off();
 * ```
 */
export class ConfigEvents {
  readonly #changes = new Set<{ prefix: string; listener: ConfigChangeListener }>();
  readonly #errors = new Set<ConfigErrorListener>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  onChange(prefix: string, listener: ConfigChangeListener): () => void {
    const entry = { prefix, listener };
    this.#changes.add(entry);
    return () => this.#changes.delete(entry);
  }

  onError(listener: ConfigErrorListener): () => void {
    this.#errors.add(listener);
    return () => this.#errors.delete(listener);
  }

  emitChange(path: string, oldValue: unknown, newValue: unknown, context: ChangeContext): void {
    for (const { prefix, listener } of this.#changes) {
      if (!isWithin(path, prefix)) continue;
      try {
        listener(path, oldValue, newValue, context);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }

  emitError(error: Error): void {
    for (const listener of this.#errors) {
      try {
        listener(error);
      } catch (thrown) {
        this.#onListenerError(thrown);
      }
    }
  }

  clear(): void {
    this.#changes.clear();
    this.#errors.clear();
  }
}
