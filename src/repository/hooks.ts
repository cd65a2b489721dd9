/**
 * Lifecycle hooks of a repository. `before*` hooks run before validation's result is
 * written and may return a replacement value; they run inside the write's transaction
 * when the backend has one, so throwing aborts the write. `after*` hooks run after the
 * write, inside the transaction too (use events for after-commit work).
 *
 * @example
 * ```ts
 * const hooks: RepositoryHooks<User, number, UserInput> = {
 *   beforeCreate: (input) => ({ ...input, email: input.email.toLowerCase() }),
 *   afterDelete: (id) => log.info({ id }, 'user deleted'),
 * };
 * ```
 */
export interface RepositoryHooks<T, ID, C> {
  /** Before an entity is created; may return a replacement input. */
  beforeCreate?(input: C): C | undefined | Promise<C | undefined>;
  /** After an entity was created, inside the transaction. */
  afterCreate?(entity: T): void | Promise<void>;
  /** Before an entity is updated; may return a replacement patch. */
  beforeUpdate?(id: ID, patch: Partial<T>): Partial<T> | undefined | Promise<Partial<T> | undefined>;
  /** After an entity was updated, inside the transaction. */
  afterUpdate?(entity: T, previous: T | null): void | Promise<void>;
  /** Before an entity is deleted; throw to refuse. */
  beforeDelete?(id: ID): void | Promise<void>;
  /** After an entity was deleted, inside the transaction. */
  afterDelete?(id: ID, previous: T | null): void | Promise<void>;
}

/**
 * Events a repository emits after a write has committed (never for a rolled-back one).
 *
 * @example
 * ```ts
 * users.events.on('updated', ({ entity, previous }) => notify(entity, previous));
 * ```
 */
export interface RepositoryEvents<T, ID> {
  created: { readonly entity: T };
  updated: { readonly entity: T; readonly previous: T | null };
  deleted: { readonly id: ID; readonly previous: T | null };
}
