import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ConnectionError,
  DuplicateError,
  NotFoundError,
  RateLimitError,
  RepositoryError,
  TimeoutError,
  UnavailableError,
  ValidationError,
} from '../../src/index.js';

describe('RepositoryError hierarchy', () => {
  const cases = [
    [new NotFoundError('x'), 'E_NOT_FOUND', false],
    [new ValidationError('x'), 'E_VALIDATION', false],
    [new DuplicateError('x'), 'E_DUPLICATE', false],
    [new ConflictError('x'), 'E_CONFLICT', false],
    [new ConnectionError('x'), 'E_CONNECTION', true],
    [new TimeoutError('x'), 'E_TIMEOUT', true],
    [new RateLimitError('x'), 'E_RATE_LIMIT', true],
    [new UnavailableError('x'), 'E_UNAVAILABLE', false],
  ] as const;

  it.each(cases)('%s has its stable code and retryable default', (error, code, retryable) => {
    expect(error).toBeInstanceOf(RepositoryError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
  });

  it('tells sibling classes apart', () => {
    expect(new NotFoundError('x')).not.toBeInstanceOf(ValidationError);
    expect(new ConflictError('x')).not.toBeInstanceOf(DuplicateError);
    expect({ code: 'E_NOT_FOUND' }).not.toBeInstanceOf(NotFoundError);
  });

  it('recognises an error built by another copy of the class (brand, not prototype)', () => {
    const foreign = Object.create(Error.prototype) as Error;
    Object.defineProperty(foreign, Symbol.for('reposit.error.kinds'), {
      value: ['NotFoundError', 'RepositoryError'],
    });
    expect(foreign).toBeInstanceOf(NotFoundError);
    expect(foreign).toBeInstanceOf(RepositoryError);
    expect(foreign).not.toBeInstanceOf(ConflictError);
  });

  it('keeps cause, entity and id', () => {
    const cause = new Error('driver');
    const error = NotFoundError.forId('user', 42);
    const wrapped = new ConnectionError('down', { cause, entity: 'user', node: 'primary' });
    expect(error.message).toBe('user 42 does not exist');
    expect(error.entity).toBe('user');
    expect(error.id).toBe(42);
    expect(wrapped.cause).toBe(cause);
    expect(wrapped.node).toBe('primary');
  });

  it('an outcome-unknown connection error is never retryable', () => {
    expect(new ConnectionError('commit lost', { outcomeUnknown: true }).retryable).toBe(false);
  });

  it('a validation error lists every issue with its path', () => {
    const error = ValidationError.fromIssues('Invalid user', [
      { path: 'email', message: 'Invalid email', code: 'invalid_format' },
      { path: 'age', message: 'Too small', code: 'too_small' },
    ]);
    expect(error.message).toBe('Invalid user: email: Invalid email; age: Too small');
    expect(error.paths).toEqual(['email', 'age']);
  });
});
