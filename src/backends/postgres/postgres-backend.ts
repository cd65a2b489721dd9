import { createHash } from 'node:crypto';
import {
  type AliasedRawBuilder,
  type Expression,
  expressionBuilder,
  type Kysely,
  type RawBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import type { QueryOptions, SqlExecutor } from '../../connection/sql-executor.js';
import { ConflictError, formatId, NotFoundError, ValidationError } from '../../errors.js';
import type { Backend, BackendUpdateOptions } from '../../repository/backend.js';
import type { BackendQuery, Condition } from '../../repository/query.js';
import { ColumnMapping, type MappedColumn } from './column-mapping.js';
import { readColumnTypes } from './column-types.js';
import { compileCondition } from './condition-compiler.js';
import { withEntityContext } from './error-context.js';
import { assertIdentifier, toSnakeCase } from './identifiers.js';
import {
  type CompiledStatement,
  chunkRows,
  compileInsert,
  compileUnnestInsert,
  type InsertShape,
} from './insert-statement.js';
import type { EntityWithId, PostgresBackendConfig } from './postgres-backend-config.js';
import { createQueryBuilder } from './query-builder.js';

type Row = Record<string, unknown>;

/** A statement built once, with the options it always runs with. */
interface PreparedRead {
  readonly sql: string;
  readonly options: QueryOptions;
}

// biome-ignore lint/suspicious/noExplicitAny: tables are configured at run time, not typed
const EXPRESSIONS = expressionBuilder<any, any>();

/** From this many rows on, insertMany uses one `unnest` statement per chunk instead of VALUES. */
const UNNEST_THRESHOLD = 64;
/** Rows per `unnest` statement: bounds the memory of one statement, not its parameters. */
const UNNEST_CHUNK_ROWS = 10_000;

/**
 * The PostgreSQL storage adapter: maps an entity onto a table and runs every statement
 * through a `SqlExecutor` (the ConnectionManager), which owns routing, transactions,
 * retries and SQLSTATE mapping. Statements are built with Kysely (as a compiler only)
 * from identifiers the entity and the configuration declare; every value is a
 * parameter.
 *
 * - `findByIds` is one prepared statement, built once: `where "id" = any($1)`.
 * - `insertMany` is one multi-row `INSERT … RETURNING` per chunk, all chunks in one
 *   transaction.
 * - `update` is optimistic when the entity has a version field
 *   (`set "version" = "version" + 1 … where "version" = $n`); a row that is missing is a
 *   `NotFoundError`, a stale version a `ConflictError` with both versions.
 * - With `entity.softDeleteField`, `delete` stamps the field and every read skips
 *   stamped rows.
 *
 * @typeParam T - the entity type
 * @typeParam ID - the id type
 *
 * @example
 * ```ts
 * const connections = new ConnectionManager({ primary: { connectionString: process.env.DATABASE_URL } });
 * const backend = new PostgresBackend(connections, { entity: User, table: 'users' });
 * await backend.findByIds([1, 2]);
 * // select "id" as "id", "email" as "email", "created_at" as "createdAt", ...
 * //   from "users" where "id" = any($1)          -- parameters: [[1, 2]]
 * await backend.update(1, { name: 'Ada' }, { expectedVersion: 3 });
 * // update "users" set "name" = $1, "version" = "version" + 1
 * //   where "id" = $2 and "version" = $3 returning ...
 * ```
 */
export class PostgresBackend<T extends object, ID = unknown> implements Backend<T, ID> {
  /** `postgres`, for logs and metrics. */
  readonly kind = 'postgres';
  /** The entity this backend stores. */
  readonly entity: EntityWithId<T, ID>;
  /** The mapping between fields and columns. */
  readonly mapping: ColumnMapping;
  /** The table (unquoted). */
  readonly table: string;
  /** The table's schema, when configured. */
  readonly schema: string | undefined;

  readonly #executor: SqlExecutor;
  // biome-ignore lint/suspicious/noExplicitAny: tables are configured at run time, not typed
  readonly #db: Kysely<any>;
  readonly #id: MappedColumn;
  readonly #version: MappedColumn | undefined;
  readonly #softDelete: MappedColumn | undefined;
  readonly #createdAt: MappedColumn | undefined;
  readonly #selections: readonly AliasedRawBuilder<unknown, string>[];
  readonly #insertShape: InsertShape;
  readonly #maxRowsPerInsert: number | undefined;
  #columnTypesRead: Promise<Map<string, string> | undefined> | undefined;
  readonly #byIds: PreparedRead;
  readonly #byId: PreparedRead;
  readonly #encodeId: ((id: unknown) => unknown) | undefined;

  constructor(executor: SqlExecutor, config: PostgresBackendConfig<T, ID>) {
    const { entity } = config;
    this.entity = entity;
    this.#executor = executor;
    this.table = assertIdentifier('table', config.table ?? toSnakeCase(entity.name).replaceAll('-', '_'));
    this.schema = config.schema === undefined ? undefined : assertIdentifier('schema', config.schema);
    const maxRows = config.maxRowsPerInsert;
    if (maxRows !== undefined && !(Number.isInteger(maxRows) && maxRows > 0)) {
      throw new ValidationError(
        `PostgresBackend for ${entity.name}: maxRowsPerInsert must be a positive integer`,
      );
    }
    this.#maxRowsPerInsert = maxRows;
    this.mapping = new ColumnMapping(entity, config.columns ?? {});
    this.#id = this.mapping.get(entity.idField);
    this.#version = entity.versionField === undefined ? undefined : this.mapping.get(entity.versionField);
    this.#softDelete =
      entity.softDeleteField === undefined ? undefined : this.mapping.get(entity.softDeleteField);
    this.#createdAt =
      entity.createdAtField === undefined ? undefined : this.mapping.get(entity.createdAtField);
    this.#db =
      this.schema === undefined ? createQueryBuilder() : createQueryBuilder().withSchema(this.schema);
    this.#selections = this.mapping.columns.map((mapped) => sql`${sql.id(mapped.column)}`.as(mapped.field));

    const text = (expression: Expression<unknown>) => sql`${expression}`.compile(this.#db).sql;
    const target = text(this.schema === undefined ? sql.id(this.table) : sql.id(this.schema, this.table));
    this.#insertShape = {
      target,
      columns: this.mapping.columns,
      quotedColumns: this.mapping.columns.map((mapped) => text(sql.id(mapped.column))),
      returning: text(sql.join(this.#selections)),
    };

    // The hot path: compiled once, run as named prepared statements, so a call costs one
    // Bind/Execute and no statement building at all. One id (every uncoalesced getById)
    // gets `= $1`: sending and planning a one-element array costs about a tenth more.
    const idColumn = sql.id(this.#id.column);
    const prepare = (kind: string, compiled: { sql: string }): PreparedRead => {
      const digest = createHash('sha256').update(compiled.sql).digest('hex').slice(0, 16);
      const name = `reposit_${entity.name.slice(0, 30)}_${kind}_${digest}`;
      return {
        sql: compiled.sql,
        options: config.preparedStatements === false ? { intent: 'read' } : { intent: 'read', name },
      };
    };
    this.#byIds = prepare('by_ids', this.#selectLive().where(idColumn, '=', sql`any(${[]})`).compile());
    this.#byId = prepare('by_id', this.#selectLive().where(idColumn, '=', '').compile());
    const idKind = this.#id.codec.kind;
    this.#encodeId = idKind === 'string' || idKind === 'number' ? undefined : this.#id.codec.encode;
  }

  /**
   * Whether reads may be served by a replica: asks the executor (a `ConnectionManager`
   * says false without replicas); an executor that cannot tell is taken to say yes.
   *
   * @example
   * ```ts
   * new PostgresBackend(db, { entity: User, table: 'users' }).mayReadFromReplicas();
   * ```
   */
  mayReadFromReplicas(): boolean {
    return this.#executor.mayReadFromReplicas?.() ?? true;
  }

  /**
   * The entities with these ids (absent and soft-deleted ones are left out), with one
   * named prepared statement whatever the number of ids.
   *
   * @example
   * ```ts
   * await backend.findByIds([1, 2, 3]);
   * // select "id" as "id", ... from "users" where "id" = any($1)   -- [[1, 2, 3]]
   * await backend.findByIds([7]);
   * // select "id" as "id", ... from "users" where "id" = $1        -- [7]
   * ```
   */
  async findByIds(ids: readonly ID[]): Promise<T[]> {
    if (ids.length === 0) return [];
    const encode = this.#encodeId;
    const single = ids.length === 1;
    const parameter = single
      ? encode === undefined
        ? ids[0]
        : encode(ids[0])
      : encode === undefined
        ? ids
        : ids.map(encode);
    const statement = single ? this.#byId : this.#byIds;
    let rows: Row[];
    try {
      ({ rows } = await this.#executor.query<Row>(statement.sql, [parameter], statement.options));
    } catch (error) {
      throw withEntityContext(error, this.entity.name);
    }
    const mapping = this.mapping;
    for (let index = 0; index < rows.length; index += 1) mapping.decodeRow(rows[index]!);
    return rows as T[];
  }

  /**
   * The entities matching a query, in its order, with its limit and offset.
   *
   * @example
   * ```ts
   * await backend.find({
   *   where: { kind: 'field', field: 'age', op: 'gte', value: 18 },
   *   orderBy: [{ field: 'name', direction: 'asc' }, { field: 'id', direction: 'asc' }],
   *   limit: 20,
   *   offset: 40,
   * });
   * // select ... from "users" where "age" >= $1 order by "name" asc, "id" asc limit $2 offset $3
   * ```
   */
  async find(query: BackendQuery): Promise<T[]> {
    let builder = this.#selectLive(query.where);
    for (const sort of query.orderBy) {
      builder = builder.orderBy(
        sql.id(this.mapping.column(sort.field)),
        sort.direction === 'desc' ? 'desc' : 'asc',
      );
    }
    if (query.limit !== undefined) builder = builder.limit(requireCount('limit', query.limit));
    if (query.offset !== undefined) builder = builder.offset(requireCount('offset', query.offset));
    const rows = await this.#run(builder, 'read');
    return rows.map((row) => this.mapping.decodeRow<T>(row));
  }

  /**
   * How many (live) entities match.
   *
   * @example
   * ```ts
   * await backend.count({ kind: 'field', field: 'active', op: 'eq', value: true });
   * // select count(*) as "count" from "users" where "active" = $1
   * ```
   */
  async count(where: Condition | undefined): Promise<number> {
    const select = this.#db.selectFrom(this.table).select(sql`count(*)`.as('count'));
    const filter = this.#liveFilter(where);
    const rows = await this.#run(filter ? select.where(filter) : select, 'read');
    return Number(rows[0]?.count ?? 0);
  }

  /**
   * Inserts rows atomically and returns them as stored, in input order: one multi-row
   * `INSERT … RETURNING` per chunk of at most 65,000 parameters, all chunks in one
   * transaction. A version field the rows leave out starts at 1.
   *
   * @example
   * ```ts
   * await backend.insertMany([{ email: 'a@x', name: 'A' }, { email: 'b@x', name: 'B' }]);
   * // insert into "users" ("email", "name", "version") values ($1, $2, $3), ($4, $5, $6)
   * //   returning "id" as "id", ...
   * ```
   */
  async insertMany(rows: readonly Partial<T>[]): Promise<T[]> {
    if (rows.length === 0) return [];
    const prepared = rows.map((row) => this.#withInsertDefaults(row as Row));
    for (const row of prepared) this.mapping.assertFields(row);
    const columnTypes = prepared.length >= UNNEST_THRESHOLD ? await this.#columnTypes() : undefined;
    const bulkChunks = columnTypes && this.#unnestChunks(prepared, columnTypes);
    const chunks = bulkChunks ?? chunkRows(prepared, this.mapping.columns.length, this.#maxRowsPerInsert);
    const insertAll = async (): Promise<T[]> => {
      const stored: T[] = [];
      for (const chunk of chunks) {
        const { sql: text, parameters } = 'sql' in chunk ? chunk : compileInsert(this.#insertShape, chunk);
        const { rows: returned } = await this.#executor.query<Row>(text, parameters, { intent: 'write' });
        // PostgreSQL returns the rows of a plain INSERT … VALUES (or … SELECT FROM unnest) in input order.
        for (const row of returned) stored.push(this.mapping.decodeRow<T>(row));
      }
      return stored;
    };
    try {
      return chunks.length === 1 ? await insertAll() : await this.#executor.transaction(insertAll);
    } catch (error) {
      const onlyId = rows.length === 1 ? (rows[0] as Row)[this.#id.field] : undefined;
      throw withEntityContext(error, this.entity.name, onlyId);
    }
  }

  /**
   * Applies a patch and returns the stored entity. With a version field the update is
   * optimistic: the version is incremented, and `expectedVersion` is compared in the
   * same statement. When no row matched, a follow-up read tells a missing (or
   * soft-deleted) row, `NotFoundError`, from a stale version, `ConflictError`.
   *
   * @example
   * ```ts
   * await backend.update(42, { name: 'Ada' }, { expectedVersion: 3 });
   * // update "users" set "name" = $1, "version" = "version" + 1
   * //   where "id" = $2 and "version" = $3 returning ...
   * // ConflictError: user 42 was changed concurrently: expected version 3, found 4
   * ```
   */
  async update(id: ID, patch: Partial<T>, options: BackendUpdateOptions = {}): Promise<T> {
    const { expectedVersion } = options;
    const version = this.#version;
    if (expectedVersion !== undefined && version === undefined) {
      throw new ValidationError(
        `${this.entity.name} has no version field, so an update cannot check expectedVersion`,
        [{ path: 'expectedVersion', message: 'the entity has no version field', code: 'unsupported' }],
        { entity: this.entity.name, id },
      );
    }
    const values: Row = { ...(patch as Row) };
    delete values[this.#id.field];
    if (version) delete values[version.field];
    const set: Row = Object.fromEntries(this.mapping.toColumnValues(values));
    if (version) set[version.column] = sql`${sql.id(version.column)} + 1`;
    if (Object.keys(set).length === 0) {
      // Nothing to write and no version to bump: the update is a read.
      const [current] = await this.findByIds([id]);
      if (!current) throw NotFoundError.forId(this.entity.name, id);
      return current;
    }
    let builder = this.#db
      .updateTable(this.table)
      .set(set)
      .where(sql.id(this.#id.column), '=', this.#id.codec.encode(id));
    const live = this.#liveFilter(undefined);
    if (live) builder = builder.where(live);
    if (version && expectedVersion !== undefined) {
      builder = builder.where(sql.id(version.column), '=', expectedVersion);
    }
    const rows = await this.#run(builder.returning(this.#selections), 'write', id);
    const [row] = rows;
    if (row) return this.mapping.decodeRow<T>(row);
    throw await this.#explainMissedUpdate(id, expectedVersion);
  }

  /**
   * Inserts the row, or replaces the stored row with the same id
   * (`INSERT … ON CONFLICT (id) DO UPDATE`). A replaced row keeps its creation time and
   * fields the row leaves out, and its version is incremented; a soft-deleted row is
   * replaced as if it were new (its version and creation time start over).
   *
   * @example
   * ```ts
   * await backend.upsert({ id: 7, email: 'g@x', name: 'Grace', version: 1, createdAt: now });
   * // insert into "users" ("id", "email", "name", "version", "created_at") values ($1, $2, $3, $4, $5)
   * //   on conflict ("id") do update set "email" = excluded."email", "name" = excluded."name",
   * //   "version" = "users"."version" + 1 returning "id" as "id", ...
   * ```
   */
  async upsert(row: Partial<T>): Promise<T> {
    const prepared = this.#withInsertDefaults(row as Row);
    const softDelete = this.#softDelete;
    if (softDelete && prepared[softDelete.field] === undefined) prepared[softDelete.field] = null;
    const pairs = this.mapping.toColumnValues(prepared);
    const stored = (column: string) => sql`${sql.id(this.table)}.${sql.id(column)}`;
    const incoming = (column: string) => sql`excluded.${sql.id(column)}`;
    // A soft-deleted row is gone as far as callers know: replacing it starts afresh.
    const keepUnlessDeleted = (kept: RawBuilder<unknown>, column: string) =>
      softDelete
        ? sql`case when ${stored(softDelete.column)} is null then ${kept} else ${incoming(column)} end`
        : kept;
    const createdAt = this.#createdAt?.column;
    const version = this.#version?.column;
    const updates: Row = {};
    for (const [column] of pairs) {
      if (column === this.#id.column) continue;
      if (column === version) updates[column] = keepUnlessDeleted(sql`${stored(column)} + 1`, column);
      else if (column === createdAt) updates[column] = keepUnlessDeleted(stored(column), column);
      else updates[column] = incoming(column);
    }
    const idColumn = this.#id.column;
    // With nothing else to set, "update" the id to itself so RETURNING still yields the row.
    if (Object.keys(updates).length === 0) updates[idColumn] = incoming(idColumn);
    const builder = this.#db
      .insertInto(this.table)
      .values(Object.fromEntries(pairs))
      .onConflict((conflict) => conflict.column(idColumn).doUpdateSet(updates))
      .returning(this.#selections);
    const [result] = await this.#run(builder, 'write', prepared[this.#id.field]);
    return this.mapping.decodeRow<T>(result!);
  }

  /**
   * Deletes the entity, or stamps its soft-delete field; false when it was not there
   * (or was already soft-deleted).
   *
   * @example
   * ```ts
   * await backend.delete(42);
   * // delete from "users" where "id" = $1
   * // with softDelete: update "users" set "deleted_at" = $1 where "deleted_at" is null and "id" = $2
   * ```
   */
  async delete(id: ID): Promise<boolean> {
    const idColumn = sql.id(this.#id.column);
    const encodedId = this.#id.codec.encode(id);
    const softDelete = this.#softDelete;
    const builder = softDelete
      ? this.#db
          .updateTable(this.table)
          .set({ [softDelete.column]: softDelete.codec.encode(new Date()) })
          .where(idColumn, '=', encodedId)
          .where(sql<SqlBool>`${sql.id(softDelete.column)} is null`)
      : this.#db.deleteFrom(this.table).where(idColumn, '=', encodedId);
    const { sql: text, parameters } = builder.compile();
    try {
      const result = await this.#executor.query(text, parameters, { intent: 'write' });
      return result.rowCount > 0;
    } catch (error) {
      throw withEntityContext(error, this.entity.name, id);
    }
  }

  /**
   * Runs `fn` in a transaction of the executor; every backend call inside joins it.
   *
   * @example
   * ```ts
   * await backend.runInTransaction(async () => {
   *   await backend.update(1, { balance: 90 }, {});
   *   await backend.update(2, { balance: 110 }, {});
   * }); // BEGIN; update …; update …; COMMIT
   * ```
   */
  runInTransaction<R>(fn: () => Promise<R>): Promise<R> {
    return this.#executor.transaction(fn);
  }

  /** `select <mapped columns> from <table>` limited to live rows matching `where`. */
  #selectLive(where?: Condition) {
    const builder = this.#db.selectFrom(this.table).select(this.#selections);
    const filter = this.#liveFilter(where);
    return filter ? builder.where(filter) : builder;
  }

  /** The soft-delete filter (when the entity has one) and the compiled condition. */
  #liveFilter(where: Condition | undefined): Expression<SqlBool> | undefined {
    const parts: Expression<SqlBool>[] = [];
    if (this.#softDelete) parts.push(sql<SqlBool>`${sql.id(this.#softDelete.column)} is null`);
    if (where) parts.push(compileCondition(EXPRESSIONS, this.mapping, where));
    return parts.length > 1 ? EXPRESSIONS.and(parts) : parts[0];
  }

  /** Runs a Kysely builder through the executor, adding entity context to errors. */
  async #run(
    builder: { compile(): { sql: string; parameters: readonly unknown[] } },
    intent: 'read' | 'write',
    id?: unknown,
  ): Promise<Row[]> {
    const { sql: text, parameters } = builder.compile();
    try {
      const { rows } = await this.#executor.query<Row>(text, parameters, { intent });
      return rows;
    } catch (error) {
      throw withEntityContext(error, this.entity.name, id);
    }
  }

  /** A copy of the row with the version field set to 1 when the row leaves it out. */
  /** The rows as `unnest` statements, or undefined when they cannot all go that way. */
  #unnestChunks(
    rows: readonly Row[],
    columnTypes: ReadonlyMap<string, string>,
  ): CompiledStatement[] | undefined {
    const statements: CompiledStatement[] = [];
    for (const chunk of chunkRows(rows, 1, this.#maxRowsPerInsert ?? UNNEST_CHUNK_ROWS)) {
      const statement = compileUnnestInsert(this.#insertShape, chunk, columnTypes);
      if (!statement) return undefined;
      statements.push(statement);
    }
    return statements;
  }

  /** The table's column types, read once (bulk inserts cast their arrays to them). */
  #columnTypes(): Promise<Map<string, string> | undefined> {
    this.#columnTypesRead ??= readColumnTypes(this.#executor, this.#insertShape.target).catch(() => {
      this.#columnTypesRead = undefined;
      return undefined;
    });
    return this.#columnTypesRead;
  }

  #withInsertDefaults(row: Row): Row {
    const prepared: Row = { ...row };
    if (this.#version && prepared[this.#version.field] === undefined) prepared[this.#version.field] = 1;
    return prepared;
  }

  /** Why an update matched no row: the row is gone, or its version moved on. */
  async #explainMissedUpdate(id: ID, expectedVersion: number | undefined): Promise<Error> {
    const version = this.#version;
    const select = this.#db
      .selectFrom(this.table)
      .select(version ? sql`${sql.id(version.column)}`.as('version') : sql`1`.as('version'))
      .where(sql.id(this.#id.column), '=', this.#id.codec.encode(id));
    const live = this.#liveFilter(undefined);
    // 'write' intent: the answer must come from the primary that refused the update.
    const [current] = await this.#run(live ? select.where(live) : select, 'write', id);
    if (!current || expectedVersion === undefined) return NotFoundError.forId(this.entity.name, id);
    const actualVersion = Number(current.version);
    return new ConflictError(
      `${this.entity.name} ${formatId(id)} was changed concurrently: expected version ${expectedVersion}, found ${actualVersion}`,
      { entity: this.entity.name, id, expectedVersion, actualVersion },
    );
  }
}

function requireCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new ValidationError(`${name} must be a non-negative integer, got ${String(value)}`, [
      { path: name, message: 'must be a non-negative integer', code: 'invalid_type' },
    ]);
  }
  return value;
}
