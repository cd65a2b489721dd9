import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  PostgresAuditSink,
  PostgresBackend,
  PostgresMigrator,
} from '../../../src/backends/postgres/index.js';
import { ConnectionManager } from '../../../src/connection/index.js';
import { withContext } from '../../../src/context/request-context.js';
import { ValidationError } from '../../../src/errors.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { type CreateInputOf, defineEntity, type EntityType } from '../../../src/repository/entity.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';

const Account = defineEntity({
  name: 'account',
  schema: z.object({
    id: z.bigint(),
    owner: z.string(),
    balance: z.number().int(),
    version: z.number().int(),
  }),
  id: 'id',
  version: 'version',
});

describe('PostgresAuditSink', () => {
  let schema: TestSchema;
  let connections: ConnectionManager;
  let accounts: BaseRepository<EntityType<typeof Account>, bigint, CreateInputOf<typeof Account>>;

  beforeAll(async () => {
    schema = await createTestSchema('pgaudit');
    connections = new ConnectionManager({ primary: { connectionString: databaseUrl() } });
    await PostgresMigrator.forRepositTables({ pool: connections.primaryPool, schema: schema.name }).latest();
    await schema.sql(
      'create table account (id bigint primary key, owner text not null, balance integer not null check (balance >= 0), version integer not null)',
    );
    accounts = new BaseRepository({
      entity: Account,
      backend: new PostgresBackend(connections, { entity: Account, schema: schema.name }),
      audit: new PostgresAuditSink(connections, { schema: schema.name }),
    });
  });
  afterAll(async () => {
    await connections?.close();
    await schema?.drop();
  });
  beforeEach(async () => {
    await schema.sql('truncate account, reposit_audit_log');
  });

  const log = async () =>
    (
      await schema.sql(
        'select entity, entity_id, action, before, after, actor, at from reposit_audit_log order by id',
      )
    ).rows;

  it('records create, update and delete with the actor from the context, before and after as jsonb', async () => {
    await withContext({ actor: 'alice' }, async () => {
      await accounts.create({ id: 9_007_199_254_740_993n, owner: 'Ada', balance: 10 });
      await accounts.update(9_007_199_254_740_993n, { balance: 5 }, { expectedVersion: 1 });
    });
    await accounts.delete(9_007_199_254_740_993n);
    const entries = await log();
    expect(entries.map((entry) => [entry.entity, entry.entity_id, entry.action, entry.actor])).toEqual([
      ['account', '9007199254740993', 'create', 'alice'],
      ['account', '9007199254740993', 'update', 'alice'],
      ['account', '9007199254740993', 'delete', null],
    ]);
    expect(entries[0]!.before).toBeNull();
    expect(entries[0]!.after).toEqual({ id: '9007199254740993', owner: 'Ada', balance: 10, version: 1 });
    expect(entries[1]!.before).toMatchObject({ balance: 10, version: 1 });
    expect(entries[1]!.after).toMatchObject({ balance: 5, version: 2 });
    expect(entries[2]!.after).toBeNull();
    expect(entries.every((entry) => entry.at instanceof Date)).toBe(true);
  });

  it('writes one entry per created row, in the same statement batch', async () => {
    await accounts.createMany([
      { id: 1n, owner: 'A', balance: 1 },
      { id: 2n, owner: 'B', balance: 2 },
    ]);
    expect((await log()).map((entry) => entry.entity_id)).toEqual(['1', '2']);
  });

  it('leaves no entry when the write fails or its transaction rolls back', async () => {
    await accounts.create({ id: 1n, owner: 'A', balance: 1 });
    await expect(accounts.update(1n, { balance: -5 })).rejects.toBeInstanceOf(ValidationError);
    await expect(
      accounts.transaction(async () => {
        await accounts.update(1n, { owner: 'changed' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const entries = await log();
    expect(entries.map((entry) => entry.action)).toEqual(['create']);
    expect((await accounts.getOrFail(1n)).owner).toBe('A');
  });

  it('writes any number of entries, in statements of 5,000, atomically inside a transaction', async () => {
    const sink = new PostgresAuditSink(connections, { schema: schema.name });
    const at = new Date('2024-01-01T00:00:00Z');
    const entries = Array.from({ length: 5_001 }, (_, index) => ({
      entity: 'bulk',
      entityId: String(index),
      action: 'create' as const,
      before: null,
      after: { index, big: BigInt(index) },
      actor: null,
      at,
    }));
    await sink.record(entries);
    const { rows } = await schema.sql(
      `select count(*)::int as n, max((after->>'index')::int) as last, min(at) as at from reposit_audit_log where entity = 'bulk'`,
    );
    expect(rows[0]).toEqual({ n: 5_001, last: 5_000, at });
    await expect(
      connections.transaction(async () => {
        await sink.record(entries.map((entry) => ({ ...entry, entity: 'rolled back' })));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await schema.sql(`select 1 from reposit_audit_log where entity = 'rolled back'`)).rowCount).toBe(
      0,
    );
  });

  it('keeps hostile strings as values', async () => {
    const hostile = `'); delete from reposit_audit_log; --`;
    await withContext({ actor: hostile }, () => accounts.create({ id: 3n, owner: hostile, balance: 0 }));
    const [entry] = await log();
    expect(entry).toMatchObject({ actor: hostile, after: { owner: hostile } });
  });
});
