import { CacheManager, type CacheManagerOptions } from '../cache/cache-manager.js';
import type { ConnectionManager } from '../connection/connection-manager.js';
import { ValidationError } from '../errors.js';
import type { Factory, RepositModuleOptions, RepositResources } from './module-options.js';

/**
 * The root's connections and cache, and the shutdown of those the module made. Nest calls
 * `onApplicationShutdown` after every module's `onModuleDestroy`, so services can still
 * write while they are being destroyed.
 *
 * @example
 * ```ts
 * const { connections, cache } = moduleRef.get<OpenedResources>('reposit:resources');
 * ```
 */
export interface OpenedResources {
  readonly connections: ConnectionManager | null;
  readonly cache: CacheManager | null;
  onApplicationShutdown(): Promise<void>;
}

/**
 * Makes what the options ask for; on a failure, closes what it had made already.
 *
 * @example
 * ```ts
 * const opened = await openResources({ cache: {} }); // opened.cache is a new CacheManager
 * await opened.onApplicationShutdown(); // closes it
 * ```
 */
export async function openResources(options: RepositModuleOptions): Promise<OpenedResources> {
  const owned: { close(): Promise<void> }[] = [];
  const shutdown = async () => {
    // The cache first: it may still be publishing invalidations for the last writes.
    for (const resource of owned.splice(0).reverse()) await resource.close();
  };
  try {
    const connections = await resolve(options.connections, owned, isConnectionManager);
    const cache = await resolve(
      options.cache,
      owned,
      isCacheManager,
      (cacheOptions) => new CacheManager(cacheOptions),
    );
    return { connections, cache, onApplicationShutdown: shutdown };
  } catch (error) {
    await shutdown();
    throw error;
  }
}

/**
 * The resources a repository definition sees; a missing ConnectionManager is a clear error.
 *
 * @example
 * ```ts
 * resourcesView(null, null, 'repository "user"').connections; // throws ValidationError
 * ```
 */
export function resourcesView(
  connections: ConnectionManager | null,
  cache: CacheManager | null,
  what: string,
): RepositResources {
  return {
    get connections(): ConnectionManager {
      if (!connections) {
        throw ValidationError.fromIssues(`RepositModule: ${what} needs a ConnectionManager`, [
          {
            path: 'connections',
            message:
              'pass connections to RepositModule.forRoot({ connections: () => new ConnectionManager(...) })',
            code: 'required',
          },
        ]);
      }
      return connections;
    },
    cache,
  };
}

async function resolve<T extends { close(): Promise<void> }>(
  setting: T | Factory<T> | CacheManagerOptions | undefined,
  owned: { close(): Promise<void> }[],
  isInstance: (value: unknown) => value is T,
  fromOptions?: (options: CacheManagerOptions) => T,
): Promise<T | null> {
  if (setting === undefined || setting === null) return null;
  if (isInstance(setting)) return setting;
  let made: unknown;
  if (typeof setting === 'function') made = await (setting as Factory<T>)();
  else if (fromOptions) made = fromOptions(setting as CacheManagerOptions);
  if (!isInstance(made)) {
    throw ValidationError.fromIssues('Invalid RepositModule options', [
      {
        path: fromOptions ? 'cache' : 'connections',
        message: fromOptions
          ? 'must be a CacheManager, a function returning one, or CacheManager options'
          : 'must be a ConnectionManager or a function returning one',
        code: 'invalid_type',
      },
    ]);
  }
  owned.push(made);
  return made;
}

function isConnectionManager(value: unknown): value is ConnectionManager {
  const candidate = value as Partial<ConnectionManager> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.transaction === 'function' &&
    typeof candidate.query === 'function' &&
    typeof candidate.close === 'function'
  );
}

function isCacheManager(value: unknown): value is CacheManager {
  const candidate = value as Partial<CacheManager> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.forEntity === 'function' &&
    typeof candidate.close === 'function'
  );
}
