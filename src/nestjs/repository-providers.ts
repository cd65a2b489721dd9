import type { DynamicModule, FactoryProvider, Provider } from '@nestjs/common';
import type { CacheManager } from '../cache/cache-manager.js';
import type { ConnectionManager } from '../connection/connection-manager.js';
import { ValidationError } from '../errors.js';
import { BaseRepository } from '../repository/base-repository.js';
import type { EntityRepositoryDefinition, RepositoryDefinition } from './repository-definition.js';
import { resourcesView } from './resources.js';
import { getRepositoryToken, REPOSIT_CACHE, REPOSIT_CONNECTIONS } from './tokens.js';

/**
 * The Nest providers of `forFeature`'s definitions, and the tokens to export: one per
 * repository, plus the subclass itself when a definition names one.
 *
 * @example
 * ```ts
 * const { providers, tokens } = repositoryProviders([{ entity: User, backend }]);
 * ```
 */
export function repositoryProviders(definitions: readonly RepositoryDefinition[]): {
  providers: Provider[];
  tokens: NonNullable<DynamicModule['exports']>;
} {
  if (!Array.isArray(definitions)) {
    throw ValidationError.fromIssues('Invalid RepositModule.forFeature() call', [
      { path: '', message: 'pass an array of repository definitions', code: 'invalid_type' },
    ]);
  }
  const providers: Provider[] = [];
  const tokens: NonNullable<DynamicModule['exports']> = [];
  const seen = new Set<string>();
  definitions.forEach((definition, index) => {
    const name = definitionName(definition, index);
    const token = getRepositoryToken(name);
    if (seen.has(token)) {
      throw ValidationError.fromIssues('Invalid RepositModule.forFeature() call', [
        { path: String(index), message: `a second repository named "${name}"`, code: 'duplicate' },
      ]);
    }
    seen.add(token);
    providers.push(
      'useFactory' in definition
        ? {
            provide: token,
            inject: [REPOSIT_CONNECTIONS, REPOSIT_CACHE, ...(definition.inject ?? [])],
            useFactory: (
              connections: ConnectionManager | null,
              cache: CacheManager | null,
              ...injected: unknown[]
            ) =>
              definition.useFactory(resourcesView(connections, cache, `repository "${name}"`), ...injected),
          }
        : entityProvider(token, definition),
    );
    tokens.push(token);
    if ('entity' in definition && definition.repository) {
      providers.push({ provide: definition.repository, useExisting: token });
      tokens.push(definition.repository);
    }
  });
  return { providers, tokens };
}

function entityProvider(token: string, definition: EntityRepositoryDefinition): FactoryProvider {
  const Repository = definition.repository ?? BaseRepository;
  return {
    provide: token,
    inject: [REPOSIT_CONNECTIONS, REPOSIT_CACHE],
    useFactory: async (connections: ConnectionManager | null, cache: CacheManager | null) => {
      const { entity } = definition;
      const backend = await definition.backend(
        resourcesView(connections, cache, `repository "${entity.name}"`),
      );
      const entityCache =
        cache && definition.cache !== false ? cache.forEntity(entity, definition.cache ?? {}) : undefined;
      return new Repository({ ...definition.options, entity, backend, cache: entityCache });
    },
  };
}

function definitionName(definition: RepositoryDefinition, index: number): string {
  const candidate = definition as Partial<
    EntityRepositoryDefinition & { name: unknown; useFactory: unknown }
  >;
  if (typeof candidate?.useFactory === 'function' && typeof candidate.name === 'string' && candidate.name) {
    return candidate.name;
  }
  if (typeof candidate?.entity?.name === 'string' && typeof candidate.backend === 'function') {
    return candidate.entity.name;
  }
  throw ValidationError.fromIssues('Invalid RepositModule.forFeature() call', [
    {
      path: String(index),
      message: 'each definition is { entity, backend } or { name, useFactory }',
      code: 'invalid_type',
    },
  ]);
}
