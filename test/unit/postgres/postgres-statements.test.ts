import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { PostgresBackend } from '../../../src/backends/postgres/index.js';
import type { QueryOptions, SqlExecutor, SqlResult } from '../../../src/connection/sql-executor.js';
import { ValidationError } from '../../../src/errors.js';
import { defineEntity, type EntityType } from '../../../src/repository/entity.js';
import type { Condition } from '../../../src/repository/query.js';

/**
 * Records the statements a backend sends instead of running them: these tests pin the
 * SQL text the backend builds (the integration tests run the same statements on a real
 * PostgreSQL).
 */
class RecordingExecutor implements SqlExecutor {
  readonly statements: { sql: string; parameters: readonly unknown[]; options: QueryOptions | undefined }[] =
    [];
  transactions = 0;
  async query<R>(sql: string, parameters: readonly unknown[], options?: QueryOptions): Promise<SqlResult<R>> {
    this.statements.push({ sql, parameters, options });
    return { rows: [], rowCount: 0 };
  }
  async transaction<R>(fn: () => Promise<R>): Promise<R> {
    this.transactions += 1;
    return fn();
  }
}

const Account = defineEntity({
  name: 'account',
  schema: z.object({
    id: z.bigint(),
    ownerName: z.string(),
    balance: z.number(),
    tags: z.array(z.string()),
    openedAt: z.date(),
    version: z.number().int(),
    closedAt: z.date().nullable(),
  }),
  id: 'id',
  generated: ['id'],
  version: 'version',
  softDelete: 'closedAt',
});

const setup = (columns = {}) => {
  const executor = new RecordingExecutor();
  const backend = new PostgresBackend(executor, {
    entity: Account,
    table: 'accounts',
    schema: 'bank',
    columns,
  });
  return { executor, backend };
};

const SELECT =
  'select "id" as "id", "owner_name" as "ownerName", "balance" as "balance", "tags" as "tags", ' +
  '"opened_at" as "openedAt", "version" as "version", "closed_at" as "closedAt" from "bank"."accounts"';

