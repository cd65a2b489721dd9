import type { ConfigSource, SourceSnapshot } from '../config-source.js';
import { type ConfigObject, deletePath, setPath } from '../object-path.js';

/**
 * The highest layer: overrides set by the running process (`config.override(path, value)`),
 * kept in memory only and lost on restart. The repository validates every override
 * before it takes effect.
 *
 * @example
 * ```ts
 * const runtime = new RuntimeSource();
 * const next = runtime.with('features.beta', true); // candidate data, not yet applied
 * runtime.replace(next);
 * ```
 */
export class RuntimeSource implements ConfigSource {
  readonly name: string;
  #data: ConfigObject = {};

  /** @param name shown by `explain()`. @default 'runtime' */
  constructor(name = 'runtime') {
    this.name = name;
  }

  async load(): Promise<SourceSnapshot> {
    return { data: this.#data };
  }

  /** The current overrides. */
  get data(): ConfigObject {
    return this.#data;
  }

  /** The overrides with `path` set to `value` (not applied). */
  with(path: string, value: unknown): ConfigObject {
    return setPath(this.#data, path, value);
  }

  /** The overrides without `path` (not applied). */
  without(path: string): ConfigObject {
    return deletePath(this.#data, path);
  }

  /** Makes `data` the current overrides. */
  replace(data: ConfigObject): void {
    this.#data = data;
  }
}
