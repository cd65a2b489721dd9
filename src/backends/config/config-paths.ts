/**
 * Typed dotted paths into a configuration type: `ConfigPath<T>` lists them and
 * `ConfigValue<T, P>` is the type found at one, so `config.get('db.pool.max')` is a
 * `number` when the schema says so, and a typo does not compile.
 *
 * @module
 */

type Leaf = string | number | boolean | bigint | symbol | null | undefined | Date | RegExp | Function;

/** How deep paths are listed; deeper values are still reachable through their parent. */
type MaxDepth = 8;

/**
 * Every dotted path of `T`, objects included (`'db' | 'db.pool' | 'db.pool.max'`).
 * Arrays are leaves. Record keys appear as `${string}`.
 *
 * @example
 * ```ts
 * type Paths = ConfigPath<{ db: { pool: { max: number } } }>;
 * // 'db' | 'db.pool' | 'db.pool.max'
 * ```
 */
export type ConfigPath<T, Depth extends unknown[] = []> = Depth['length'] extends MaxDepth
  ? never
  : NonNullable<T> extends Leaf | readonly unknown[]
    ? never
    : {
        [K in keyof NonNullable<T> & string]:
          | K
          | (ConfigPath<NonNullable<T>[K], [...Depth, unknown]> extends infer Sub extends string
              ? [Sub] extends [never]
                ? never
                : `${K}.${Sub}`
              : never);
      }[keyof NonNullable<T> & string];

/**
 * The type at dotted path `P` of `T`. When an object on the way is optional or
 * nullable, the result includes `undefined`.
 *
 * @example
 * ```ts
 * type Max = ConfigValue<{ db: { pool: { max: number } } }, 'db.pool.max'>; // number
 * ```
 */
export type ConfigValue<T, P extends string> = string extends keyof NonNullable<T>
  ? // A record: any key is allowed, and any key may be absent.
    P extends `${string}.${infer Rest}`
    ? ConfigValue<NonNullable<T>[string], Rest> | undefined
    : NonNullable<T>[string] | undefined
  : P extends `${infer Head}.${infer Rest}`
    ? Head extends keyof NonNullable<T>
      ? ConfigValue<NonNullable<T>[Head], Rest> | (T extends null | undefined ? undefined : never)
      : never
    : P extends keyof NonNullable<T>
      ? NonNullable<T>[P] | (T extends null | undefined ? undefined : never)
      : never;
