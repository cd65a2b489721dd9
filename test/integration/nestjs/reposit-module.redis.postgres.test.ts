import { Inject, Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PostgresBackend } from '../../../src/backends/postgres/index.js';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { RedisBus } from '../../../src/cache/redis/index.js';
import { ConnectionManager } from '../../../src/connection/index.js';
import { UnavailableError, ValidationError } from '../../../src/errors.js';
import { MemoryBackend } from '../../../src/index.js';
import {
  getRepositoryToken,
  InjectCache,
  InjectConnections,
  InjectRepository,
  REPOSIT_CACHE,
  REPOSIT_CONNECTIONS,
  RepositModule,
} from '../../../src/nestjs/index.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { defineEntity, type EntityType } from '../../../src/repository/entity.js';
import { disposeCaches, eventually, testRedis } from '../../support/cache.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { uniqueName } from '../../support/services.js';

const User = defineEntity({
  name: 'user',
  schema: z.object({
    id: z.number().int(),
    email: z.email(),
    name: z.string().min(1),
    version: z.number().int(),
  }),
  id: 'id',
  generated: ['id'],
  version: 'version',
});
type User = EntityType<typeof User>;

const Tag = defineEntity({ name: 'tag', schema: z.object({ id: z.string(), label: z.string() }), id: 'id' });

class UserRepository extends BaseRepository<User, number, Omit<User, 'id' | 'version'>> {
  findByEmail(email: string): Promise<User | null> {
    return this.list({ where: { email }, limit: 1 }).then((rows) => rows[0] ?? null);
  }
}

@Injectable()
class UsersService {
  constructor(
    @InjectRepository(User) readonly users: UserRepository,
    @Inject(UserRepository) readonly sameUsers: UserRepository,
    @InjectConnections() readonly connections: ConnectionManager,
    @InjectCache() readonly cache: CacheManager | null,
  ) {}

  register(email: string, name: string): Promise<User> {
    return this.connections.transaction(() => this.users.create({ email, name }));
  }
}

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema('nest');
  await schema.sql(
    'create table users (id serial primary key, email text not null unique, name text not null, version int not null)',
  );
});
afterAll(() => schema?.drop());

@Module({ providers: [{ provide: 'greeting', useValue: 'hello' }], exports: ['greeting'] })
class GreetingModule {}

function usersFeature() {
  return RepositModule.forFeature(
    [
      {
        entity: User,
        repository: UserRepository,
        backend: ({ connections }) =>
          new PostgresBackend(connections, { entity: User, schema: schema.name, table: 'users' }),
      },
      { entity: Tag, backend: () => new MemoryBackend(Tag), cache: false },
      {
        name: 'user-count',
        inject: ['greeting'],
        useFactory: ({ connections }, greeting: string) => ({
          greeting,
          count: async () =>
            Number((await connections.query(`select count(*) as n from "${schema.name}".users`)).rows[0]!.n),
        }),
      },
    ],
    { imports: [GreetingModule] },
  );
}

