/** What a write did, as recorded in the audit trail. */
export type AuditAction = 'create' | 'update' | 'delete';

/** One audit entry. */
export interface AuditEntry {
  readonly entity: string;
  readonly entityId: string;
  readonly action: AuditAction;
  /** The entity before the write; null on create. */
  readonly before: unknown;
  /** The entity after the write; null on delete. */
  readonly after: unknown;
  /** Who did it, from `withContext({ actor })`; null when no context says. */
  readonly actor: string | null;
  readonly at: Date;
}

/**
 * Where a repository records its audit trail. The repository calls `record` inside the
 * same transaction as the write (through `Backend.runInTransaction`), so an entry exists
 * exactly when the write committed.
 *
 * @example
 * ```ts
 * const users = new BaseRepository({ entity: User, backend, audit: new PostgresAuditSink(connections) });
 * ```
 */
export interface AuditSink {
  /** Stores the entries of one write; called inside the write's transaction when there is one. */
  record(entries: readonly AuditEntry[]): Promise<void>;
}
