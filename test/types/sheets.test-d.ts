import type { sheets_v4 } from '@googleapis/sheets';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type SheetsApiClient,
  SheetsBackend,
  type SyncProgress,
  syncRepositories,
} from '../../src/backends/sheets/index.js';
import type { Backend } from '../../src/repository/backend.js';
import { BaseRepository } from '../../src/repository/base-repository.js';
import { defineEntity } from '../../src/repository/entity.js';

const Note = defineEntity({
  name: 'note',
  schema: z.object({ id: z.number().int(), text: z.string(), pinned: z.boolean() }),
  id: 'id',
  generated: ['id'],
});

declare const client: sheets_v4.Sheets;

describe('SheetsBackend types', () => {
  it('accepts the official client and infers the entity type from the entity', () => {
    expectTypeOf(client).toExtend<SheetsApiClient>();
    const backend = new SheetsBackend({ entity: Note, client, spreadsheetId: 'id', sheet: 'Notes' });
    expectTypeOf(backend).toExtend<Backend<{ id: number; text: string; pinned: boolean }, unknown>>();
    expectTypeOf(backend.insertMany).returns.resolves.toEqualTypeOf<
      { id: number; text: string; pinned: boolean }[]
    >();
  });

  it('only takes field names as column overrides and unique constraints', () => {
    new SheetsBackend({
      entity: Note,
      client,
      spreadsheetId: 'id',
      sheet: 'Notes',
      columns: { text: 'Text' },
      unique: [['text']],
    });
    new SheetsBackend({
      entity: Note,
      client,
      spreadsheetId: 'id',
      sheet: 'Notes',
      // @ts-expect-error not a field of the entity
      columns: { title: 'Title' },
    });
    // @ts-expect-error not a field of the entity
    new SheetsBackend({ entity: Note, client, spreadsheetId: 'id', sheet: 'Notes', unique: [['title']] });
  });

  it('syncs two repositories of the same entity', () => {
    const backend = new SheetsBackend({ entity: Note, client, spreadsheetId: 'id', sheet: 'Notes' });
    const repo = new BaseRepository({ entity: Note, backend });
    expectTypeOf(
      syncRepositories({
        entity: Note,
        sheet: repo,
        other: repo,
        state: { load: async () => undefined, save: async () => {} },
      }),
    ).resolves.toEqualTypeOf<SyncProgress>();
  });
});
