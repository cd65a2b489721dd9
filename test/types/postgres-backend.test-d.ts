import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { PostgresBackend } from '../../src/backends/postgres/index.js';
import type { SqlExecutor } from '../../src/connection/sql-executor.js';
import type { Backend } from '../../src/repository/backend.js';
import { BaseRepository } from '../../src/repository/base-repository.js';
import { defineEntity, type EntityType } from '../../src/repository/entity.js';

const Order = defineEntity({
  name: 'order',
  schema: z.object({ id: z.bigint(), customerId: z.string(), total: z.number(), placedAt: z.date() }),
  id: 'id',
  generated: ['id'],
});
type Order = EntityType<typeof Order>;
declare const executor: SqlExecutor;

describe('PostgresBackend types', () => {
  it('infers the entity and id types from the entity', () => {
    const backend = new PostgresBackend(executor, { entity: Order, table: 'orders' });
    expectTypeOf(backend).toEqualTypeOf<PostgresBackend<Order, bigint>>();
    expectTypeOf(backend).toExtend<Backend<Order, bigint>>();
    expectTypeOf(backend.findByIds).returns.resolves.toEqualTypeOf<Order[]>();
  });

  it('plugs into a BaseRepository with the same id type', () => {
    const orders = new BaseRepository({
      entity: Order,
      backend: new PostgresBackend(executor, { entity: Order, table: 'orders' }),
    });
    expectTypeOf(orders.getById).parameter(0).toEqualTypeOf<bigint>();
  });

  it('accepts column overrides only for fields of the entity', () => {
    new PostgresBackend(executor, {
      entity: Order,
      columns: { customerId: 'customer', placedAt: { name: 'placed_on' } },
    });
    new PostgresBackend(executor, {
      entity: Order,
      // @ts-expect-error: not a field of the entity
      columns: { customer: 'customer_id' },
    });
    // @ts-expect-error: ids are bigints
    new PostgresBackend(executor, { entity: Order }).findByIds(['1']);
  });
});
