import { formatId, isRepositoryError } from '../../errors.js';

/**
 * Adds the entity name (and the id, when there is one) to a reposit error that the
 * executor raised without them, so that `DuplicateError: duplicate key value …` reads
 * `user 42: duplicate key value …` and carries `entity`/`id` for handlers. Errors that
 * already name an entity and non-reposit values are returned unchanged.
 *
 * @example
 * ```ts
 * try { await executor.query(sql, parameters); }
 * catch (error) { throw withEntityContext(error, 'user', 42); }
 * ```
 */
export function withEntityContext(error: unknown, entity: string, id?: unknown): unknown {
  if (!isRepositoryError(error) || error.entity !== undefined) return error;
  const subject = id === undefined ? entity : `${entity} ${formatId(id)}`;
  // The fields are readonly for callers; filling them in once, here, before anyone
  // else sees the error keeps its class, stack and cause intact.
  Object.assign(error, { entity, id, message: `${subject}: ${error.message}` });
  return error;
}
