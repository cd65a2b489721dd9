import type { ConfigSource, SourceSnapshot } from '../config-source.js';
import type { ConfigObject } from '../object-path.js';

/**
 * The lowest layer: defaults written in code. (Defaults declared in the zod schema with
 * `.default()` also apply, after every layer is merged.)
 *
 * @example
 * ```ts
 * const defaults = defaultsSource({ db: { pool: { max: 10 } } });
 * ```
 */
export function defaultsSource(values: ConfigObject, name = 'defaults'): ConfigSource {
  const snapshot: SourceSnapshot = { data: structuredClone(values) };
  return {
    name,
    load: async () => snapshot,
  };
}
