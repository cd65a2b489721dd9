import type { DynamicModule, Provider } from '@nestjs/common';
import type { RepositModuleAsyncOptions, RepositModuleOptions } from './module-options.js';
import type { RepositoryDefinition } from './repository-definition.js';
import { repositoryProviders } from './repository-providers.js';
import { type OpenedResources, openResources } from './resources.js';
import { REPOSIT_CACHE, REPOSIT_CONNECTIONS, REPOSIT_MODULE_OPTIONS } from './tokens.js';

/** Internal token of the opened resources (the provider that closes them on shutdown). */
const REPOSIT_RESOURCES = 'reposit:resources';

/**
 * The global module `forRoot` / `forRootAsync` return: the connections, the cache and
 * their shutdown. Not decorated: a dynamic module carries its metadata itself.
 *
 * @example
 * ```ts
 * const root: DynamicModule = RepositModule.forRoot({ cache: {} }); // root.module === RepositCoreModule
 * ```
 */
export class RepositCoreModule {}

/**
 * reposit for NestJS. `forRoot` (once, in the root module) provides the ConnectionManager
 * and CacheManager application-wide and closes those it made when the application shuts
 * down; `forFeature` registers repositories, injectable with `@InjectRepository(User)`
 * (or by their class when the definition names one). No decorator metadata is needed:
 * every provider names its dependencies explicitly.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     RepositModule.forRoot({
 *       connections: () => new ConnectionManager({ primary: { connectionString: process.env.DATABASE_URL } }),
 *       cache: { namespace: 'shop', ttl: 60_000 },
 *     }),
 *     RepositModule.forFeature([
 *       { entity: User, backend: ({ connections }) => new PostgresBackend(connections, { entity: User, table: 'users' }) },
 *     ]),
 *   ],
 *   providers: [UsersService],
 * })
 * class AppModule {}
 *
 * @Injectable()
 * class UsersService {
 *   constructor(@InjectRepository(User) private readonly users: BaseRepository<User, number>) {}
 * }
 * ```
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class with static forRoot/forFeature
export class RepositModule {
  /**
   * Provides the connections and the cache to the whole application.
   *
   * @example
   * ```ts
   * RepositModule.forRoot({ connections: () => new ConnectionManager({ primary: { connectionString: url } }), cache: {} });
   * ```
   */
  static forRoot(options: RepositModuleOptions = {}): DynamicModule {
    return rootModule([{ provide: REPOSIT_MODULE_OPTIONS, useValue: options }]);
  }

  /**
   * Like `forRoot`, with options from a factory that can inject other providers.
   *
   * @example
   * ```ts
   * RepositModule.forRootAsync({ inject: [Settings], useFactory: (settings: Settings) => ({ cache: { namespace: settings.app } }) });
   * ```
   */
  static forRootAsync(options: RepositModuleAsyncOptions): DynamicModule {
    return rootModule(
      [{ provide: REPOSIT_MODULE_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory }],
      options.imports ?? [],
    );
  }

  /**
   * Registers repositories for the importing module (and exports them). A factory
   * definition's `inject` resolves here: from global modules, or from `options.imports`.
   *
   * @example
   * ```ts
   * RepositModule.forFeature([{ entity: User, backend: ({ connections }) => new PostgresBackend(connections, { entity: User }) }]);
   * ```
   */
  static forFeature(
    definitions: readonly RepositoryDefinition[],
    options: { readonly imports?: DynamicModule['imports'] } = {},
  ): DynamicModule {
    const { providers, tokens } = repositoryProviders(definitions);
    return { module: RepositModule, imports: options.imports ?? [], providers, exports: tokens };
  }
}

function rootModule(optionProviders: Provider[], imports: DynamicModule['imports'] = []): DynamicModule {
  return {
    module: RepositCoreModule,
    global: true,
    imports,
    providers: [
      ...optionProviders,
      { provide: REPOSIT_RESOURCES, inject: [REPOSIT_MODULE_OPTIONS], useFactory: openResources },
      {
        provide: REPOSIT_CONNECTIONS,
        inject: [REPOSIT_RESOURCES],
        useFactory: (resources: OpenedResources) => resources.connections,
      },
      {
        provide: REPOSIT_CACHE,
        inject: [REPOSIT_RESOURCES],
        useFactory: (resources: OpenedResources) => resources.cache,
      },
    ],
    exports: [REPOSIT_CONNECTIONS, REPOSIT_CACHE, REPOSIT_MODULE_OPTIONS],
  };
}