describe('PostgresBackend statements', () => {
  it('infers the entity and id types from the entity', () => {
    const backend = new PostgresBackend(new RecordingExecutor(), { entity: Account });
    expectTypeOf(backend).toEqualTypeOf<PostgresBackend<EntityType<typeof Account>, bigint>>();
    expectTypeOf(backend.findByIds).parameter(0).toEqualTypeOf<readonly bigint[]>();
  });

  it('reads by ids with one named statement whose text never changes, and one id with = $1', async () => {
    const { executor, backend } = setup();
    await backend.findByIds([1n, 2n]);
    await backend.findByIds([3n, 4n, 5n]);
    await backend.findByIds([6n]);
    await backend.findByIds([7n]);
    const [first, second, third, fourth] = executor.statements;
    expect(first!.sql).toBe(`${SELECT} where "closed_at" is null and "id" = any($1)`);
    expect(first!.parameters).toEqual([[1n, 2n]]);
    expect(first!.options).toEqual({
      intent: 'read',
      name: expect.stringMatching(/^reposit_account_by_ids_[0-9a-f]{16}$/),
    });
    expect(second!.sql).toBe(first!.sql);
    expect(second!.options).toEqual(first!.options);
    expect(third!.sql).toBe(`${SELECT} where "closed_at" is null and "id" = $1`);
    expect(third!.parameters).toEqual([6n]);
    expect(third!.options).toEqual({
      intent: 'read',
      name: expect.stringMatching(/^reposit_account_by_id_[0-9a-f]{16}$/),
    });
    expect(fourth!.options).toEqual(third!.options);
    await backend.findByIds([]);
    expect(executor.statements).toHaveLength(4);
  });

  it('can run the by-ids statement unnamed, for poolers without prepared statements', async () => {
    const executor = new RecordingExecutor();
    const backend = new PostgresBackend(executor, { entity: Account, preparedStatements: false });
    await backend.findByIds([1n]);
    expect(executor.statements[0]!.options).toEqual({ intent: 'read' });
  });

  it('names the statement after its text, so two tables never share a name', async () => {
    const a = setup();
    const b = new PostgresBackend(a.executor, { entity: Account, table: 'accounts_archive' });
    await a.backend.findByIds([1n]);
    await b.findByIds([1n]);
    const [first, second] = a.executor.statements;
    expect(first!.options!.name).not.toBe(second!.options!.name);
  });

  it('compiles conditions, order, limit and offset with every value a parameter', async () => {
    const { executor, backend } = setup();
    const where: Condition = {
      kind: 'or',
      conditions: [
        { kind: 'field', field: 'balance', op: 'gte', value: 100 },
        {
          kind: 'and',
          conditions: [
            { kind: 'field', field: 'ownerName', op: 'ilike', value: 'a%' },
            { kind: 'field', field: 'id', op: 'notIn', value: [1n, 2n] },
            { kind: 'field', field: 'balance', op: 'ne', value: 5 },
          ],
        },
      ],
    };
    await backend.find({
      where,
      orderBy: [
        { field: 'openedAt', direction: 'desc' },
        { field: 'id', direction: 'asc' },
      ],
      limit: 10,
      offset: 20,
    });
    const [statement] = executor.statements;
    expect(statement!.sql).toBe(
      `${SELECT} where ("closed_at" is null and ("balance" >= $1 or ("owner_name" ilike $2 and ` +
        'not ("id" = any($3) is true) and "balance" is distinct from $4))) ' +
        'order by "opened_at" desc, "id" asc limit $5 offset $6',
    );
    expect(statement!.parameters).toEqual([100, 'a%', [1n, 2n], 5, 10, 20]);
  });

  it('counts live rows', async () => {
    const { executor, backend } = setup();
    await backend.count({ kind: 'field', field: 'balance', op: 'isNull', value: false });
    expect(executor.statements[0]!.sql).toBe(
      'select count(*) as "count" from "bank"."accounts" where ("closed_at" is null and "balance" is not null)',
    );
  });

  it('inserts many rows per statement, filling gaps with default, and chunks under the parameter limit', async () => {
    const { executor, backend } = setup({ ownerName: 'owner' });
    const row = (index: number) => ({
      ownerName: `o${index}`,
      balance: index,
      tags: ['x'],
      openedAt: new Date(0),
    });
    await backend.insertMany([row(1), { ...row(2), id: 9n }]);
    const [statement] = executor.statements;
    expect(statement!.sql).toBe(
      'insert into "bank"."accounts" ("id", "owner", "balance", "tags", "opened_at", "version") values ' +
        '(default, $1, $2, $3, $4, $5), ($6, $7, $8, $9, $10, $11) returning "id" as "id", "owner" as "ownerName", ' +
        '"balance" as "balance", "tags" as "tags", "opened_at" as "openedAt", "version" as "version", "closed_at" as "closedAt"',
    );
    expect(statement!.parameters).toEqual([
      'o1',
      1,
      '["x"]',
      new Date(0),
      1,
      9n,
      'o2',
      2,
      '["x"]',
      new Date(0),
      1,
    ]);
    expect(executor.transactions).toBe(0);

    // This executor knows no column types (the catalog look-up of a bulk insert finds
    // none), so the VALUES path is taken: 7 columns → 9,285 rows per statement; 20,000
    // rows → 3 statements in one transaction.
    const many = Array.from({ length: 20_000 }, (_, index) => ({ ...row(index), id: BigInt(index) }));
    await backend.insertMany(many);
    const chunks = executor.statements
      .slice(1)
      .filter((statement) => !statement.sql.includes('pg_attribute'));
    expect(chunks.map((chunk) => chunk.parameters.length)).toEqual([
      9285 * 6,
      9285 * 6,
      (20_000 - 2 * 9285) * 6,
    ]);
    expect(chunks.every((chunk) => chunk.parameters.length < 65_535)).toBe(true);
    expect(executor.transactions).toBe(1);
  });

  it('updates optimistically and never sets the id or version from the patch', async () => {
    const { executor, backend } = setup();
    await backend
      .update(7n, { ownerName: 'x', version: 99, id: 8n } as never, { expectedVersion: 3 })
      .catch(() => undefined);
    expect(executor.statements[0]!.sql).toBe(
      'update "bank"."accounts" set "owner_name" = $1, "version" = "version" + 1 where "id" = $2 and "closed_at" is null ' +
        'and "version" = $3 returning "id" as "id", "owner_name" as "ownerName", "balance" as "balance", "tags" as "tags", ' +
        '"opened_at" as "openedAt", "version" as "version", "closed_at" as "closedAt"',
    );
    expect(executor.statements[0]!.parameters).toEqual(['x', 7n, 3]);
  });

  it('soft-deletes by stamping the field of a live row', async () => {
    const { executor, backend } = setup();
    await backend.delete(7n);
    expect(executor.statements[0]!.sql).toBe(
      'update "bank"."accounts" set "closed_at" = $1 where "id" = $2 and "closed_at" is null',
    );
    expect(executor.statements[0]!.parameters[0]).toBeInstanceOf(Date);
  });

  it('keeps hostile strings out of the SQL text, whatever they hold', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (name, pattern) => {
        const { executor, backend } = setup();
        await backend.find({
          where: {
            kind: 'and',
            conditions: [
              { kind: 'field', field: 'ownerName', op: 'eq', value: name },
              { kind: 'field', field: 'ownerName', op: 'like', value: pattern },
              { kind: 'field', field: 'ownerName', op: 'in', value: [name, pattern] },
            ],
          },
          orderBy: [{ field: 'id', direction: 'asc' }],
        });
        await backend.insertMany([{ ownerName: name, balance: 1, tags: [pattern], openedAt: new Date(0) }]);
        await backend.update(1n, { ownerName: pattern }, {}).catch(() => undefined);
        const texts = executor.statements.map((statement) => statement.sql);
        const { executor: reference, backend: referenceBackend } = setup();
        await referenceBackend.find({
          where: {
            kind: 'and',
            conditions: [
              { kind: 'field', field: 'ownerName', op: 'eq', value: 'a' },
              { kind: 'field', field: 'ownerName', op: 'like', value: 'b' },
              { kind: 'field', field: 'ownerName', op: 'in', value: ['a', 'b'] },
            ],
          },
          orderBy: [{ field: 'id', direction: 'asc' }],
        });
        await referenceBackend.insertMany([
          { ownerName: 'a', balance: 1, tags: ['b'], openedAt: new Date(0) },
        ]);
        await referenceBackend.update(1n, { ownerName: 'b' }, {}).catch(() => undefined);
        // The text is the same as for harmless values: input only ever travels as parameters.
        expect(texts.slice(0, 3)).toEqual(reference.statements.slice(0, 3).map((statement) => statement.sql));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects fields the entity does not have, even if the repository let one through', async () => {
    const { backend } = setup();
    const hostile = { kind: 'field', field: 'id" = 1 or "1', op: 'eq', value: 1 } as const;
    await expect(backend.find({ where: hostile, orderBy: [] })).rejects.toBeInstanceOf(ValidationError);
    await expect(
      backend.find({ where: undefined, orderBy: [{ field: 'nope', direction: 'asc' }] }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(backend.insertMany([{ nope: 1 } as never])).rejects.toBeInstanceOf(ValidationError);
    await expect(
      backend.find({
        where: { kind: 'field', field: 'balance', op: 'between' as never, value: 1 },
        orderBy: [],
      }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('quotes configured identifiers and refuses ones PostgreSQL would mangle', () => {
    expect(
      () => new PostgresBackend(new RecordingExecutor(), { entity: Account, table: 'bank.accounts' }),
    ).toThrow(/use the `schema` option|give the schema/);
    expect(
      () => new PostgresBackend(new RecordingExecutor(), { entity: Account, table: 'x'.repeat(64) }),
    ).toThrow(/63-byte identifier limit/);
    expect(
      () =>
        new PostgresBackend(new RecordingExecutor(), { entity: Account, columns: { ownerName: 'balance' } }),
    ).toThrow(/both map to column "balance"/);
    expect(
      () =>
        new PostgresBackend(new RecordingExecutor(), { entity: Account, columns: { nope: 'x' } as never }),
    ).toThrow(/unknown field "nope"/);
    for (const maxRowsPerInsert of [0, -1, 1.5]) {
      expect(
        () => new PostgresBackend(new RecordingExecutor(), { entity: Account, maxRowsPerInsert }),
      ).toThrow(ValidationError);
    }
  });

  it('quotes identifiers with quotes in them', async () => {
    const executor = new RecordingExecutor();
    const backend = new PostgresBackend(executor, {
      entity: Account,
      table: 'a"b',
      columns: { ownerName: 'o"n' },
    });
    await backend.count(undefined);
    expect(executor.statements[0]!.sql).toBe(
      'select count(*) as "count" from "a""b" where "closed_at" is null',
    );
    await backend.findByIds([1n]);
    expect(executor.statements[1]!.sql).toContain('"o""n" as "ownerName"');
  });
});
