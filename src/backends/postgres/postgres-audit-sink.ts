import { sql } from 'kysely';
import type { SqlExecutor } from '../../connection/sql-executor.js';
import type { AuditEntry, AuditSink } from '../../repository/audit.js';
import { jsonReplacer } from './field-codec.js';
import { assertIdentifier } from './identifiers.js';
import { AUDIT_LOG_TABLE } from './migrations/reposit-migrations.js';
import { createQueryBuilder } from './query-builder.js';

/**
 * Options of {@link PostgresAuditSink}.
 *
 * @example
 * ```ts
 * const options: PostgresAuditSinkOptions = { schema: 'app' }; // insert into "app"."reposit_audit_log" ...
 * ```
 */
export interface PostgresAuditSinkOptions {
  /**
   * The audit table (created by `PostgresMigrator.forRepositTables()`).
   * @default 'reposit_audit_log'
   */
  readonly table?: string;
  /**
   * The schema of the audit table.
   * @default undefined (the connection's search_path)
   */
  readonly schema?: string;
}

/** Entries per INSERT statement: 7 parameters each, well under PostgreSQL's 65,535. */
const ENTRIES_PER_STATEMENT = 5000;

/**
 * Writes audit entries to `reposit_audit_log` through the executor, so they join the
 * ambient transaction: the repository records them inside the write's transaction, and
 * an entry exists exactly when the write committed. `before`/`after` are stored as
 * jsonb (bigints as strings, dates as ISO strings).
 *
 * @example
 * ```ts
 * const users = new BaseRepository({ entity: User, backend, audit: new PostgresAuditSink(connections) });
 * await withContext({ actor: 'admin' }, () => users.update(1, { name: 'Ada' }));
 * // insert into "reposit_audit_log" ("entity", "entity_id", "action", "before", "after", "actor", "at")
 * //   values ($1, $2, $3, $4, $5, $6, $7)   -- 'user', '1', 'update', '{…}', '{…}', 'admin', now
 * ```
 */
export class PostgresAuditSink implements AuditSink {
  readonly #executor: SqlExecutor;
  readonly #prefix: string;

  constructor(executor: SqlExecutor, options: PostgresAuditSinkOptions = {}) {
    this.#executor = executor;
    const table = assertIdentifier('table', options.table ?? AUDIT_LOG_TABLE);
    const target =
      options.schema === undefined
        ? sql.id(table)
        : sql.id(assertIdentifier('schema', options.schema), table);
    const columns = ['entity', 'entity_id', 'action', 'before', 'after', 'actor', 'at'].map((c) => sql.id(c));
    this.#prefix = sql`insert into ${target} (${sql.join(columns)}) values `.compile(
      createQueryBuilder(),
    ).sql;
  }

  /**
   * Inserts the entries (one statement per 5,000).
   *
   * @example
   * ```ts
   * await sink.record([{ entity: 'user', entityId: '1', action: 'delete', before: user, after: null, actor: null, at: new Date() }]);
   * ```
   */
  async record(entries: readonly AuditEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += ENTRIES_PER_STATEMENT) {
      const chunk = entries.slice(start, start + ENTRIES_PER_STATEMENT);
      const parameters: unknown[] = [];
      const tuples = chunk.map((entry) => {
        const base = parameters.length;
        parameters.push(
          entry.entity,
          entry.entityId,
          entry.action,
          toJson(entry.before),
          toJson(entry.after),
          entry.actor,
          entry.at,
        );
        return `(${Array.from({ length: 7 }, (_, index) => `$${base + index + 1}`).join(', ')})`;
      });
      await this.#executor.query(this.#prefix + tuples.join(', '), parameters, {
        intent: 'write',
      });
    }
  }
}

function toJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value, jsonReplacer);
}
