/**
 * The example's one entity: a note with a unique title, optimistic locking and
 * timestamps, and the repository that stores it in PostgreSQL behind the cache.
 */
import { z } from 'zod';
import { type ConnectionManager, PostgresBackend } from '../../src/backends/postgres/index.js';
import {
  BaseRepository,
  type CacheManager,
  type CreateInputOf,
  defineEntity,
  type EntityType,
} from '../../src/index.js';

export const Note = defineEntity({
  name: 'note',
  schema: z.object({
    id: z.number().int().positive(),
    title: z.string().trim().min(1).max(120),
    body: z.string().max(10_000),
    version: z.number().int(),
    createdAt: z.date(),
    updatedAt: z.date(),
  }),
  id: 'id',
  generated: ['id'],
  version: 'version',
  timestamps: { createdAt: 'createdAt', updatedAt: 'updatedAt' },
});

/** A stored note. */
export type Note = EntityType<typeof Note>;

/** What the repository needs; both composition roots hand it these. */
export interface NoteRepositoryDependencies {
  readonly connections: ConnectionManager;
  readonly cache: CacheManager;
  /** The PostgreSQL schema holding the `notes` table. */
  readonly databaseSchema: string;
  /** Signs the keyset cursors of `list`, so that a tampered cursor is a 400. */
  readonly cursorSecret: string;
}

/** Notes in PostgreSQL (reads may go to a replica), cached in L1 (and Redis when configured). */
export class NoteRepository extends BaseRepository<Note, number, CreateInputOf<typeof Note>> {
  constructor({ connections, cache, databaseSchema, cursorSecret }: NoteRepositoryDependencies) {
    super({
      entity: Note,
      backend: new PostgresBackend(connections, { entity: Note, schema: databaseSchema, table: 'notes' }),
      cache: cache.forEntity(Note),
      cursorSecret,
    });
  }
}

/**
 * Creates the table when it is missing; the schema name comes from the validated
 * configuration (a plain identifier), never from a request.
 */
export async function ensureNotesTable(
  connections: ConnectionManager,
  databaseSchema: string,
): Promise<void> {
  await connections.query(`create schema if not exists "${databaseSchema}"`, []);
  await connections.query(
    `create table if not exists "${databaseSchema}".notes (
       id bigserial primary key,
       title text not null unique,
       body text not null,
       version integer not null,
       created_at timestamptz not null,
       updated_at timestamptz not null)`,
    [],
  );
}
