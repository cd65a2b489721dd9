/**
 * reposit's error hierarchy. Every error a caller can see is a {@link RepositoryError}
 * with a stable `code`, a `retryable` flag, the original `cause` and context fields.
 *
 * `instanceof` works across the ESM and CJS builds of the package (and across two
 * copies of reposit in one process): each instance carries a brand registered with
 * `Symbol.for`, and every class checks the brand instead of its prototype chain.
 *
 * @module
 */

const KINDS = Symbol.for('reposit.error.kinds');

/** One issue of a failed validation: where it is and what is wrong. */
export interface ValidationIssue {
  /** Dotted path of the field, e.g. `address.zip`; empty for the whole value. */
  readonly path: string;
  /** What is wrong, in words a person can act on. */
  readonly message: string;
  /** The zod issue code, or a reposit code such as `unknown_field`. */
  readonly code: string;
}

/** Context that every error may carry. */
export interface ErrorContext {
  /** Entity name, e.g. `user`. */
  readonly entity?: string;
  /** The id the operation was about. */
  readonly id?: unknown;
  /** The error this one wraps (driver error, zod error …). */
  readonly cause?: unknown;
  /** Whether repeating the same operation may succeed; each class has a default. */
  readonly retryable?: boolean;
}

type Branded = { [KINDS]?: readonly string[] };

function hasKind(value: unknown, kind: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const kinds = (value as Branded)[KINDS];
  return Array.isArray(kinds) && kinds.includes(kind);
}

/**
 * The base of every error reposit throws.
 *
 * @example
 * ```ts
 * try {
 *   await users.getOrFail(42);
 * } catch (error) {
 *   if (error instanceof RepositoryError && error.retryable) scheduleRetry();
 *   else throw error;
 * }
 * ```
 */
export class RepositoryError extends Error {
  /** The brand name of this class; `instanceof` compares it, not prototypes. */
  static readonly kind: string = 'RepositoryError';
  /** Stable machine-readable code, e.g. `E_NOT_FOUND`. */
  readonly code: string;
  /** Whether the same operation may succeed if repeated. */
  readonly retryable: boolean;
  /** Entity name, when the error is about one. */
  readonly entity: string | undefined;
  /** The id the operation was about, when there is one. */
  readonly id: unknown;

  constructor(message: string, code = 'E_REPOSITORY', context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    // Our classes name themselves by `kind`, so the name survives bundlers that rename
    // classes; an application's own subclass without a `kind` keeps its class name.
    this.name = Object.hasOwn(new.target, 'kind')
      ? (new.target as typeof RepositoryError).kind
      : new.target.name;
    this.code = code;
    this.retryable = context.retryable ?? false;
    this.entity = context.entity;
    this.id = context.id;
    const kinds: string[] = [];
    for (let ctor: unknown = new.target; typeof ctor === 'function'; ctor = Object.getPrototypeOf(ctor)) {
      const kind = (ctor as { kind?: unknown }).kind;
      if (typeof kind === 'string' && Object.hasOwn(ctor as object, 'kind')) kinds.push(kind);
    }
    Object.defineProperty(this, KINDS, { value: Object.freeze(kinds), enumerable: false });
  }

  /** Brand check: true for an instance of this class or a subclass from any copy of reposit (ESM or CJS build), not only this module's. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasKind(value, this.kind);
  }

  /** A plain object for logs and JSON responses; never includes the cause's secrets. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      entity: this.entity,
      id: this.id,
    };
  }
}

/**
 * The entity asked for does not exist.
 *
 * @example
 * ```ts
 * const user = await users.getOrFail(42); // throws NotFoundError when absent
 * ```
 */
export class NotFoundError extends RepositoryError {
  static override readonly kind: string = 'NotFoundError';
  constructor(message: string, context: ErrorContext = {}) {
    super(message, 'E_NOT_FOUND', context);
  }

