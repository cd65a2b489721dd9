import { createHash } from 'node:crypto';
import type { PgErrorPhase } from '../../../connection/pg-error-mapping.js';
import { ConflictError } from '../../../errors.js';
import type { ConfigSource, SourceSnapshot } from '../config-source.js';
import { type ConfigChange, type ConfigVersionDetail, diffEntries } from '../config-versions.js';
import { type ConfigObject, setPath } from '../object-path.js';
import { DatabaseListener } from './database-listener.js';
import { type ConfigTableOptions, ConfigTables, ensureConfigSchema } from './database-tables.js';
import { mapConfigPgError, type PgPoolClientLike, type PgPoolLike, resolvePool } from './pg-client.js';

/**
 * Options of {@link DatabaseSource}.
 *
 * @example
 * ```ts
 * const options: DatabaseSourceOptions = {
 *   connection: process.env.DATABASE_URL!,
 *   schema: 'app',
 *   table: 'settings',
 *   ensureSchema: true,
 * };
 * ```
 */
export interface DatabaseSourceOptions extends ConfigTableOptions {
  /** A `pg.Pool` (or anything {@link PgPoolLike}), or a connection string (needs the `pg` package). */
  readonly connection: PgPoolLike | string;
  /** The NOTIFY channel. @default derived from the schema and table names */
  readonly channel?: string;
  /** Whether to LISTEN for changes made by other processes. @default true */
  readonly listen?: boolean;
  /**
   * Where the LISTEN connection goes, when not to `connection`: a direct connection to
   * the primary when `connection` passes PgBouncer in transaction or statement mode (a
   * LISTEN there stays on whichever server connection ran it, and its notifications reach
   * another client or nobody). A pool or a connection string.
   * @default connection
   */
  readonly listenConnection?: PgPoolLike | string;
  /** Wait between attempts to re-establish LISTEN after the connection broke. @default 1000 */
  readonly reconnectDelayMs?: number;
  /** How many times a write without `expectedVersion` is retried after losing a race. @default 10 */
  readonly maxWriteAttempts?: number;
  /** Create the tables on start when they do not exist. @default false */
  readonly ensureSchema?: boolean;
  /** Shown by `explain()`. @default 'database' */
  readonly name?: string;
}

/**
 * A change to the database source's key/value rows: the current rows in, the next rows out.
 *
 * @example
 * ```ts
 * const raiseLimit: DatabaseMutation = (entries) => ({ ...entries, 'db.pool.max': 50 });
 * await database.write(raiseLimit, { actor: 'ops' });
 * ```
 */
