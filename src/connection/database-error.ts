import { type ErrorContext, RepositoryError } from '../errors.js';

/**
 * Context of a {@link DatabaseError}.
 *
 * @example
 * ```ts
 * throw new DatabaseError('Database error (SQLSTATE 42P01): relation "x" does not exist', { sqlstate: '42P01', cause });
 * ```
 */
export interface DatabaseErrorContext extends ErrorContext {
  /** The five-character SQLSTATE PostgreSQL reported, when it reported one. */
  readonly sqlstate?: string;
}

/**
 * A database error that has no more specific reposit class (a syntax error, an unknown
 * table, a permission problem …). Its `code` is `E_DATABASE`; `sqlstate` says what
 * PostgreSQL reported.
 *
 * @example
 * ```ts
 * try { await manager.query('select * from missing_table', []); }
 * catch (e) { if (e instanceof DatabaseError) console.log(e.sqlstate); } // '42P01'
 * ```
 */
export class DatabaseError extends RepositoryError {
  static override readonly kind: string = 'DatabaseError';
  /** The SQLSTATE PostgreSQL reported, when known. */
  readonly sqlstate: string | undefined;

  constructor(message: string, context: DatabaseErrorContext = {}) {
    super(message, 'E_DATABASE', context);
    this.sqlstate = context.sqlstate;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), sqlstate: this.sqlstate };
  }
}