  /** The standard message for an id that is not there. */
  static forId(entity: string, id: unknown): NotFoundError {
    return new NotFoundError(`${entity} ${formatId(id)} does not exist`, { entity, id });
  }
}

/**
 * Input does not satisfy the schema, or a query names an unknown field or a value
 * of the wrong type. Carries every issue at once.
 *
 * @example
 * ```ts
 * try { await users.create({ email: 'nope' }); }
 * catch (e) { if (e instanceof ValidationError) console.log(e.issues); }
 * // [{ path: 'email', message: 'Invalid email address', code: 'invalid_format' }]
 * ```
 */
export class ValidationError extends RepositoryError {
  static override readonly kind: string = 'ValidationError';
  /** Every problem found, each with its field path. */
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[] = [], context: ErrorContext = {}) {
    super(message, 'E_VALIDATION', context);
    this.issues = issues;
  }

  /** The field paths named by the issues. */
  get paths(): string[] {
    return this.issues.map((issue) => issue.path);
  }

  /** Builds the error from issues, with a message that lists them. */
  static fromIssues(
    what: string,
    issues: readonly ValidationIssue[],
    context: ErrorContext = {},
  ): ValidationError {
    const list = issues
      .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
      .join('; ');
    return new ValidationError(`${what}: ${list}`, issues, context);
  }

  /** Builds the error from a zod error (anything with an `issues` array of zod issues). */
  static fromZod(
    what: string,
    error: { issues: readonly ZodLikeIssue[] },
    context: ErrorContext = {},
  ): ValidationError {
    const issues = error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
      code: String(issue.code),
    }));
    return ValidationError.fromIssues(what, issues, { ...context, cause: error });
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}

interface ZodLikeIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code: unknown;
}

/** Context of a {@link DuplicateError}. */
export interface DuplicateContext extends ErrorContext {
  /** The unique constraint (or index) that clashed. */
  readonly constraint?: string;
  /** The columns of that constraint, when known. */
  readonly columns?: readonly string[];
}

/**
 * A unique constraint clashed: the value is already taken.
 *
 * @example
 * ```ts
 * try { await users.create({ email: 'a@example.com', name: 'A' }); }
 * catch (e) { if (e instanceof DuplicateError) reply(409, `${e.columns} already taken`); }
 * ```
 */
export class DuplicateError extends RepositoryError {
  static override readonly kind: string = 'DuplicateError';
  /** The unique constraint that clashed, when known. */
  readonly constraint: string | undefined;
  /** The columns of that constraint, when known. */
  readonly columns: readonly string[];

  constructor(message: string, context: DuplicateContext = {}) {
    super(message, 'E_DUPLICATE', context);
    this.constraint = context.constraint;
    this.columns = context.columns ?? [];
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), constraint: this.constraint, columns: this.columns };
  }
}

/** Context of a {@link ConflictError}. */
export interface ConflictContext extends ErrorContext {
  /** The version the caller expected. */
  readonly expectedVersion?: number;
  /** The version the store holds. */
  readonly actualVersion?: number;
}

/**
 * A concurrent change won: a stale `expectedVersion`, or a serialization failure or
 * deadlock (retryable: run the whole transaction again).
 *
 * @example
 * ```ts
 * try { await users.update(id, { name }, { expectedVersion: 3 }); }
 * catch (e) { if (e instanceof ConflictError) reload(e.actualVersion); }
 * ```
 */
export class ConflictError extends RepositoryError {
  static override readonly kind: string = 'ConflictError';
  /** The version the caller expected, for optimistic-lock conflicts. */
  readonly expectedVersion: number | undefined;
  /** The version the store holds, for optimistic-lock conflicts. */
  readonly actualVersion: number | undefined;

  constructor(message: string, context: ConflictContext = {}) {
    super(message, 'E_CONFLICT', context);
    this.expectedVersion = context.expectedVersion;
    this.actualVersion = context.actualVersion;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), expectedVersion: this.expectedVersion, actualVersion: this.actualVersion };
  }
}

