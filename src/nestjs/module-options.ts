import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';
import type { CacheManager, CacheManagerOptions } from '../cache/cache-manager.js';
import type { ConnectionManager } from '../connection/connection-manager.js';

/**
 * A function that makes a value, synchronously or not.
 *
 * @example
 * ```ts
 * const connections: Factory<ConnectionManager> = () => new ConnectionManager({ primary: pool });
 * ```
 */
export type Factory<T> = () => T | Promise<T>;

/**
 * Options of `RepositModule.forRoot`. What the module makes from a factory or from
 * options, it owns and closes when the application shuts down; an instance you pass is
 * yours to close.
 *
 * @example
 * ```ts
 * RepositModule.forRoot({
 *   connections: () => new ConnectionManager({ primary: { connectionString: process.env.DATABASE_URL } }),
 *   cache: { namespace: 'shop', ttl: 60_000 },
 * });
 * ```
 */
export interface RepositModuleOptions {
  /**
   * The ConnectionManager (from `reposit/postgres`) repositories run on: an instance, or a
   * factory for one. Taken as a factory so that this module never imports pg itself.
   * @default undefined (no connections; repositories on other backends still work)
   */
  readonly connections?: ConnectionManager | Factory<ConnectionManager>;
  /**
   * The cache: an instance, a factory, or CacheManager options.
   * @default undefined (repositories are not cached)
   */
  readonly cache?: CacheManager | Factory<CacheManager> | CacheManagerOptions;
}

/**
 * Options of `RepositModule.forRootAsync`: the options come from a Nest factory, so they
 * can depend on other providers (a ConfigService, say).
 *
 * @example
 * ```ts
 * RepositModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     connections: () => new ConnectionManager({ primary: { connectionString: config.get('DATABASE_URL') } }),
 *   }),
 * });
 * ```
 */
export interface RepositModuleAsyncOptions {
  /** Modules whose exported providers `useFactory` injects. @default [] */
  readonly imports?: ModuleMetadata['imports'];
  /** The providers handed to `useFactory`, in order. @default [] */
  readonly inject?: (InjectionToken | OptionalFactoryDependency)[];
  /** Builds the options from the injected providers (in the order of `inject`). */
  // biome-ignore lint/suspicious/noExplicitAny: Nest hands injected providers of any type
  readonly useFactory: (...injected: any[]) => RepositModuleOptions | Promise<RepositModuleOptions>;
}

/**
 * What a repository definition's `backend` or `useFactory` receives: the root's
 * connections and cache. Reading `connections` when `forRoot` has none throws a
 * ValidationError that says so.
 *
 * @example
 * ```ts
 * const backend = ({ connections }: RepositResources) => new PostgresBackend(connections, { entity: User });
 * ```
 */
export interface RepositResources {
  readonly connections: ConnectionManager;
  readonly cache: CacheManager | null;
}
