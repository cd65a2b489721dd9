import type { InjectionToken } from '@nestjs/common';
import type { EntityCacheOptions } from '../cache/managed-entity-cache.js';
import type { Backend } from '../repository/backend.js';
import type { RepositoryEntity, RepositoryOptions } from '../repository/base-repository.js';
import type { RepositResources } from './module-options.js';

// biome-ignore lint/suspicious/noExplicitAny: a definition list mixes entities of any type
type AnyEntity = RepositoryEntity<any, any, any>;
type EntityOf<E> = E extends RepositoryEntity<infer T, infer _ID, infer _C> ? T : never;
type IdOfEntity<E> = E extends RepositoryEntity<infer _T, infer ID, infer _C> ? ID : never;
type InputOf<E> = E extends RepositoryEntity<infer _T, infer _ID, infer C> ? C : never;

/**
 * A repository for an entity: a `BaseRepository` (or your subclass of it) over the
 * backend you return, cached by the root CacheManager when there is one.
 *
 * @example
 * ```ts
 * const users: EntityRepositoryDefinition<typeof User> = {
 *   entity: User,
 *   backend: ({ connections }) => new PostgresBackend(connections, { entity: User, table: 'users' }),
 *   repository: UserRepository, // optional; also injectable by the class itself
 *   options: { cursorSecret: process.env.CURSOR_SECRET },
 * };
 * ```
 */
export interface EntityRepositoryDefinition<E extends AnyEntity = AnyEntity> {
  readonly entity: E;
  /** The storage of the entity, made from the root's resources. */
  readonly backend: (
    resources: RepositResources,
  ) => Backend<EntityOf<E>, IdOfEntity<E>> | Promise<Backend<EntityOf<E>, IdOfEntity<E>>>;
  /**
   * A subclass of BaseRepository to construct instead, with the same options; it is also
   * registered under the class itself, so `constructor(private users: UserRepository)` works.
   * @default BaseRepository
   */
  readonly repository?: new (
    options: RepositoryOptions<EntityOf<E>, IdOfEntity<E>, InputOf<E>>,
  ) => object;
  /**
   * Options of the entity's cache, or `false` for none.
   * @default {} (cached whenever `forRoot` has a cache)
   */
  readonly cache?: EntityCacheOptions | false;
  /** Further repository options: hooks, audit, cursorSecret, limits … @default {} */
  readonly options?: Omit<
    RepositoryOptions<EntityOf<E>, IdOfEntity<E>, InputOf<E>>,
    'entity' | 'backend' | 'cache'
  >;
}

/**
 * A repository made by your own factory, registered under a name.
 *
 * @example
 * ```ts
 * const ledger: FactoryRepositoryDefinition = {
 *   name: 'ledger',
 *   inject: [AuditService],
 *   useFactory: ({ connections, cache }, audit: AuditService) => new LedgerRepository(connections, cache, audit),
 * };
 * ```
 */
export interface FactoryRepositoryDefinition {
  /** The name `getRepositoryToken(name)` and `@InjectRepository(name)` use. */
  readonly name: string;
  /**
   * Further providers handed to `useFactory` after the resources; they must be visible to
   * the feature module (global, or from `forFeature(definitions, { imports })`). @default []
   */
  readonly inject?: readonly InjectionToken[];
  /** Builds the repository from the root's resources and the providers of `inject`. */
  // biome-ignore lint/suspicious/noExplicitAny: Nest hands injected providers of any type
  readonly useFactory: (resources: RepositResources, ...injected: any[]) => unknown;
}

/**
 * One entry of `RepositModule.forFeature([...])`.
 *
 * @example
 * ```ts
 * RepositModule.forFeature([users, ledger]);
 * ```
 */
export type RepositoryDefinition = EntityRepositoryDefinition | FactoryRepositoryDefinition;
