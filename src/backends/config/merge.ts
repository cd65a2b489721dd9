import type { SourceSnapshot } from './config-source.js';
import { type ConfigObject, getPath, hasPath, isPlainObject } from './object-path.js';

/** One source's loaded data, in precedence order. */
export interface Layer {
  /** The source's name. */
  readonly name: string;
  readonly snapshot: SourceSnapshot;
}

/**
 * Merges layers, lowest precedence first: plain objects merge key by key, anything else
 * (a scalar, an array, `null`) from a higher layer replaces what is below it.
 *
 * @example
 * ```ts
 * mergeLayers([{ name: 'a', snapshot: { data: { db: { host: 'x', port: 1 } } } },
 *              { name: 'b', snapshot: { data: { db: { port: 2 } } } }]);
 * // { db: { host: 'x', port: 2 } }
 * ```
 */
export function mergeLayers(layers: readonly Layer[]): ConfigObject {
  let merged: ConfigObject = {};
  for (const layer of layers) merged = mergeInto(merged, layer.snapshot.data);
  return merged;
}

function mergeInto(base: ConfigObject, over: ConfigObject): ConfigObject {
  const out: ConfigObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const below = out[key];
    out[key] = isPlainObject(below) && isPlainObject(value) ? mergeInto(below, value) : value;
  }
  return out;
}

/**
 * What one source says about a path, as listed by `explain()`.
 *
 * @example
 * ```ts
 * config.explain('db.pool.max').sources;
 * // [{ source: 'defaults', defined: true, value: 10 }, { source: 'env APP_DB__POOL__MAX', defined: true, value: 20 }, …]
 * ```
 */
export interface SourceOpinion {
  /** The source's name, with the variable's name for environment variables. */
  readonly source: string;
  /** Whether the source sets the path (or something inside it). */
  readonly defined: boolean;
  /** What the source says, `undefined` when it says nothing. */
  readonly value: unknown;
}

/**
 * Which sources set a path: the highest one that sets it (or, for an object, the highest
 * one that sets anything inside it) wins.
 */
export function opinions(layers: readonly Layer[], path: string): SourceOpinion[] {
  return layers.map((layer) => {
    const defined = hasPath(layer.snapshot.data, path);
    return {
      source: labelFor(layer, path),
      defined,
      value: defined ? getPath(layer.snapshot.data, path) : undefined,
    };
  });
}

/**
 * The name of the highest layer that sets `path` or an ancestor of it (for a value) or
 * anything under it (for an object); `undefined` when no layer does.
 */
export function winningSource(layers: readonly Layer[], path: string): string | undefined {
  const keys = path === '' ? [] : path.split('.');
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    for (let depth = keys.length; depth >= 1; depth--) {
      const prefix = keys.slice(0, depth).join('.');
      if (!hasPath(layer.snapshot.data, prefix)) continue;
      const value = getPath(layer.snapshot.data, prefix);
      // An object higher up merges with what is below; only a non-object replaces it.
      if (depth === keys.length || !isPlainObject(value)) return labelFor(layer, prefix);
    }
  }
  return undefined;
}

function labelFor(layer: Layer, path: string): string {
  const labels = layer.snapshot.labels;
  if (labels) {
    const exact = labels.get(path);
    if (exact) return exact;
    const inside = [...labels.entries()].filter(([p]) => p.startsWith(`${path}.`)).map(([, label]) => label);
    if (inside.length === 1) return inside[0]!;
  }
  return layer.name;
}
