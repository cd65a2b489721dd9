import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  BaseRepository,
  type CreateInputOf,
  defineEntity,
  type EntityType,
  type Filter,
  type IdOf,
  MemoryBackend,
  type Page,
} from '../../src/index.js';

const User = defineEntity({
  name: 'user',
  schema: z.object({
    id: z.number().int(),
    email: z.email(),
    name: z.string(),
    age: z.number().int().nullable(),
    tags: z.array(z.string()),
    version: z.number().int(),
    createdAt: z.date(),
  }),
  id: 'id',
  generated: ['id'],
  version: 'version',
  timestamps: { createdAt: 'createdAt' },
});
type User = EntityType<typeof User>;

describe('inferred types', () => {
  it('infers the entity, id and create input from the schema', () => {
    expectTypeOf<User>().toEqualTypeOf<{
      id: number;
      email: string;
      name: string;
      age: number | null;
      tags: string[];
      version: number;
      createdAt: Date;
    }>();
    expectTypeOf<IdOf<typeof User>>().toEqualTypeOf<number>();
    expectTypeOf<CreateInputOf<typeof User>>().toMatchTypeOf<{
      email: string;
      name: string;
      age: number | null;
      tags: string[];
    }>();
    expectTypeOf<{ email: string; name: string; age: null; tags: [] }>().toMatchTypeOf<
      CreateInputOf<typeof User>
    >();
  });

  it('types the repository from the entity', () => {
    const users = new BaseRepository({ entity: User, backend: new MemoryBackend(User) });
    expectTypeOf(users.getById).parameter(0).toEqualTypeOf<number>();
    expectTypeOf(users.getById(1)).resolves.toEqualTypeOf<User | null>();
    expectTypeOf(users.list({ limit: 1 })).resolves.toEqualTypeOf<User[]>();
    expectTypeOf(users.list({ limit: 1, cursor: null })).resolves.toEqualTypeOf<Page<User>>();
    // @ts-expect-error the create input needs an email
    void users.create({ name: 'x', age: null, tags: [] });
  });

  it('checks filter keys and operator types at compile time', () => {
    expectTypeOf<{ age: { gte: 18 } }>().toMatchTypeOf<Filter<User>>();
    expectTypeOf<{ email: { ilike: '%@x.com' } }>().toMatchTypeOf<Filter<User>>();
    expectTypeOf<{ or: [{ age: null }, { name: 'a' }] }>().toMatchTypeOf<Filter<User>>();
    expectTypeOf<{ nope: 1 }>().not.toMatchTypeOf<Filter<User>>();
    expectTypeOf<{ age: { like: 'x' } }>().not.toMatchTypeOf<Filter<User>>();
    expectTypeOf<{ age: 'old' }>().not.toMatchTypeOf<Filter<User>>();
    // non-scalar fields cannot be filtered
    expectTypeOf<{ tags: ['a'] }>().not.toMatchTypeOf<Filter<User>>();
  });
});
