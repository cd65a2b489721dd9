import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { PostgresBackend } from '../../src/backends/postgres/index.js';
import type { CacheManager } from '../../src/cache/cache-manager.js';
import {
  type CacheWarmTarget,
  type CliConfig,
  type CliContext,
  defineCliConfig,
} from '../../src/cli/index.js';
import type { ConnectionManager } from '../../src/connection/connection-manager.js';
import { BaseRepository } from '../../src/repository/base-repository.js';
import { defineEntity } from '../../src/repository/entity.js';

const User = defineEntity({
  name: 'user',
  schema: z.object({ id: z.number().int(), email: z.string() }),
  id: 'id',
  generated: ['id'],
});

describe('defineCliConfig', () => {
  it('returns the config as given, and types the context of factories', () => {
    const config = defineCliConfig({
      connection: { primary: { connectionString: 'postgres://localhost/app' } },
      migrations: { dir: './migrations', extension: 'ts' },
      redis: 'redis://127.0.0.1:6379',
      cache: { namespace: 'shop' },
      caches: {
        users: async (context) => {
          expectTypeOf(context).toEqualTypeOf<CliContext>();
          expectTypeOf(await context.connections()).toEqualTypeOf<ConnectionManager>();
          expectTypeOf(await context.cache()).toEqualTypeOf<CacheManager>();
          const repository = new BaseRepository({
            entity: User,
            backend: new PostgresBackend(await context.connections(), { entity: User, table: 'users' }),
            cache: (await context.cache()).forEntity(User),
          });
          return { repository, ids: [1, 2, 3] } satisfies CacheWarmTarget<number>;
        },
      },
    });
    expectTypeOf(config).toEqualTypeOf<CliConfig>();
  });

  it('rejects what is not a config', () => {
    // @ts-expect-error: migrations.extension is one of ts, js, mjs, cjs
    defineCliConfig({ migrations: { dir: 'm', extension: 'py' } });
    // @ts-expect-error: an unknown section
    defineCliConfig({ conection: {} });
    // @ts-expect-error: a cache warm target needs a repository
    defineCliConfig({ caches: { users: { ids: [1] } } });
  });
});
