/**
 * Where a statement may run: `read` may go to a replica, `write` always goes to the primary.
 *
 * @example
 * ```ts
 * await executor.query('select * from users where id = $1', [id], { intent: 'read' });
 * ```
 */
export type QueryIntent = 'read' | 'write';

/**
 * Options of {@link SqlExecutor.query}.
 *
 * @example
 * ```ts
 * const options: QueryOptions = { intent: 'read', name: 'user_by_id', timeoutMs: 2000 };
 * ```
 */
export interface QueryOptions {
  /**
   * `read` statements may be served by a healthy replica (unless read-your-writes or an
   * open transaction sends them to the primary); `write` statements go to the primary.
   * @default 'write'
   */
  readonly intent?: QueryIntent;
  /**
   * Name of a server-side prepared statement. The same name must always carry the same
   * SQL text; use it for hot statements built once.
   * @default undefined (unnamed)
   */
  readonly name?: string;
  /**
   * Per-statement timeout in milliseconds, enforced by the server (`statement_timeout`);
   * the client gives up slightly later. 0 means no limit.
   * @default the executor's default (ConnectionManager: `statementTimeoutMs`, 30000)
   */
  readonly timeoutMs?: number;
}

/**
 * The rows a statement returned.
 *
 * @example
 * ```ts
 * const { rows, rowCount }: SqlResult<{ id: number }> = await executor.query('select id from users', []);
 * ```
 */
export interface SqlResult<R> {
  readonly rows: R[];
  readonly rowCount: number;
}

/**
 * Isolation levels of a transaction.
 *
 * @example
 * ```ts
 * await executor.transaction(work, { isolation: 'serializable' satisfies IsolationLevel });
 * ```
 */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/**
 * Options of {@link SqlExecutor.transaction}.
 *
 * @example
 * ```ts
 * await executor.transaction(work, { isolation: 'repeatable read', readOnly: true, retries: 0 });
 * ```
 */
export interface TransactionOptions {
  /** @default 'read committed' */
  readonly isolation?: IsolationLevel;
  /** @default false */
  readonly readOnly?: boolean;
  /**
   * How many times the whole function is run again after a serialization failure
   * (40001) or deadlock (40P01), with exponential backoff and jitter.
   * @default 3
   */
  readonly retries?: number;
}

/**
 * What the PostgreSQL backend needs of a connection layer: run a parameterised
 * statement on the right node, and run a function in a transaction that every
 * statement inside it joins (ambiently, through AsyncLocalStorage). Errors thrown are
 * reposit errors (SQLSTATE mapped), never pg's.
 *
 * @example
 * ```ts
 * const { rows } = await executor.query<{ id: number }>('select id from users where email = $1', [email], { intent: 'read' });
 * await executor.transaction(async () => { await executor.query('update ...', [...]); });
 * ```
 */
export interface SqlExecutor {
  /** Runs one statement (joining the ambient transaction, if any) with its values as parameters. */
  query<R = Record<string, unknown>>(
    sql: string,
    parameters: readonly unknown[],
    options?: QueryOptions,
  ): Promise<SqlResult<R>>;
  /** Runs `fn` in a transaction (a savepoint when one is already open). */
  transaction<R>(fn: () => Promise<R>, options?: TransactionOptions): Promise<R>;
  /**
   * Whether a read may be served by a replica (false when every read goes to the primary).
   * Left out, a caller assumes it may.
   */
  mayReadFromReplicas?(): boolean;
}
