import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Migration, MigrationProvider } from 'kysely';
import { ValidationError } from '../../../errors.js';
import { assertMigrationNames } from './migration-name.js';

const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

/**
 * Reads migrations from a folder: one module per migration, named
 * `YYYYMMDD_HHMMSS_description.{js,mjs,cjs,ts,mts,cts}`, exporting `up(db)` and
 * optionally `down(db)` (named exports, or a default export with both). Other files
 * (`.d.ts`, source maps, READMEs) are ignored; a module with a malformed name, two files
 * for one name, or a module without `up` is a `ValidationError` naming the file, before
 * any migration runs.
 *
 * @example
 * ```ts
 * // migrations/20240315_093000_create_users.ts
 * export async function up(db: Kysely<any>) {
 *   await db.schema.createTable('users').addColumn('id', 'bigserial', (c) => c.primaryKey()).execute();
 * } // create table "users" ("id" bigserial primary key)
 * export async function down(db: Kysely<any>) {
 *   await db.schema.dropTable('users').execute();
 * }
 *
 * const provider = new FolderMigrationProvider(new URL('./migrations', import.meta.url).pathname);
 * ```
 */
export class FolderMigrationProvider implements MigrationProvider {
  readonly #folder: string;

  constructor(folder: string) {
    this.#folder = path.resolve(folder);
  }

  /**
   * Reads the folder and imports every well-named migration file, keyed by its name.
   * A malformed name or an unreadable folder is a `ValidationError`.
   *
   * ```ts
   * const migrations = await new FolderMigrationProvider('./migrations').getMigrations();
   * ```
   */
  async getMigrations(): Promise<Record<string, Migration>> {
    let entries: string[];
    try {
      entries = await readdir(this.#folder);
    } catch (error) {
      throw new ValidationError(`Cannot read the migrations folder ${this.#folder}`, [], { cause: error });
    }
    const files = new Map<string, string>();
    for (const entry of entries.sort()) {
      if (entry.startsWith('.') || /\.d\.[cm]?ts$/.test(entry)) continue;
      const extension = MODULE_EXTENSIONS.find((candidate) => entry.endsWith(candidate));
      if (!extension) continue;
      const name = entry.slice(0, -extension.length);
      const clash = files.get(name);
      if (clash) {
        throw new ValidationError(
          `Migration ${JSON.stringify(name)} has two files in ${this.#folder}: ${path.basename(clash)} and ${entry}`,
        );
      }
      files.set(name, path.join(this.#folder, entry));
    }
    assertMigrationNames(files.keys(), `Migration files in ${this.#folder}`);
    const migrations: Record<string, Migration> = {};
    for (const [name, file] of files) migrations[name] = await loadMigration(file);
    return migrations;
  }
}

async function loadMigration(file: string): Promise<Migration> {
  const loaded = (await import(pathToFileURL(file).href)) as Partial<Migration> & {
    default?: Partial<Migration>;
  };
  const module = typeof loaded.up === 'function' ? loaded : (loaded.default ?? {});
  if (typeof module.up !== 'function') {
    throw new ValidationError(`Migration ${file} does not export an up(db) function`);
  }
  if (module.down !== undefined && typeof module.down !== 'function') {
    throw new ValidationError(`Migration ${file} exports a down that is not a function`);
  }
  return { up: module.up.bind(module), ...(module.down ? { down: module.down.bind(module) } : {}) };
}
