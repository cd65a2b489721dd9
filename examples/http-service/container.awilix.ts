/**
 * Composition root 2: an awilix container. The resources that open asynchronously (the
 * configuration, the connections) are opened first and registered with their disposer;
 * everything else is a singleton the container constructs from the cradle (PROXY mode:
 * each constructor receives `{ connections, cache, … }`, the same object shape the plain
 * root passes by hand). `container.dispose()` closes what was resolved.
 */
import { type AwilixContainer, asClass, asFunction, asValue, createContainer, InjectionMode } from 'awilix';
import type { ConnectionManager } from '../../src/backends/postgres/index.js';
import type { CacheManager } from '../../src/index.js';
import { type AppConfig, loadAppConfig } from './app-config.js';
import { openCache, type ServiceCache } from './cache.js';
import { describeDatabase, openConnections } from './connections.js';
import { createHttpApp } from './http-app.js';
import { ensureNotesTable, NoteRepository } from './note.js';
import { NotesService } from './notes-service.js';
import type { ServiceApp } from './service-app.js';
import type { ServiceSettings } from './settings.js';
import { StatusService } from './status-service.js';

/** Everything the container can resolve, by name. */
export interface Cradle {
  readonly settings: ServiceSettings;
  readonly wiring: string;
  readonly config: AppConfig;
  readonly connections: ConnectionManager;
  readonly serviceCache: ServiceCache;
  readonly cache: CacheManager;
  readonly database: ReturnType<typeof describeDatabase>;
  readonly databaseSchema: string;
  readonly cursorSecret: string;
  readonly notes: NoteRepository;
  readonly notesService: NotesService;
  readonly statusService: StatusService;
  readonly httpApp: ServiceApp['handler'];
}

/** Builds the service through the container; on a failed start the container is disposed. */
export async function createAwilixApp(settings: ServiceSettings): Promise<ServiceApp> {
  const container: AwilixContainer<Cradle> = createContainer<Cradle>({
    injectionMode: InjectionMode.PROXY,
    strict: true,
  });
  try {
    const config = await loadAppConfig(settings);
    container.register(
      'config',
      asFunction(() => config)
        .singleton()
        .disposer((opened) => opened.close()),
    );
    container.resolve('config');
    const connections = await openConnections(settings);
    container.register(
      'connections',
      asFunction(() => connections)
        .singleton()
        .disposer((opened) => opened.close()),
    );
    container.resolve('connections');

    container.register({
      settings: asValue(settings),
      wiring: asValue('awilix'),
      database: asValue(describeDatabase(settings)),
      databaseSchema: asFunction(({ config }: Cradle) => config.get('database.schema')).singleton(),
      cursorSecret: asFunction(({ config }: Cradle) => config.get('notes.cursorSecret')).singleton(),
      serviceCache: asFunction(({ config }: Cradle) =>
        openCache({
          redisUrl: settings.redisUrl,
          namespace: config.get('cache.namespace'),
          ttlMs: config.get('cache.ttlMs'),
        }),
      )
        .singleton()
        .disposer((opened) => opened.close()),
      cache: asFunction(({ serviceCache }: Cradle) => serviceCache.cache).singleton(),
      notes: asClass(NoteRepository).singleton(),
      notesService: asClass(NotesService).singleton(),
      statusService: asClass(StatusService).singleton(),
      httpApp: asFunction(({ notesService, statusService }: Cradle) =>
        createHttpApp({ notesService, statusService }),
      ).singleton(),
    });

    await ensureNotesTable(container.cradle.connections, container.cradle.databaseSchema);
    return { wiring: 'awilix', handler: container.resolve('httpApp'), close: () => container.dispose() };
  } catch (error) {
    await container.dispose();
    throw error;
  }
}