describe('RepositModule on a real PostgreSQL and Redis', () => {
  const namespace = uniqueName('nest');
  const channel = `${namespace}:invalidate`;
  let moduleRef: TestingModule;
  let connections: ConnectionManager;
  let redis: Redis;
  afterAll(() => disposeCaches(redis, namespace, []));

  beforeAll(async () => {
    redis = testRedis();
    moduleRef = await Test.createTestingModule({
      imports: [
        RepositModule.forRoot({
          connections: () => {
            connections = new ConnectionManager({ primary: schema.pool });
            return connections;
          },
          cache: () =>
            new CacheManager({ namespace, ttl: 60_000, bus: new RedisBus({ client: redis, channel }) }),
        }),
        usersFeature(),
      ],
      providers: [UsersService],
    }).compile();
  });

  it('injects the repository by token and by its class, on the root connections and cache', async () => {
    const service = moduleRef.get(UsersService);
    expect(service.users).toBeInstanceOf(UserRepository);
    expect(service.sameUsers).toBe(service.users);
    expect(moduleRef.get(getRepositoryToken('user'))).toBe(service.users);
    expect(service.connections).toBe(connections);
    expect(service.cache).toBeInstanceOf(CacheManager);
    expect(moduleRef.get(REPOSIT_CACHE)).toBe(service.cache);

    const ada = await service.register('ada@example.com', 'Ada');
    expect((await schema.sql('select name from users where id = $1', [ada.id])).rows).toEqual([
      { name: 'Ada' },
    ]);
    expect(await service.users.findByEmail('ada@example.com')).toEqual(ada);
    const hitsBefore = service.cache!.stats().l1.hits;
    expect(await service.users.getById(ada.id)).toEqual(ada);
    expect(await service.users.getById(ada.id)).toEqual(ada);
    expect(service.cache!.stats().l1.hits).toBeGreaterThan(hitsBefore);
  });

  it('registers entity repositories on any backend, and factory repositories with extra injections', async () => {
    const tags = moduleRef.get<BaseRepository<EntityType<typeof Tag>, string>>(getRepositoryToken(Tag));
    await tags.create({ id: 'db', label: 'databases' });
    expect(await tags.getOrFail('db')).toEqual({ id: 'db', label: 'databases' });
    const userCount = moduleRef.get<{ greeting: string; count(): Promise<number> }>(
      getRepositoryToken('user-count'),
    );
    expect(userCount.greeting).toBe('hello');
    expect(await userCount.count()).toBe(1);
  });

  it('closes the connections and the cache it made when the application shuts down', async () => {
    const subscribers = async () => ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1];
    await eventually(async () => (await subscribers()) === 1, 10_000);
    await moduleRef.close();
    const afterClose = await connections.query('select 1').catch((error: unknown) => error);
    expect(afterClose).toBeInstanceOf(UnavailableError);
    await eventually(async () => (await subscribers()) === 0, 10_000);
    // The pool was passed in by the test, so the manager leaves it open.
    expect((await schema.sql('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
  });
});

describe('RepositModule.forRootAsync', () => {
  @Injectable()
  class Settings {
    readonly namespace = 'nest-async';
  }

  @Module({ providers: [Settings], exports: [Settings] })
  class SettingsModule {}

  it('builds the options from injected providers, and leaves instances it was handed open', async () => {
    const connections = new ConnectionManager({ primary: schema.pool });
    const moduleRef = await Test.createTestingModule({
      imports: [
        RepositModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (settings: Settings) => ({ connections, cache: { namespace: settings.namespace } }),
        }),
        usersFeature(),
      ],
    }).compile();
    try {
      expect(moduleRef.get<CacheManager>(REPOSIT_CACHE).namespace).toBe('nest-async');
      expect(moduleRef.get(REPOSIT_CONNECTIONS)).toBe(connections);
      const users = moduleRef.get(UserRepository);
      expect(await users.findByEmail('ada@example.com')).toMatchObject({ name: 'Ada' });
    } finally {
      await moduleRef.close();
    }
    expect((await connections.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    await connections.close();
  });

  it('provides null for the cache it was not given, and repositories are then uncached', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RepositModule.forRoot({ connections: () => new ConnectionManager({ primary: schema.pool }) }),
        usersFeature(),
      ],
    }).compile();
    try {
      expect(moduleRef.get(REPOSIT_CACHE)).toBeNull();
      expect(await moduleRef.get(UserRepository).count()).toBe(1);
    } finally {
      await moduleRef.close();
    }
  });
});

describe('RepositModule, bad input', () => {
  it('rejects definitions that are neither { entity, backend } nor { name, useFactory }', () => {
    const bad = [{ entity: User }] as unknown as Parameters<typeof RepositModule.forFeature>[0];
    expect(() => RepositModule.forFeature(bad)).toThrow(ValidationError);
    expect(() => RepositModule.forFeature({ entity: User } as never)).toThrow(
      /pass an array of repository definitions/,
    );
    expect(() => RepositModule.forFeature(bad)).toThrow(
      /each definition is \{ entity, backend \} or \{ name, useFactory \}/,
    );
  });

  it('rejects two repositories of one name', () => {
    const backend = () => new MemoryBackend(Tag);
    const twice = () =>
      RepositModule.forFeature([
        { entity: Tag, backend },
        { name: 'tag', useFactory: () => ({}) },
      ]);
    expect(twice).toThrow(ValidationError);
    expect(twice).toThrow(/a second repository named "tag"/);
  });

  it('says which repository needs a ConnectionManager when forRoot has none', async () => {
    const userFeature = RepositModule.forFeature([
      {
        entity: User,
        backend: ({ connections }) => new PostgresBackend(connections, { entity: User, table: 'users' }),
      },
    ]);
    const failure = await Test.createTestingModule({ imports: [RepositModule.forRoot({}), userFeature] })
      .compile()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as Error).message).toContain('repository "user" needs a ConnectionManager');
  });

  it('rejects a connections factory that returns something else', async () => {
    const failure = await Test.createTestingModule({
      imports: [
        RepositModule.forRoot({
          cache: {},
          connections: (() => ({ primary: {} })) as unknown as () => ConnectionManager,
        }),
      ],
    })
      .compile()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as ValidationError).issues).toEqual([
      expect.objectContaining({
        path: 'connections',
        message: 'must be a ConnectionManager or a function returning one',
      }),
    ]);
  });

  it('rejects a cache factory that returns something else, and closes the connections it made', async () => {
    let made: ConnectionManager | undefined;
    const failure = await Test.createTestingModule({
      imports: [
        RepositModule.forRoot({
          connections: () => {
            made = new ConnectionManager({ primary: schema.pool });
            return made;
          },
          cache: (() => 'redis://127.0.0.1:6379') as unknown as () => CacheManager,
        }),
      ],
    })
      .compile()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as ValidationError).issues).toEqual([
      expect.objectContaining({
        path: 'cache',
        message: 'must be a CacheManager, a function returning one, or CacheManager options',
      }),
    ]);
    expect(await made?.query('select 1').catch((error: unknown) => error)).toBeInstanceOf(UnavailableError);
  });
});