export type DatabaseMutation = (entries: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/**
 * Options of {@link DatabaseSource.write}.
 *
 * @example
 * ```ts
 * await database.write(mutation, { expectedVersion: 7, actor: 'ada', message: 'sale' });
 * ```
 */
export interface DatabaseWriteOptions {
  /** Fail with `ConflictError` unless the current version is this one (optimistic locking). @default undefined (retry on the new state instead) */
  readonly expectedVersion?: number;
  /** Recorded as the version's actor. @default null */
  readonly actor?: string | null;
  /** Recorded as the version's message. @default null */
  readonly message?: string;
  /** Runs inside the transaction before anything is written; throw to reject the change. @default undefined */
  readonly validate?: (entries: Readonly<Record<string, unknown>>) => void;
}

/**
 * What a committed write produced.
 *
 * @example
 * ```ts
 * const result = await database.write((e) => ({ ...e, 'features.beta': true }));
 * result?.version; // the new version number
 * ```
 */
export interface DatabaseWriteResult {
  readonly version: number;
  readonly changes: readonly ConfigChange[];
  readonly entries: Readonly<Record<string, unknown>>;
}

interface HistoryRow {
  version: string | number;
  actor: string | null;
  created_at: Date;
  message: string | null;
  changes: { path: string; old?: unknown; new?: unknown }[];
  entries?: Record<string, unknown>;
}

/**
 * Configuration stored in PostgreSQL: one row per key (a dotted path and a JSON value)
 * and one row per version (who, when, the diff and the resulting state). A writer claims
 * version `n + 1` for the state it read at version `n`, so of two writers at the same
 * base one wins and the other retries on the new state, or fails with `ConflictError`
 * when it asked for an `expectedVersion` (optimistic locking for read-modify-write): no
 * change is lost. Writes through reposit also queue on a transaction-scoped advisory
 * lock, so a crowd of writers does not starve one of them with retries. Each commit sends
 * `NOTIFY` with the new version, and every process that LISTENs reloads.
 *
 * @example
 * ```ts
 * const database = new DatabaseSource({ connection: pool, schema: 'app', ensureSchema: true });
 * const config = await ConfigurationRepository.start({ schema, database });
 * ```
 */
export class DatabaseSource implements ConfigSource {
  readonly name: string;
  readonly tables: ConfigTables;
  readonly #options: DatabaseSourceOptions;
  #pool: Promise<{ pool: PgPoolLike; owned: boolean }> | undefined;
  #listenPool: Promise<{ pool: PgPoolLike; owned: boolean }> | undefined;
  #channel: string | undefined;
  #listener: DatabaseListener | undefined;
  #ensured: Promise<void> | undefined;

  constructor(options: DatabaseSourceOptions) {
    this.#options = options;
    this.name = options.name ?? 'database';
    this.tables = new ConfigTables(options);
  }

  /**
   * Creates the tables if they do not exist (idempotent, safe to race).
   *
   * @example
   * ```ts
   * await new DatabaseSource({ connection: pool }).ensureSchema();
   * ```
   */
  async ensureSchema(): Promise<void> {
    const pool = await this.#getPool();
    try {
      await ensureConfigSchema(pool, this.#options);
    } catch (error) {
      throw mapConfigPgError(error, 'transaction');
    }
  }

  async load(): Promise<SourceSnapshot> {
    await this.#ensure();
    const pool = await this.#getPool();
    const { version, entries } = await this.#read(pool);
    return { data: nest(entries), version };
  }

  /**
   * The key/value rows and version as they are now, read from the database.
   *
   * @example
   * ```ts
   * const { version, entries } = await database.entries();
   * ```
   */
  async entries(): Promise<{ version: number; entries: Record<string, unknown> }> {
    await this.#ensure();
    return this.#read(await this.#getPool());
  }

  async watch(onChange: () => void): Promise<() => Promise<void>> {
    if (this.#options.listen === false) return async () => {};
    const channel = await this.channel();
    let pool: PgPoolLike;
    try {
      pool = await this.#getListenPool();
    } catch (error) {
      throw mapConfigPgError(error, 'connect');
    }
    const listener = new DatabaseListener(
      pool,
      channel,
      { onNotify: onChange, onReconnect: onChange, onError: () => {} },
      this.#options.reconnectDelayMs ?? 1000,
    );
    try {
      await listener.start();
    } catch (error) {
      await listener.stop();
      throw mapConfigPgError(error, 'connect');
    }
    this.#listener = listener;
    return () => listener.stop();
  }

  /**
   * Applies `mutation` to the current rows in one transaction and records a version.
   * Returns `null` when the mutation changes nothing (no version is written). Prefer the
   * repository's `set`, which validates against the schema first.
   *
   * @example
   * ```ts
   * await database.write((entries) => ({ ...entries, 'db.pool.max': 20 }), { actor: 'ada' });
   * ```
   */
  async write(
    mutation: DatabaseMutation,
    options: DatabaseWriteOptions = {},
  ): Promise<DatabaseWriteResult | null> {
    await this.#ensure();
    const pool = await this.#getPool();
    const attempts = options.expectedVersion === undefined ? (this.#options.maxWriteAttempts ?? 10) : 1;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#tryWrite(pool, mutation, options);
      if (outcome !== 'lost-race') return outcome;
      if (options.expectedVersion !== undefined || attempt >= attempts) {
        const { version } = await this.#read(pool);
        throw new ConflictError(
          `Configuration changed concurrently: expected version ${options.expectedVersion ?? version - 1}, now ${version}`,
          { expectedVersion: options.expectedVersion, actualVersion: version, retryable: true },
        );
      }
      // Losers of a race retry on the new state, after a growing, jittered pause.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 2 ** attempt)));
    }
  }

  /**
   * Versions, newest first, optionally only those touching `path` (or a path inside or
   * around it). Values are not redacted here; the repository's `history` redacts them.
   *
   * @example
   * ```ts
   * const versions = await database.history('db.pool', 20);
   * ```
   */
  async history(path?: string, limit = 100): Promise<ConfigVersionDetail[]> {
    await this.#ensure();
    const pool = await this.#getPool();
    try {
      const { rows } = await pool.query(
        `SELECT version, actor, created_at, message, changes, entries FROM ${this.tables.versions}
          WHERE $1::text IS NULL OR EXISTS (
            SELECT 1 FROM jsonb_array_elements(changes) AS c
             WHERE c->>'path' = $1
                OR left(c->>'path', length($1) + 1) = $1 || '.'
                OR left($1, length(c->>'path') + 1) = (c->>'path') || '.')
          ORDER BY version DESC LIMIT $2`,
        [path ?? null, limit],
      );
      return (rows as unknown as HistoryRow[]).map(toVersion);
    } catch (error) {
      throw mapConfigPgError(error, 'read');
    }
  }

  /**
   * One version, or `undefined` when there is none with that number.
   *
   * @example
   * ```ts
   * const v3 = await database.getVersion(3);
   * ```
   */
  async getVersion(version: number): Promise<ConfigVersionDetail | undefined> {
    await this.#ensure();
    const pool = await this.#getPool();
    try {
      const { rows } = await pool.query(
        `SELECT version, actor, created_at, message, changes, entries FROM ${this.tables.versions} WHERE version = $1`,
        [version],
      );
      const row = rows[0] as unknown as HistoryRow | undefined;
      return row ? toVersion(row) : undefined;
    } catch (error) {
      throw mapConfigPgError(error, 'read');
    }
  }

  /**
   * The NOTIFY channel: the option, or a name derived from the (resolved) schema and table.
   *
   * @example
   * ```ts
   * await pool.query('SELECT pg_notify($1, $2)', [await database.channel(), '0']); // makes listeners reload
   * ```
   */
  async channel(): Promise<string> {
    if (this.#options.channel) return this.#options.channel;
    if (this.#channel) return this.#channel;
    let schema = this.tables.schema;
    if (schema === undefined) {
      const { rows } = await (await this.#getPool()).query('SELECT current_schema() AS schema');
      schema = String(rows[0]?.schema ?? 'public');
    }
    // Channels are database-wide and at most 63 bytes: a hash keeps them unique and short.
    const hash = createHash('sha256').update(`${schema}.${this.tables.table}`).digest('hex').slice(0, 16);
    this.#channel = `reposit_config_${hash}`;
    return this.#channel;
  }

  async close(): Promise<void> {
    await this.#listener?.stop();
    for (const resolving of [this.#listenPool, this.#pool]) {
      if (!resolving) continue;
      const { pool, owned } = await resolving.catch(() => ({ pool: undefined, owned: false }));
      if (owned) await pool?.end();
    }
  }

  async #tryWrite(
    pool: PgPoolLike,
    mutation: DatabaseMutation,
    options: DatabaseWriteOptions,
  ): Promise<DatabaseWriteResult | null | 'lost-race'> {
    let client: PgPoolClientLike;
    try {
      client = await pool.connect();
    } catch (error) {
      throw mapConfigPgError(error, 'connect');
    }
    let broken = false;
    let phase: PgErrorPhase = 'transaction';
    try {
      await client.query('BEGIN');
      // Writers through reposit queue here for the few milliseconds of a write instead of
      // racing and retrying (a crowd of optimistic retries can starve one writer). The
      // version's primary key below still stops any writer that does not take this lock.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [await this.channel()]);
      const current = await this.#read(client);
      if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) {
        throw new ConflictError(
          `Configuration is at version ${current.version}, not the expected ${options.expectedVersion}`,
          { expectedVersion: options.expectedVersion, actualVersion: current.version, retryable: true },
        );
      }
      const next = mutation(current.entries);
      const changes = diffEntries(current.entries, next);
      if (changes.length === 0) {
        await client.query('ROLLBACK');
        return null;
      }
      options.validate?.(next);
      const version = current.version + 1;
      // Claiming the version first makes a concurrent writer at the same base wait here and
      // then fail on the primary key, before either has touched a row.
      try {
        await client.query(
          `INSERT INTO ${this.tables.versions} (version, actor, message, changes, entries) VALUES ($1, $2, $3, $4, $5)`,
          [
            version,
            options.actor ?? null,
            options.message ?? null,
            JSON.stringify(changes.map(toRow)),
            JSON.stringify(next),
          ],
        );
      } catch (error) {
        if ((error as { code?: string }).code === '23505') {
          await client.query('ROLLBACK');
          return 'lost-race';
        }
        throw error;
      }
      for (const change of changes) {
        if (change.newValue === undefined) {
          await client.query(`DELETE FROM ${this.tables.entries} WHERE key = $1`, [change.path]);
        } else {
          await client.query(
            `INSERT INTO ${this.tables.entries} (key, value, version, updated_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version,
               updated_at = now(), updated_by = EXCLUDED.updated_by`,
            [change.path, JSON.stringify(change.newValue), version, options.actor ?? null],
          );
        }
      }
      await client.query('SELECT pg_notify($1, $2)', [await this.channel(), String(version)]);
      // A connection lost during COMMIT leaves the outcome unknown; the mapping says so.
      phase = 'commit';
      await client.query('COMMIT');
      return { version, changes, entries: next };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw mapConfigPgError(error, phase);
    } finally {
      client.release(broken);
    }
  }

  async #read(
    client: Pick<PgPoolLike, 'query'>,
  ): Promise<{ version: number; entries: Record<string, unknown> }> {
    try {
      // One statement, so the version and the rows come from one snapshot.
      const { rows } = await client.query(
        `SELECT (SELECT coalesce(max(version), 0) FROM ${this.tables.versions}) AS version,
                (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb) FROM ${this.tables.entries}) AS entries`,
      );
      const row = rows[0] as { version: string | number; entries: Record<string, unknown> };
      return { version: Number(row.version), entries: row.entries };
    } catch (error) {
      throw mapConfigPgError(error, 'read');
    }
  }

  #getPool(): Promise<PgPoolLike> {
    this.#pool ??= resolvePool(this.#options.connection);
    return this.#pool.then((resolved) => resolved.pool);
  }

  #getListenPool(): Promise<PgPoolLike> {
    const listenConnection = this.#options.listenConnection;
    if (listenConnection === undefined) return this.#getPool();
    this.#listenPool ??= resolvePool(listenConnection);
    return this.#listenPool.then((resolved) => resolved.pool);
  }

  #ensure(): Promise<void> {
    if (!this.#options.ensureSchema) return Promise.resolve();
    this.#ensured ??= this.ensureSchema().catch((error) => {
      this.#ensured = undefined;
      throw error;
    });
    return this.#ensured;
  }
}

/** Key/value rows as one nested object; a shorter key is applied before the keys inside it. */
export function nest(entries: Readonly<Record<string, unknown>>): ConfigObject {
  let data: ConfigObject = {};
  for (const key of Object.keys(entries).sort((a, b) => a.length - b.length || a.localeCompare(b))) {
    data = setPath(data, key, entries[key]);
  }
  return data;
}

function toRow(change: ConfigChange): { path: string; old?: unknown; new?: unknown } {
  return {
    path: change.path,
    ...(change.oldValue === undefined ? {} : { old: change.oldValue }),
    ...(change.newValue === undefined ? {} : { new: change.newValue }),
  };
}

function toVersion(row: HistoryRow): ConfigVersionDetail {
  return {
    version: Number(row.version),
    actor: row.actor,
    createdAt: row.created_at,
    message: row.message,
    changes: row.changes.map((c) => ({ path: c.path, oldValue: c.old, newValue: c.new })),
    entries: row.entries ?? {},
  };
}
