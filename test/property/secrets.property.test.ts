import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../src/connection/index.js';
import { redactSecrets } from '../../src/observability/redact.js';
import { CaptureLogger } from '../support/capture-logger.js';
import { RUNS, typedOutcomeAsync } from './hostile.js';

const secretChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789!$^*()-_~.@/:#?%+ ');
const password = fc
  .string({ unit: secretChar, minLength: 8, maxLength: 32 })
  .filter((p) => p.trim().length >= 8);
const token = fc.string({ unit: fc.constantFrom(...'abcdefXYZ0123456789._-'), minLength: 12, maxLength: 40 });

describe('secrets never survive redaction or reach errors and logs (fast-check)', () => {
  it(`${RUNS} connection strings, key=value pairs and bearer tokens lose their secret`, () => {
    fc.assert(
      fc.property(
        password,
        token,
        fc.constantFrom('postgres', 'postgresql', 'redis', 'rediss'),
        (secret, bearer, scheme) => {
          const encoded = encodeURIComponent(secret);
          const text = [
            `connect ${scheme}://app:${encoded}@db.internal:5432/app failed`,
            `options password=${encoded} host=db`,
            `password="${secret.replaceAll('"', '')}"`,
            `Authorization: Bearer ${bearer}`,
            `{"token":"${bearer}"}`,
          ].join('\n');
          const redacted = redactSecrets(text);
          expect(redacted).not.toContain(encoded);
          expect(redacted).not.toContain(bearer);
          if (secret.replaceAll('"', '').length >= 8)
            expect(redacted).not.toContain(secret.replaceAll('"', ''));
          expect(redacted).toContain('db.internal:5432');
        },
      ),
      { numRuns: RUNS },
    );
  });

  // Each case is a real failed connection, so the count is small; the redaction above carries the volume.
  const CONNECTION_RUNS = 25;
  it(`${CONNECTION_RUNS} failed connections with random passwords: typed errors, and no password in the error or the logs`, async () => {
    await fc.assert(
      fc.asyncProperty(password, fc.constantFrom('refused', 'missing-db'), async (secret, failure) => {
        const encoded = encodeURIComponent(secret);
        const url =
          failure === 'refused'
            ? `postgres://app:${encoded}@127.0.0.1:1/test`
            : `postgres://postgres:${encoded}@127.0.0.1:5432/no_such_db_${Date.now()}`;
        const logger = new CaptureLogger();
        const connections = new ConnectionManager({
          primary: { connectionString: url },
          logger,
          connectTimeoutMs: 2_000,
          transactionRetries: 0,
        });
        try {
          const outcome = await typedOutcomeAsync(() => connections.query('select 1'));
          expect(outcome.ok).toBe(false);
          const seen = [
            outcome.ok ? '' : inspect(outcome.error, { depth: 8, showHidden: true }),
            outcome.ok ? '' : JSON.stringify(outcome.error),
            ...logger.lines.map((line) => `${line.message} ${inspect(line.obj, { depth: 8 })}`),
          ].join('\n');
          expect(seen).not.toContain(encoded);
          expect(seen).not.toContain(secret);
        } finally {
          await connections.close();
        }
      }),
      { numRuns: CONNECTION_RUNS },
    );
  }, 120_000);
});
