import { Inject } from '@nestjs/common';

/**
 * The injection token of the root ConnectionManager (`null` when `forRoot` was given none).
 * A string, so that the ESM and CJS builds of reposit agree on it.
 *
 * @example
 * ```ts
 * constructor(@Inject(REPOSIT_CONNECTIONS) private readonly connections: ConnectionManager) {}
 * ```
 */
export const REPOSIT_CONNECTIONS = 'reposit:connections';

/**
 * The injection token of the root CacheManager (`null` when `forRoot` was given none).
 *
 * @example
 * ```ts
 * constructor(@Inject(REPOSIT_CACHE) private readonly cache: CacheManager | null) {}
 * ```
 */
export const REPOSIT_CACHE = 'reposit:cache';

/**
 * The injection token of the options `forRoot` / `forRootAsync` resolved to.
 *
 * @example
 * ```ts
 * constructor(@Inject(REPOSIT_MODULE_OPTIONS) private readonly options: RepositModuleOptions) {}
 * ```
 */
export const REPOSIT_MODULE_OPTIONS = 'reposit:module-options';

/**
 * What names a repository: an entity from `defineEntity`, or a name.
 *
 * @example
 * ```ts
 * const byEntity: RepositoryKey = User; // the entity's name, 'user'
 * const byName: RepositoryKey = 'ledger';
 * ```
 */
export type RepositoryKey = string | { readonly name: string };

/**
 * The injection token of the repository `forFeature` registered for an entity or name.
 *
 * @example
 * ```ts
 * const users = moduleRef.get<BaseRepository<User, number>>(getRepositoryToken(User));
 * getRepositoryToken('user'); // 'reposit:repository:user'
 * ```
 */
export function getRepositoryToken(key: RepositoryKey): string {
  return `reposit:repository:${typeof key === 'string' ? key : key.name}`;
}

/**
 * Injects the repository `forFeature` registered for an entity or name; the same as
 * `@Inject(getRepositoryToken(key))`.
 *
 * @example
 * ```ts
 * @Injectable()
 * class UsersService {
 *   constructor(@InjectRepository(User) private readonly users: BaseRepository<User, number>) {}
 * }
 * ```
 */
export function InjectRepository(key: RepositoryKey): PropertyDecorator & ParameterDecorator {
  return Inject(getRepositoryToken(key));
}

/**
 * Injects the root ConnectionManager; the same as `@Inject(REPOSIT_CONNECTIONS)`.
 *
 * @example
 * ```ts
 * constructor(@InjectConnections() private readonly connections: ConnectionManager) {}
 * ```
 */
export function InjectConnections(): PropertyDecorator & ParameterDecorator {
  return Inject(REPOSIT_CONNECTIONS);
}

/**
 * Injects the root CacheManager (or `null`); the same as `@Inject(REPOSIT_CACHE)`.
 *
 * @example
 * ```ts
 * constructor(@InjectCache() private readonly cache: CacheManager | null) {}
 * ```
 */
export function InjectCache(): PropertyDecorator & ParameterDecorator {
  return Inject(REPOSIT_CACHE);
}
