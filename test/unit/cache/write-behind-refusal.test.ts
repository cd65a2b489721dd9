import { describe, expect, it } from 'vitest';
import { refusesEntry } from '../../../src/cache/redis/write-behind-dead-letter.js';
import {
  ConflictError,
  ConnectionError,
  DuplicateError,
  NotFoundError,
  RateLimitError,
  TimeoutError,
  UnavailableError,
  ValidationError,
} from '../../../src/errors.js';

describe('which write-behind failures refuse the entry (dead-lettered after maxAttempts)', () => {
  it('the backend refusing what the entry holds', () => {
    expect(refusesEntry(new ValidationError('bad'))).toBe(true);
    expect(refusesEntry(new DuplicateError('taken'))).toBe(true);
    expect(refusesEntry(new ConflictError('stale version'))).toBe(true);
    expect(refusesEntry(new NotFoundError('no user 1'))).toBe(true);
  });

  it('not the backend failing, even when not retryable: those are retried without limit', () => {
    expect(refusesEntry(new ConflictError('deadlock', { retryable: true }))).toBe(false);
    expect(refusesEntry(new ConnectionError('bad password', { retryable: false }))).toBe(false);
    expect(refusesEntry(new ConnectionError('lost during COMMIT', { outcomeUnknown: true }))).toBe(false);
    expect(refusesEntry(new TimeoutError('slow', { retryable: false }))).toBe(false);
    expect(refusesEntry(new RateLimitError('later', { retryable: false }))).toBe(false);
    expect(refusesEntry(new UnavailableError('down', { retryable: false }))).toBe(false);
    expect(refusesEntry(new Error('anything else'))).toBe(false);
    expect(refusesEntry('a string')).toBe(false);
  });
});
