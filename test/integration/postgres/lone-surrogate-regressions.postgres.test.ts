import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PostgresBackend } from '../../../src/backends/postgres/index.js';
import { ConnectionManager } from '../../../src/connection/index.js';
import { ValidationError } from '../../../src/errors.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { defineEntity, type EntityType } from '../../../src/repository/entity.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';

const Note = defineEntity({ name: 'note', schema: z.object({ id: z.string(), text: z.string() }), id: 'id' });

describe('PostgresBackend text regressions found by the property tests', () => {
  let schema: TestSchema;
  let connections: ConnectionManager;
  let notes: BaseRepository<EntityType<typeof Note>, string, EntityType<typeof Note>>;

  beforeAll(async () => {
    schema = await createTestSchema('surrogate');
    await schema.sql('create table notes (id text primary key, text text not null)');
    connections = new ConnectionManager({ primary: { connectionString: databaseUrl() } });
    notes = new BaseRepository({
      entity: Note,
      backend: new PostgresBackend(connections, { entity: Note, table: 'notes', schema: schema.name }),
    });
  });
  afterAll(async () => {
    await connections?.close();
    await schema?.drop();
  });

  // A lone surrogate was sent as U+FFFD: create acknowledged "\ufffd" for "\ud800" and stored it.
  it('a string with an unpaired surrogate is a ValidationError and nothing is written', async () => {
    await expect(notes.create({ id: 'a', text: 'x\ud800y' })).rejects.toThrow(ValidationError);
    await expect(notes.create({ id: '\udc00', text: 'ok' })).rejects.toThrow(ValidationError);
    expect((await schema.sql('select count(*)::int as n from notes')).rows[0].n).toBe(0);
    // Well-formed pairs (emoji) are fine.
    expect((await notes.create({ id: 'b', text: 'smile \u{1F600}' })).text).toBe('smile \u{1F600}');
  });
});
