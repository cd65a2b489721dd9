import { createRequire } from 'node:module';
import { coarseNow } from '../cache/coarse-clock.js';
import { redactSecrets } from './redact.js';

/**
 * A span attribute value, as OpenTelemetry defines it.
 *
 * @example
 * ```ts
 * const attributes: Record<string, SpanAttributeValue> = { 'db.system.name': 'postgresql', 'server.port': 5432 };
 * ```
 */
export type SpanAttributeValue = string | number | boolean | readonly string[] | readonly number[];

/**
 * The few methods of an OpenTelemetry `Span` that reposit calls, declared locally so
 * that `@opentelemetry/api` stays an optional peer dependency. An OpenTelemetry span
 * satisfies it as it is.
 *
 * @example
 * ```ts
 * const span: TraceSpan = otelTracer.startSpan('work');
 * span.setAttribute('rows', 3);
 * span.end();
 * ```
 */
export interface TraceSpan {
  /** Sets one attribute on the span. */
  setAttribute(key: string, value: SpanAttributeValue): unknown;
  /** Adds an `exception` event (secrets already removed from message and stack). */
  recordException(exception: { name?: string; message?: string; code?: string; stack?: string }): void;
  /** Sets the span's status (2: ERROR). */
  setStatus(status: { code: number; message?: string }): unknown;
  /** Ends the span. */
  end(): void;
}

/**
 * What reposit needs of a tracer: OpenTelemetry's `Tracer.startActiveSpan`, which makes
 * the span the parent of every span started inside `fn` (so a repository call is the
 * parent of its cache and database spans). `trace.getTracer(...)` from
 * `@opentelemetry/api` satisfies it.
 *
 * @example
 * ```ts
 * import { trace } from '@opentelemetry/api';
 * const tracer: SpanTracer = trace.getTracer('my-app');
 * configureTracing({ tracer });
 * ```
 */
export interface SpanTracer {
  /** Starts a span, makes it the active one while `fn` runs, and returns what `fn` returns. */
  startActiveSpan<R>(
    name: string,
    options: { kind?: number; attributes?: Record<string, SpanAttributeValue> },
    fn: (span: TraceSpan) => R,
  ): R;
}

/**
 * Options of {@link configureTracing}.
 *
 * @example
 * ```ts
 * configureTracing({ tracer: 'auto', recordStatements: true });
 * ```
 */
export interface TracingOptions {
  /**
   * Where spans go. `'auto'`: through `@opentelemetry/api` when it is installed (to
   * whatever tracer provider the application registered), and nowhere when it is not.
   * A {@link SpanTracer}: through that tracer. `'off'`: no spans at all.
   * @default 'auto'
   */
  readonly tracer?: SpanTracer | 'auto' | 'off';
  /**
   * Whether `db.query` spans carry the SQL text (`db.query.text`). Off by default: reposit
   * always sends values as parameters, but SQL written by hand may still embed data.
   * Parameters are never recorded.
   * @default false
   */
  readonly recordStatements?: boolean;
}

/**
 * Where spans are going, as {@link tracingStatus} reports it: `opentelemetry` (the
 * installed `@opentelemetry/api`), `custom` (a tracer given to `configureTracing`),
 * `off` (turned off), `unavailable` (`'auto'`, but `@opentelemetry/api` is not installed).
 *
 * @example
 * ```ts
 * if (tracingStatus() === 'unavailable') console.warn('install @opentelemetry/api for spans');
 * ```
 */
export type TracingStatus = 'opentelemetry' | 'custom' | 'off' | 'unavailable';

/**
 * OpenTelemetry's `SpanKind.INTERNAL` and `SpanKind.CLIENT`, without importing the API.
 *
 * @example
 * ```ts
 * await traced('db.query', SPAN_KIND.client, {}, () => run());
 * ```
 */
export const SPAN_KIND = { internal: 0, client: 2 } as const;
/** OpenTelemetry's `SpanStatusCode.ERROR`. */
const STATUS_ERROR = 2;

interface TracingState {
  tracer: SpanTracer | undefined;
  status: TracingStatus;
  recordStatements: boolean;
  resolved: boolean;
  requested: SpanTracer | 'auto' | 'off';
  /** `@opentelemetry/api`'s `trace`, when 'auto' found it. */
  api?: OpenTelemetryTraceApi | undefined;
  /** Whether an SDK's provider was registered at the last look, and when that was. */
  providerRegistered?: boolean;
  providerCheckedAt?: number;
}

interface OpenTelemetryTraceApi {
  getTracer(name: string): SpanTracer;
  getTracerProvider(): { getDelegate?(): object };
}

/** How long a look at the global tracer provider is trusted. */
const PROVIDER_CHECK_MS = 200;

// Shared through globalThis so that the ESM and CJS builds of reposit, loaded side by side
// in one process, obey one configuration (as `@opentelemetry/api` itself does).
const STATE_KEY = Symbol.for('reposit.tracing');
const state: TracingState = ((globalThis as Record<symbol, unknown>)[STATE_KEY] as TracingState) ?? {
  tracer: undefined,
  status: 'unavailable',
  recordStatements: false,
  resolved: false,
  requested: 'auto',
};
(globalThis as Record<symbol, unknown>)[STATE_KEY] = state;

