import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * A real OpenTelemetry SDK for one test file: a tracer provider registered globally, an
 * AsyncLocalStorage context manager (so spans nest across awaits) and an in-memory
 * exporter holding every finished span.
 *
 * @example
 * ```ts
 * const tracing = installTracing();
 * await repo.getById(1);
 * expect(tracing.named('repository.getById')).toHaveLength(1);
 * ```
 */
export interface TestTracing {
  readonly provider: BasicTracerProvider;
  readonly exporter: InMemorySpanExporter;
  /** Every finished span, oldest first. */
  spans(): ReadableSpan[];
  /** Finished spans with this name. */
  named(name: string): ReadableSpan[];
  /** The finished spans whose parent is `span`. */
  childrenOf(span: ReadableSpan): ReadableSpan[];
  /** Every finished span below `span`, at any depth. */
  descendantsOf(span: ReadableSpan): ReadableSpan[];
  reset(): void;
}

export function installTracing(): TestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  const spans = () => exporter.getFinishedSpans();
  const childrenOf = (parent: ReadableSpan) =>
    spans().filter(
      (span) =>
        span.parentSpanContext?.spanId === parent.spanContext().spanId &&
        span.spanContext().traceId === parent.spanContext().traceId,
    );
  const descendantsOf = (parent: ReadableSpan): ReadableSpan[] =>
    childrenOf(parent).flatMap((child) => [child, ...descendantsOf(child)]);
  return {
    provider,
    exporter,
    spans,
    named: (name) => spans().filter((span) => span.name === name),
    childrenOf,
    descendantsOf,
    reset: () => exporter.reset(),
  };
}

/** Every string a span carries: attribute values, event names and event attributes, status message. */
export function spanText(span: ReadableSpan): string {
  return JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
    status: span.status,
  });
}
