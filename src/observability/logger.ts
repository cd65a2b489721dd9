import pino from 'pino';
import { currentContext } from '../context/request-context.js';
import { REDACTED, redactSecrets } from './redact.js';

/**
 * The few logger methods reposit calls: pino's signature (`obj`, then a message). A
 * pino logger satisfies it as it is; so does anything with the same four methods.
 *
 * @example
 * ```ts
 * const logger: Logger = pino({ level: 'info' });
 * logger.warn({ node: 'replica:0', lagMs: 6200 }, 'replica lagging, reads go elsewhere');
 * ```
 */
export interface Logger {
  /** Logs detail for debugging. */
  debug(obj: object, message?: string): void;
  /** Logs a normal event. */
  info(obj: object, message?: string): void;
  /** Logs something that went wrong and was handled. */
  warn(obj: object, message?: string): void;
  /** Logs a failure that needs attention. */
  error(obj: object, message?: string): void;
}

/**
 * Options of {@link createLogger}.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'info', component: 'orders-db' });
 * ```
 */
export interface CreateLoggerOptions {
  /**
   * The least severe level written.
   * @default 'warn'
   */
  readonly level?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /**
   * Your own pino instance; reposit logs through a child of it (with `component` set),
   * with secret redaction added.
   * @default undefined (a new pino logger writing JSON to `destination`)
   */
  readonly pino?: pino.Logger;
  /**
   * Where a new logger writes (ignored with `pino`).
   * @default standard error
   */
  readonly destination?: pino.DestinationStream;
  /**
   * The `component` field of every line.
   * @default 'reposit'
   */
  readonly component?: string;
}

/**
 * Keys whose values are always replaced by `***`, at any depth of a logged object.
 * pino's own `redact` only handles fixed paths, so reposit scrubs recursively instead.
 */
const SECRET_KEYS =
  /^(password|passwd|pwd|secret|token|access_?token|refresh_?token|api_?key|authorization|cookie|connection_?string|private_?key|sslkey|client_?secret)$/i;

/**
 * A pino logger for reposit whose lines never carry secrets: values under keys such as
 * `password`, `token` or `connectionString` become `***`, and any string that embeds a
 * connection string or a `password=` pair has the secret cut out — including error
 * messages and stacks. Inside `withContext({ requestId })`, every line carries that
 * `requestId`.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const logger = createLogger({ pino: pino({ level: 'info' }) });
 * const manager = new ConnectionManager({ primary: { connectionString }, logger });
 * await withContext({ requestId: req.id }, () => users.getById(1)); // its lines carry requestId
 * ```
 */
export function createLogger(options: CreateLoggerOptions = {}): pino.Logger {
  const component = options.component ?? 'reposit';
  const scrub = { log: (object: object) => scrubValue(object, 0) as Record<string, unknown> };
  const hooks = {
    logMethod(this: pino.Logger, args: unknown[], method: (...rest: unknown[]) => void) {
      // pino takes the message of a lone Error as the line's msg, after this hook: give it one.
      const [first] = args;
      const normalised =
        first instanceof Error && typeof args[1] !== 'string' ? [{ err: first }, first.message] : args;
      method.apply(
        this,
        withRequestId(normalised).map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg)),
      );
    },
  };
  if (options.pino) {
    const child = options.pino.child({ component }, { formatters: scrub, level: options.level });
    return wrapWithHook(child, hooks.logMethod);
  }
  return pino(
    {
      level: options.level ?? 'warn',
      base: { component },
      formatters: scrub,
      hooks,
      serializers: { err: (error: unknown) => scrubValue(serializeError(error), 0) },
    },
    options.destination ?? pino.destination(2),
  );
}

/**
 * The arguments of a log call with the running request context's id added as
 * `requestId` (unless the line sets its own), so that every line of one request can be
 * found together.
 */
function withRequestId(args: unknown[]): unknown[] {
  const requestId = currentContext()?.requestId;
  if (requestId === undefined) return args;
  const [first, ...rest] = args;
  if (typeof first === 'object' && first !== null && !(first instanceof Error)) {
    return 'requestId' in first ? args : [{ requestId, ...first }, ...rest];
  }
  return [{ requestId }, ...args];
}

/** A child logger cannot take hooks, so its methods are wrapped to scrub message strings. */
function wrapWithHook(
  logger: pino.Logger,
  hook: (this: pino.Logger, args: unknown[], method: (...rest: unknown[]) => void) => void,
): pino.Logger {
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
    const original = logger[level].bind(logger) as (...rest: unknown[]) => void;
    (logger as unknown as Record<string, unknown>)[level] = (...args: unknown[]) =>
      hook.call(logger, args, original);
  }
  return logger;
}

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const plain: Record<string, unknown> = { type: error.name, message: error.message, stack: error.stack };
  for (const key of ['code', 'node', 'sqlstate', 'retryable', 'outcomeUnknown'] as const) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value !== undefined) plain[key] = value;
  }
  if (error.cause !== undefined) plain.cause = serializeError(error.cause);
  return plain;
}

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return scrubValue(serializeError(value), depth + 1);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      SECRET_KEYS.test(key) && inner !== undefined && inner !== null
        ? REDACTED
        : scrubValue(inner, depth + 1);
  }
  return out;
}
