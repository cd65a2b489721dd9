import type { Backend } from '../../repository/backend.js';
import type { MigrationSide } from './migration-phase.js';

/**
 * One side of a migration as the adapter sees it: the `Backend` operations in terms of
 * the new entity, plus `mirror`, which makes the side hold exactly a given entity (or
 * nothing) and does nothing when it already does, so replaying it is harmless.
 *
 * @example
 * ```ts
 * await store.mirror('c-42', entity); // idempotent by id
 * ```
 */
export interface MigrationStore<T extends object, ID> extends Omit<Backend<T, ID>, 'kind' | 'close'> {
  readonly side: MigrationSide;
  mirror(id: ID, entity: T | null): Promise<void>;
}