/**
 * Chooses where reposit's spans go and whether they carry SQL text. Call it once at
 * start-up; it applies to every ConnectionManager, CacheManager, repository and Sheets
 * gateway of the process, including those created earlier.
 *
 * @example
 * ```ts
 * import { configureTracing } from 'reposit';
 * configureTracing({ recordStatements: process.env.NODE_ENV !== 'production' });
 * configureTracing({ tracer: 'off' }); // no spans, even with @opentelemetry/api installed
 * ```
 */
export function configureTracing(options: TracingOptions): void {
  if (options.recordStatements !== undefined) state.recordStatements = options.recordStatements === true;
  if (options.tracer !== undefined) {
    state.requested = options.tracer;
    state.resolved = false;
  }
  state.providerCheckedAt = undefined;
}

/**
 * Where spans are going now (resolving `'auto'` on first call).
 *
 * @example
 * ```ts
 * tracingStatus(); // 'opentelemetry' when @opentelemetry/api is installed
 * ```
 */
export function tracingStatus(): TracingStatus {
  resolve();
  return state.status;
}

/**
 * The tracer spans go to, or undefined when tracing is off or unavailable.
 *
 * @example
 * ```ts
 * if (activeTracer() === undefined) return fastPath();
 * ```
 */
export function activeTracer(): SpanTracer | undefined {
  if (!state.resolved) resolve();
  if (state.api === undefined || state.tracer === undefined) return state.tracer;
  return providerRegistered(state.api) ? state.tracer : undefined;
}

/**
 * Whether an application registered an OpenTelemetry SDK. The API alone (often installed
 * as somebody else's dependency) hands out no-op spans, which would still cost every call
 * a context switch: without a provider reposit takes its untraced paths. Looked up again
 * every {@link PROVIDER_CHECK_MS} ms, so a provider registered later is picked up.
 */
function providerRegistered(api: OpenTelemetryTraceApi): boolean {
  const now = coarseNow();
  if (state.providerCheckedAt !== undefined && now - state.providerCheckedAt < PROVIDER_CHECK_MS) {
    return state.providerRegistered === true;
  }
  state.providerCheckedAt = now;
  const provider = api.getTracerProvider();
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  state.providerRegistered = delegate?.constructor?.name !== 'NoopTracerProvider';
  return state.providerRegistered;
}

/**
 * Whether `db.query` spans may carry the SQL text (see `configureTracing`).
 *
 * @example
 * ```ts
 * const text = recordStatements() ? sql : undefined;
 * ```
 */
export function recordStatements(): boolean {
  return state.recordStatements;
}

function resolve(): void {
  if (state.resolved) return;
  state.resolved = true;
  const requested = state.requested;
  state.api = undefined;
  if (requested === 'off') {
    state.tracer = undefined;
    state.status = 'off';
  } else if (requested === 'auto') {
    state.api = loadOpenTelemetryApi();
    state.tracer = state.api?.getTracer('reposit');
    state.status = state.tracer ? 'opentelemetry' : 'unavailable';
  } else {
    state.tracer = requested;
    state.status = 'custom';
  }
}

/**
 * `@opentelemetry/api`'s tracer for reposit, or undefined when the package is not
 * installed. A synchronous require (from this file's location, as for any dependency),
 * so that even the first statement of a process gets its span; its tracer is a proxy
 * that follows whichever provider the application registers, before or after.
 */
function loadOpenTelemetryApi(): OpenTelemetryTraceApi | undefined {
  let api: { trace?: Partial<OpenTelemetryTraceApi> };
  try {
    api = createRequire(import.meta.url)('@opentelemetry/api');
  } catch {
    return undefined;
  }
  const trace = api.trace;
  return typeof trace?.getTracer === 'function' && typeof trace.getTracerProvider === 'function'
    ? (trace as OpenTelemetryTraceApi)
    : undefined;
}

/**
 * Runs `fn` inside a span when tracing is on (and just runs it otherwise). The span
 * ends when the returned promise settles; a rejection is recorded on it (status ERROR,
 * `error.type` set to the reposit error code, the message with secrets removed).
 *
 * @example
 * ```ts
 * const rows = await traced('db.query', SPAN_KIND.client, { 'db.system.name': 'postgresql' }, (span) => run());
 * ```
 */
export function traced<R>(
  name: string,
  kind: number,
  attributes: Record<string, SpanAttributeValue | undefined>,
  fn: (span: TraceSpan | undefined) => Promise<R>,
): Promise<R> {
  const tracer = activeTracer();
  if (tracer === undefined) return fn(undefined);
  return tracer.startActiveSpan(name, { kind, attributes: definedOnly(attributes) }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Marks a span failed with a reposit error: status ERROR, `error.type` (the error's
 * `code`, else its class name) and the exception, secrets removed from message and stack.
 *
 * @example
 * ```ts
 * recordError(span, new TimeoutError('Statement timed out'));
 * ```
 */
export function recordError(span: TraceSpan, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  const code = (failure as { code?: unknown }).code;
  const type = typeof code === 'string' ? code : failure.name;
  const message = redactSecrets(failure.message);
  span.setAttribute('error.type', type);
  span.recordException({
    name: failure.name,
    message,
    code: typeof code === 'string' ? code : undefined,
    stack: failure.stack === undefined ? undefined : redactSecrets(failure.stack),
  });
  span.setStatus({ code: STATUS_ERROR, message });
}

function definedOnly(
  attributes: Record<string, SpanAttributeValue | undefined>,
): Record<string, SpanAttributeValue> {
  const out: Record<string, SpanAttributeValue> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}
