import { setTimeout as sleep } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { activeTracer, configureTracing, tracingStatus } from '../../../src/observability/tracing.js';
import { installTracing } from '../../support/tracing.js';

afterAll(() => {
  trace.disable();
  configureTracing({ tracer: 'auto' });
});

describe('tracing with @opentelemetry/api installed', () => {
  it('makes no spans (takes the untraced paths) until an SDK registers a provider, then picks it up by itself', async () => {
    configureTracing({ tracer: 'auto' });
    expect(tracingStatus()).toBe('opentelemetry');
    // The API alone hands out no-op spans: reposit skips them entirely.
    expect(activeTracer()).toBeUndefined();
    const tracing = installTracing();
    // Registered after reposit looked: seen within the look-up interval, without reconfiguring.
    await sleep(300);
    const tracer = activeTracer();
    expect(tracer).toBeDefined();
    tracer!.startActiveSpan('probe', {}, (span) => span.end());
    expect(tracing.named('probe')).toHaveLength(1);
  });
});
