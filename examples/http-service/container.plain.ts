/**
 * Composition root 1: plain constructor injection. Every dependency is created here,
 * in order, with `new`, and handed to the constructors that need it — no container, no
 * decorators; the same services as `container.awilix.ts`.
 */
import { loadAppConfig } from './app-config.js';
import { openCache } from './cache.js';
import { describeDatabase, openConnections } from './connections.js';
import { createHttpApp } from './http-app.js';
import { ensureNotesTable, NoteRepository } from './note.js';
import { NotesService } from './notes-service.js';
import type { ServiceApp } from './service-app.js';
import type { ServiceSettings } from './settings.js';
import { StatusService } from './status-service.js';

/** Builds the service by hand; on a failed start, whatever was opened is closed again. */
export async function createPlainApp(settings: ServiceSettings): Promise<ServiceApp> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closeOne of closers.splice(0)) await closeOne();
  };
  try {
    const config = await loadAppConfig(settings);
    closers.unshift(() => config.close());
    const connections = await openConnections(settings);
    closers.unshift(() => connections.close());
    const serviceCache = openCache({
      redisUrl: settings.redisUrl,
      namespace: config.get('cache.namespace'),
      ttlMs: config.get('cache.ttlMs'),
    });
    closers.unshift(() => serviceCache.close());
    const databaseSchema = config.get('database.schema');
    await ensureNotesTable(connections, databaseSchema);

    const notes = new NoteRepository({
      connections,
      cache: serviceCache.cache,
      databaseSchema,
      cursorSecret: config.get('notes.cursorSecret'),
    });
    const notesService = new NotesService({ notes, config });
    const statusService = new StatusService({
      wiring: 'plain',
      connections,
      cache: serviceCache.cache,
      config,
      database: describeDatabase(settings),
    });
    return { wiring: 'plain', handler: createHttpApp({ notesService, statusService }), close };
  } catch (error) {
    await close();
    throw error;
  }
}
