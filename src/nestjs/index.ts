/**
 * `reposit/nestjs`: `RepositModule.forRoot` / `forRootAsync` / `forFeature`, injectable
 * repositories, and the tokens and decorators to inject them. `@nestjs/common` (and
 * `@nestjs/core` to run it) are optional peer dependencies of this subpath only; the
 * module imports no backend, so pg and kysely stay optional too.
 *
 * @module
 */
export type {
  Factory,
  RepositModuleAsyncOptions,
  RepositModuleOptions,
  RepositResources,
} from './module-options.js';
export { RepositCoreModule, RepositModule } from './reposit-module.js';
export type {
  EntityRepositoryDefinition,
  FactoryRepositoryDefinition,
  RepositoryDefinition,
} from './repository-definition.js';
export {
  getRepositoryToken,
  InjectCache,
  InjectConnections,
  InjectRepository,
  REPOSIT_CACHE,
  REPOSIT_CONNECTIONS,
  REPOSIT_MODULE_OPTIONS,
  type RepositoryKey,
} from './tokens.js';