/** Context of a {@link ConnectionError}. */
export interface ConnectionContext extends ErrorContext {
  /**
   * True when the connection broke while a COMMIT (or a write) was in flight, so nobody
   * knows whether it took effect. Such errors are never retried automatically.
   */
  readonly outcomeUnknown?: boolean;
  /** Which node failed, e.g. `primary` or `replica:1` (never a connection string). */
  readonly node?: string;
}

/**
 * The store could not be reached, or the connection broke. Retryable unless
 * `outcomeUnknown` is set.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof ConnectionError && e.outcomeUnknown) await reconcile(); }
 * ```
 */
export class ConnectionError extends RepositoryError {
  static override readonly kind: string = 'ConnectionError';
  /** Whether a write may or may not have taken effect. */
  readonly outcomeUnknown: boolean;
  /** Which node failed, when known. */
  readonly node: string | undefined;

  constructor(message: string, context: ConnectionContext = {}) {
    const outcomeUnknown = context.outcomeUnknown ?? false;
    super(message, 'E_CONNECTION', { ...context, retryable: context.retryable ?? !outcomeUnknown });
    this.outcomeUnknown = outcomeUnknown;
    this.node = context.node;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), outcomeUnknown: this.outcomeUnknown, node: this.node };
  }
}

/** Context of a {@link TimeoutError}. */
export interface TimeoutContext extends ErrorContext {
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs?: number;
}

/**
 * An operation took longer than its limit (statement timeout, lock timeout, cache
 * command timeout, loader timeout).
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof TimeoutError) log.warn({ limit: e.timeoutMs }, 'slow query'); }
 * ```
 */
export class TimeoutError extends RepositoryError {
  static override readonly kind: string = 'TimeoutError';
  /** The limit that was exceeded, in milliseconds, when known. */
  readonly timeoutMs: number | undefined;

  constructor(message: string, context: TimeoutContext = {}) {
    super(message, 'E_TIMEOUT', { ...context, retryable: context.retryable ?? true });
    this.timeoutMs = context.timeoutMs;
  }
}

/** Context of a {@link RateLimitError}. */
export interface RateLimitContext extends ErrorContext {
  /** How long the service asked us to wait, in milliseconds, when it said. */
  readonly retryAfterMs?: number;
}

/**
 * A quota was exceeded (for example Google Sheets' per-minute request quota).
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof RateLimitError) await sleep(e.retryAfterMs ?? 1000); }
 * ```
 */
export class RateLimitError extends RepositoryError {
  static override readonly kind: string = 'RateLimitError';
  /** How long to wait before trying again, in milliseconds, when known. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, context: RateLimitContext = {}) {
    super(message, 'E_RATE_LIMIT', { ...context, retryable: context.retryable ?? true });
    this.retryAfterMs = context.retryAfterMs;
  }
}

/**
 * A component is deliberately unavailable: a circuit breaker is open, a repository is
 * read-only, or the manager is closed.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof UnavailableError) return serveFromFallback(); }
 * ```
 */
export class UnavailableError extends RepositoryError {
  static override readonly kind: string = 'UnavailableError';
  constructor(message: string, context: ErrorContext = {}) {
    super(message, 'E_UNAVAILABLE', context);
  }
}

/**
 * Whether a value is any reposit error (same as `instanceof RepositoryError`, usable
 * as a type guard in `.catch` callbacks).
 *
 * @example
 * ```ts
 * promise.catch((e) => { if (isRepositoryError(e)) console.log(e.code); });
 * ```
 */
export function isRepositoryError(value: unknown): value is RepositoryError {
  return value instanceof RepositoryError;
}

/** Renders an id for a message without letting huge or odd values flood it. */
export function formatId(id: unknown): string {
  const text = typeof id === 'string' ? JSON.stringify(id) : typeof id === 'bigint' ? `${id}n` : String(id);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
