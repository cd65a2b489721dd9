import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * What two-way sync remembers between runs: for every id, a fingerprint of the entity
 * as both sides held it after the last successful sync of that id. It is how a sync tells
 * "created on one side" from "deleted on the other".
 *
 * @example
 * ```ts
 * const state: SyncState = { 'user:42': '{"name":"Ada"}' };
 * ```
 */
export type SyncState = Record<string, string>;

/**
 * Where sync keeps its {@link SyncState}. It is saved after every chunk, so an interrupted
 * sync resumes where it stopped.
 *
 * @example
 * ```ts
 * const store: SyncStateStore = fileSyncState('.reposit/users-sync.json');
 * ```
 */
export interface SyncStateStore {
  /** The state of the last sync, or undefined before the first. */
  load(): Promise<SyncState | undefined>;
  /** Stores the state after a chunk. */
  save(state: SyncState): Promise<void>;
}

/**
 * A state store in memory (for tests, or one long-running process).
 *
 * @example
 * ```ts
 * await syncRepositories({ ..., state: memorySyncState() });
 * ```
 */
export function memorySyncState(): SyncStateStore {
  let saved: SyncState | undefined;
  return {
    load: async () => (saved ? { ...saved } : undefined),
    save: async (state) => {
      saved = { ...state };
    },
  };
}

/**
 * A state store in a JSON file, replaced atomically (written beside it, then renamed).
 *
 * @example
 * ```ts
 * await syncRepositories({ ..., state: fileSyncState('/var/lib/app/users-sync.json') });
 * ```
 */
export function fileSyncState(path: string): SyncStateStore {
  return {
    async load() {
      try {
        return JSON.parse(await readFile(path, 'utf8')) as SyncState;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async save(state) {
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(state));
      await rename(temporary, path);
    },
  };
}
